"""What the built-in judges share: construction from a prompt file, and reading a row's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.entities import Expectation, Trace
from jurist.judges._base import Judge, Unit, load_prompt
from jurist.judges._render import render_value


class BuiltinJudge(Judge):
    """A built-in judge: its instructions are ``prompts/<prompt>.md``; the rest are the usual options."""

    prompt: ClassVar[str] = ""
    default_name: ClassVar[str] = ""
    #: Constructor fields beyond the common ones (e.g. ``guidelines``), kept by ``to_dict``.
    extra_fields: ClassVar[tuple[str, ...]] = ()
    #: What the judge is shown, in order: ``(tag, "inputs" | "outputs", hint)``; a missing one is a
    #: ConfigError naming it (``hint`` adds what it stands for). Either may come from ``trace=``.
    fields: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    #: ``(tag, keys)``: the expectation the judge needs (the first of ``keys`` present), shown last.
    expects: ClassVar[tuple[str, tuple[str, ...]] | None] = None

    def __init__(
        self,
        name: str | None = None,
        model: str | None = None,
        *,
        inference_params: Mapping[str, Any] | None = None,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        aggregations: Any = None,
        instructions: str | None = None,
        max_field_chars: int | None = None,
    ) -> None:
        super().__init__(
            name=name or self.default_name,
            instructions=instructions or load_prompt(self.prompt),
            model=model,
            inference_params=inference_params,
            base_url=base_url,
            extra_headers=extra_headers,
            aggregations=aggregations,
            max_field_chars=max_field_chars,
        )

    def _extra_fields(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.extra_fields}

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        values = {"inputs": inputs, "outputs": outputs}
        sections: list[tuple[str, str]] = []
        for tag, source, hint in self.fields:
            if values[source] is None:
                raise self._missing(f"{source}=", hint)
            sections.append((tag, render_value(values[source])))
        if self.expects is not None:
            tag, keys = self.expects
            expected = expectation_value(expectations, *keys)
            if expected is None:
                raise self._missing("expectations=", " with " + " or ".join(repr(k) for k in keys))
            sections.append((tag, self.render_expected(expected)))
        return [Unit(tuple(sections), trace_id=t.trace_id if t else None)]

    def render_expected(self, value: Any) -> str:
        return render_value(value)


def expectation_value(expectations: Any, *keys: str) -> Any:
    """The first of ``keys`` present in ``expectations`` (a dict, or a list of Expectation objects)."""
    if expectations is None:
        return None
    if isinstance(expectations, Mapping):
        for k in keys:
            if expectations.get(k) not in (None, "", []):
                return expectations[k]
        return None
    if isinstance(expectations, (list, tuple)):
        for k in keys:
            for e in expectations:
                if isinstance(e, Expectation) and e.name == k and e.value not in (None, "", []):
                    return e.value
    return None


def from_trace(trace: Any, inputs: Any, outputs: Any) -> tuple[Any, Any, Trace | None]:
    """inputs/outputs as given, else read from the trace's root span."""
    if trace is None:
        return inputs, outputs, None
    t = Trace.coerce(trace)
    return (inputs if inputs is not None else t.inputs), (outputs if outputs is not None else t.outputs), t


def guideline_list(guidelines: Any) -> list[str]:
    if isinstance(guidelines, str):
        return [guidelines]
    if isinstance(guidelines, (list, tuple)) and all(isinstance(g, str) for g in guidelines):
        return list(guidelines)
    from jurist.errors import ConfigError

    raise ConfigError("guidelines must be a string or a list of strings")


def render_guidelines(guidelines: list[str]) -> str:
    return "\n".join(f"- {g}" for g in guidelines)
