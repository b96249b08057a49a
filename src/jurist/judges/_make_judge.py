"""``make_judge``: a judge from instructions with ``{{ inputs }}``-style template variables."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from jurist.entities import Feedback, Trace
from jurist.errors import ConfigError
from jurist.judges._base import Judge, Unit
from jurist.judges._render import render_conversation, render_trace, render_value
from jurist.judges._trace_agent import (
    DEFAULT_MAX_STEPS,
    agent_system_prompt,
    check_tools_supported,
    explores,
    judge_by_exploring,
    trace_overview,
)

TEMPLATE_VARIABLES = ("inputs", "outputs", "expectations", "trace", "conversation")
_VAR = re.compile(r"{{\s*([^{}]*?)\s*}}")
_BLOCK = re.compile(r"{%.*?%}", re.DOTALL)


def template_variables(instructions: str, allowed: Sequence[str] = TEMPLATE_VARIABLES) -> list[str]:
    """The variables used in ``instructions``, in order of first use (``{{ name }}`` only)."""
    if _BLOCK.search(instructions):
        raise ConfigError(
            "judge instructions may not contain template logic ({% ... %}); use only the variables "
            + ", ".join("{{ %s }}" % v for v in allowed)
        )
    seen: list[str] = []
    for name in _VAR.findall(instructions):
        if name not in seen:
            seen.append(name)
    return seen


class InstructionsJudge(Judge):
    """A judge made by :func:`make_judge`."""

    default_value_type = str
    #: The template variables these instructions may use.
    variables: ClassVar[tuple[str, ...]] = TEMPLATE_VARIABLES

    def __init__(self, *, name: str, instructions: str, trace_tools: bool | None = None,
                 max_steps: int = DEFAULT_MAX_STEPS, **kwargs: Any) -> None:
        if not isinstance(instructions, str) or not instructions.strip():
            raise ConfigError("make_judge needs non-empty instructions")
        used = template_variables(instructions, self.variables)
        self.check_variables(name, used)
        if trace_tools and "trace" not in used:
            raise ConfigError(f"judge {name!r} has trace_tools=True but its instructions do not use {{{{ trace }}}}")
        if not isinstance(max_steps, int) or max_steps < 1:
            raise ConfigError(f"judge {name!r}: max_steps must be a positive integer, got {max_steps!r}")
        self.template_variables = tuple(used)
        #: True: always explore traces with tools; False: always inline them; None: explore long ones.
        self.trace_tools = trace_tools
        #: Model calls one exploring judgment may make.
        self.max_steps = max_steps
        super().__init__(name=name, instructions=instructions, **kwargs)
        self.required = tuple(used)  # type: ignore[misc]

    def check_variables(self, name: str, used: Sequence[str]) -> None:
        """Refuse instructions that use an unknown variable, or none."""
        bad = [v for v in used if v not in self.variables]
        allowed = ", ".join("{{ %s }}" % v for v in self.variables)
        if bad:
            raise ConfigError(
                f"judge {name!r} uses unknown template variable(s) {', '.join(repr(b) for b in bad)}; "
                f"the allowed variables are {allowed}"
            )
        if not used:
            raise ConfigError(f"judge {name!r} instructions must use at least one of {allowed}")

    def _tagged_instructions(self) -> str:
        # The variables name the tagged sections that follow in the user message, so the system
        # prompt stays identical for every row (prefix-cache friendly).
        return _VAR.sub(lambda m: f"<{m.group(1)}>", self.instructions)

    def system_prompt(self) -> str:
        if self._system is None:
            fmt = self.format_instructions()
            self._system = f"{self._tagged_instructions().strip()}\n\n{self.data_notice()}{fmt}"
        return self._system

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None, **more: Any) -> list[Unit]:
        values = {"inputs": inputs, "outputs": outputs, "expectations": expectations, **more}
        sections: list[tuple[str, str]] = []
        trace_obj = None
        explore = False
        for var in self.template_variables:
            if var == "trace":
                if trace is None:
                    raise self._missing("trace=", " (a Trace or its dict form)")
                trace_obj = Trace.coerce(trace)
                rendered = render_trace(trace_obj)
                explore = explores(self.trace_tools, len(rendered))
                if explore:
                    check_tools_supported(self, len(rendered))
                    sections.append(("trace", trace_overview(trace_obj, len(rendered))))
                else:
                    sections.append(("trace", rendered))
            elif var == "conversation":
                if session is None:
                    raise self._missing("session=", " (a list of conversation turns)")
                sections.append(("conversation", render_conversation(session)))
            else:
                value = values.get(var)
                if value is None and trace is not None:
                    t = Trace.coerce(trace)
                    value = t.inputs if var == "inputs" else t.outputs if var == "outputs" else None
                if value is None:
                    raise self._missing(f"{var}=")
                sections.append((var, render_value(value)))
        return [Unit(tuple(sections), trace_id=trace_obj.trace_id if trace_obj else None,
                     trace=trace_obj if explore else None)]

    async def judge_unit(self, unit: Unit) -> Feedback:
        if unit.trace is None:
            return await super().judge_unit(unit)
        system = agent_system_prompt(self._tagged_instructions(), self.feedback_value_type, self.max_steps)
        fb = await judge_by_exploring(self, unit, unit.trace, system=system, max_steps=self.max_steps)
        if fb.metadata is not None:
            self.note_truncation(unit, fb.metadata)
            self.note_screening(unit, fb.metadata)
        return fb

    def _extra_fields(self) -> dict[str, Any]:
        # Only when set, so the data form of judges that never explore a trace stays as it was.
        out: dict[str, Any] = {}
        if self.trace_tools is not None:
            out["trace_tools"] = self.trace_tools
        if self.max_steps != DEFAULT_MAX_STEPS:
            out["max_steps"] = self.max_steps
        return out


def make_judge(
    name: str,
    instructions: str,
    model: str | None = None,
    description: str | None = None,
    feedback_value_type: Any = str,
    inference_params: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    *,
    aggregations: Any = None,
    trace_tools: bool | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_field_chars: int | None = None,
) -> InstructionsJudge:
    """Make a judge from instructions that use ``{{ inputs }}``, ``{{ outputs }}``, ``{{ expectations }}``,
    ``{{ trace }}`` or ``{{ conversation }}``.

    ``feedback_value_type`` is bool, int, float, str, ``Literal[...]``, ``list[T]`` or ``dict[str, T]``;
    the model's answer is held to it (structured output where the provider has it, validation always).

    With ``{{ trace }}``, a trace whose JSON is short (8,000 characters) is shown whole; a longer one is
    outlined and the judge model explores it with tools (list, read and search spans) for at most
    ``max_steps`` model calls before submitting its verdict. ``trace_tools=True`` explores every trace,
    ``False`` inlines every trace. Exploring needs a provider with native tool calling.

    A value longer than ``max_field_chars`` (default ``JURIST_MAX_FIELD_CHARS``, else 20,000 characters) is
    cut to fit; the feedback then says so in ``metadata["truncated"]`` and a warning is logged.

    Example:
        >>> judge = make_judge(
        ...     name="polite",
        ...     instructions="Is the reply in {{ outputs }} polite to the user who wrote {{ inputs }}?",
        ...     feedback_value_type=bool, model="openai:/gpt-4o-mini")
        >>> judge.template_variables
        ('outputs', 'inputs')

    ``instructions`` may also be a registered prompt (``load_prompt("prompts:/tone/2")``): its text
    template is used.
    """
    template = getattr(instructions, "template", None)
    if not isinstance(instructions, str) and template is not None:
        if not isinstance(template, str):
            raise ConfigError("make_judge takes a text prompt as instructions; a chat prompt (a list of messages) "
                              "has no single instruction text: pass one message's content")
        instructions = template
    return InstructionsJudge(
        name=name, instructions=instructions, model=model, description=description,
        feedback_value_type=feedback_value_type, inference_params=inference_params, base_url=base_url,
        extra_headers=extra_headers, aggregations=aggregations, trace_tools=trace_tools, max_steps=max_steps,
        max_field_chars=max_field_chars,
    )


# -- judges as data ---------------------------------------------------------------------------------
_SIMPLE = {"bool": bool, "int": int, "float": float, "str": str}


def parse_type_name(text: str) -> Any:
    """The value type named by ``type_name`` (``"Literal['yes', 'no']"``, ``"list[int]"``…), without eval."""
    import ast

    text = text.strip().replace("typing.", "")
    if text in _SIMPLE:
        return _SIMPLE[text]
    m = re.fullmatch(r"(list|dict|Literal)\[(.*)\]", text, re.DOTALL)
    if not m:
        raise ConfigError(f"unknown feedback value type {text!r}")
    head, inner = m.groups()
    if head == "list":
        return list[parse_type_name(inner)]  # type: ignore[misc]
    if head == "dict":
        key, _, val = inner.partition(",")
        if key.strip() != "str":
            raise ConfigError(f"dict feedback types must be dict[str, T], got {text!r}")
        return dict[str, parse_type_name(val)]  # type: ignore[misc]
    options = ast.literal_eval(f"({inner},)")
    return Literal[options]


#: Kinds of composed judges (juries, pairwise judges) → ``"module:function"`` rebuilding one from its data.
#: Imported on first use; :func:`register_judge_kind` adds a kind of one's own.
JUDGE_KINDS: dict[str, str | Callable[[Mapping[str, Any]], Any]] = {
    "Jury": "jurist.judges._jury:jury_from_dict",
    "ScorerEnsemble": "jurist.judges._jury:jury_from_dict",
    "PairwiseJudge": "jurist.judges._pairwise:pairwise_from_dict",
    "PairwisePreference": "jurist.judges._pairwise:pairwise_from_dict",
    "MemoryJudge": "jurist.align._memory:memory_from_dict",
}


def register_judge_kind(kind: str, build: str | Callable[[Mapping[str, Any]], Any]) -> None:
    """Let :func:`judge_from_dict` rebuild judges whose ``to_dict()`` says ``"kind": kind``.

    ``build`` is a function of the data, or its ``"module:function"`` path (imported when first needed).
    """
    if not isinstance(kind, str) or not kind:
        raise ConfigError("a judge kind needs a non-empty name")
    JUDGE_KINDS[kind] = build


def _builder(kind: str) -> Callable[[Mapping[str, Any]], Any] | None:
    build = JUDGE_KINDS.get(kind)
    if build is None or callable(build):
        return build
    import importlib

    module, _, attr = build.partition(":")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"judge kind {kind!r} is registered as {build!r}, which cannot be imported: {e}") from None
    JUDGE_KINDS[kind] = found
    return found  # type: ignore[no-any-return]


def judge_from_dict(data: Mapping[str, Any]) -> Any:
    """Rebuild a judge from :meth:`Judge.to_dict` output (nested judges of a jury included)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a judge's data is an object with a 'kind', got {type(data).__name__}")
    kind = data.get("kind", "InstructionsJudge")
    build = _builder(str(kind))
    if build is not None:
        return build(data)
    common = {
        "model": data.get("model"),
        "inference_params": data.get("inference_params"),
        "base_url": data.get("base_url"),
        "aggregations": data.get("aggregations"),
        "max_field_chars": data.get("max_field_chars"),
    }
    if kind in ("InstructionsJudge", "make_judge"):
        return make_judge(
            name=data["name"], instructions=data["instructions"], description=data.get("description"),
            feedback_value_type=parse_type_name(data.get("feedback_value_type", "str")), **common,
            trace_tools=data.get("trace_tools"), max_steps=data.get("max_steps", DEFAULT_MAX_STEPS),
        )
    if kind == "ScorerReference":  # a registered @scorer function, kept as its import path
        from jurist.genai._lifecycle import scorer_from_reference

        return scorer_from_reference(dict(data))
    from jurist.judges import builtin_judges

    cls = builtin_judges().get(kind)
    if cls is None:
        raise ConfigError(f"unknown judge kind {kind!r}; the kinds are InstructionsJudge, the built-in judges' "
                          f"class names and {', '.join(sorted(JUDGE_KINDS))} (register_judge_kind adds one)")
    extra = {k: data[k] for k in getattr(cls, "extra_fields", ()) if k in data}
    if data.get("instructions"):
        extra["instructions"] = data["instructions"]  # aligned or edited instructions survive
    return cls(name=data["name"], **common, **extra)


