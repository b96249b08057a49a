"""The judge builder's form as data: fields to a judge (checked by ``make_judge`` itself), a stored judge
back to fields, the built-in judges as starting templates, and which models can run from the browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from jurist.errors import ConfigError
from jurist.judges import builtin_judges, make_judge
from jurist.judges._base import load_prompt
from jurist.judges._make_judge import TEMPLATE_VARIABLES, parse_type_name, template_variables

#: The output types the builder offers, by form value.
OUTPUT_TYPES = (("yesno", "Yes / no"), ("bool", "True / false"), ("int_range", "Integer in a range"),
                ("float", "Number (float)"), ("categories", "One of some categories"))
#: The most values an integer range may have (each is an option the model picks from).
MAX_RANGE = 101
#: The embedded local model, as the builder's dropdown offers it.
LOCAL_MODEL = "local:/"

#: A built-in prompt's tags, and the template variable that holds what the tag stood for.
_TAG_VARIABLES = {"request": "inputs", "source": "inputs", "response": "outputs", "summary": "outputs",
                  "expected": "expectations", "expected_tool_calls": "expectations", "conversation": "conversation",
                  "context": "trace", "tool_calls": "trace"}
#: What to append to a template whose prompt reads a constructor field rather than the row.
_EXTRA_SECTIONS = {"guidelines": "\n\nThe guidelines (edit them):\n- The response must answer the question asked.\n",
                   "role": "\n\nThe role the assistant must keep (edit it): a polite support agent.\n"}


@dataclass
class JudgeForm:
    """What the builder's form holds (all text, as a browser sends it)."""

    name: str = ""
    scope: str = "trace"
    instructions: str = ""
    output_type: str = "yesno"
    int_min: str = "1"
    int_max: str = "5"
    categories: str = ""
    model_choice: str = ""
    model_uri: str = ""
    description: str = ""
    template: str = ""

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> JudgeForm:
        known = {k: str(fields[k]) for k in cls.__dataclass_fields__ if fields.get(k) is not None}
        if "instructions" in known:  # a browser sends a textarea's lines ended with CR LF
            known["instructions"] = known["instructions"].replace("\r\n", "\n").replace("\r", "\n")
        return cls(**known)

    @property
    def model(self) -> str:
        return (self.model_uri if self.model_choice == "typed" else self.model_choice).strip()


@dataclass
class Checked:
    """The form, checked: the judge's data when it builds, else the errors (what to fix)."""

    definition: dict[str, Any] | None
    variables: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def value_type(form: JudgeForm) -> Any:
    """The feedback value type the form names; ConfigError saying what to fix."""
    kind = form.output_type
    if kind == "yesno":
        return Literal["yes", "no"]
    if kind == "bool":
        return bool
    if kind == "float":
        return float
    if kind == "int_range":
        try:
            low, high = int(form.int_min), int(form.int_max)
        except ValueError:
            raise ConfigError("an integer range needs whole numbers for its lowest and highest values") from None
        if high < low:
            raise ConfigError(f"the highest value ({high}) is below the lowest ({low})")
        if high - low + 1 > MAX_RANGE:
            raise ConfigError(f"an integer range may hold at most {MAX_RANGE} values; {low} to {high} holds "
                              f"{high - low + 1} (use Number for a wider scale)")
        return Literal[tuple(range(low, high + 1))]
    if kind == "categories":
        options = [c.strip() for c in form.categories.split(",") if c.strip()]
        if len(options) < 2:
            raise ConfigError("categories need at least two names, separated by commas (e.g. good, fair, poor)")
        if len(set(options)) != len(options):
            raise ConfigError("each category must appear once")
        return Literal[tuple(options)]
    raise ConfigError(f"unknown output type {kind!r}; pick one of " + ", ".join(k for k, _ in OUTPUT_TYPES))


def check(form: JudgeForm) -> Checked:
    """Build the judge with ``make_judge`` (its own validation) and check the builder's rules on top."""
    out = Checked(definition=None)
    name = form.name.strip()
    if not name:
        out.errors.append("Give the judge a name: it is the name of the feedback it logs (e.g. polite).")
    elif not re.fullmatch(r"[A-Za-z0-9_.\- ]{1,100}", name):
        out.errors.append("A judge's name may hold letters, digits, spaces, '_', '-' and '.' (at most 100).")
    try:
        out.variables = template_variables(form.instructions)
    except ConfigError as e:
        out.errors.append(str(e))
    if form.scope not in ("trace", "session"):
        out.errors.append("The scope is trace (one trace at a time) or session (a whole conversation).")
    elif form.scope == "session" and out.variables and "conversation" not in out.variables:
        out.errors.append("A session judge reads the whole conversation: use {{ conversation }}.")
    elif form.scope == "trace" and "conversation" in out.variables:
        out.errors.append("{{ conversation }} is for session judges: pick the session scope, or use "
                          "{{ inputs }}, {{ outputs }}, {{ expectations }} or {{ trace }}.")
    try:
        vtype = value_type(form)
    except ConfigError as e:
        out.errors.append(str(e))
        vtype = None
    model = form.model
    if not model:
        out.errors.append("Pick a model: a gateway endpoint, the local model, or type a model URI.")
    elif ":/" not in model:
        out.errors.append(f"{model!r} is not a model URI: write '<provider>:/<model>', e.g. gateway:/my-endpoint, "
                          "local:/ or openai:/gpt-4o-mini.")
    if out.errors:
        return out
    try:
        judge = make_judge(name=name, instructions=form.instructions, model=model, feedback_value_type=vtype,
                           description=form.description.strip() or None)
    except ConfigError as e:
        out.errors.append(str(e).replace(f"judge {name!r} ", "The instructions "))
        return out
    out.definition = judge.to_dict()
    out.definition.pop("base_url", None)
    return out


def form_of(definition: dict[str, Any]) -> JudgeForm:
    """A stored judge's data as the builder's form (to edit it into a new version)."""
    instructions = str(definition.get("instructions") or "")
    try:
        used = template_variables(instructions)
    except ConfigError:
        used = []
    form = JudgeForm(name=str(definition.get("name") or ""), instructions=instructions,
                     scope="session" if "conversation" in used else "trace",
                     description=str(definition.get("description") or ""))
    form.output_type, form.int_min, form.int_max, form.categories = _type_fields(
        str(definition.get("feedback_value_type") or "Literal['yes', 'no']"))
    form.model_choice, form.model_uri = "typed", str(definition.get("model") or "")
    return form


def _type_fields(type_name: str) -> tuple[str, str, str, str]:
    try:
        tp = parse_type_name(type_name)
    except ConfigError:
        return "yesno", "1", "5", ""
    if tp is bool:
        return "bool", "1", "5", ""
    if tp is float:
        return "float", "1", "5", ""
    if tp is int:
        return "int_range", "0", "10", ""
    if get_origin(tp) is Literal:
        opts = list(get_args(tp))
        if opts == ["yes", "no"]:
            return "yesno", "1", "5", ""
        if all(isinstance(o, int) and not isinstance(o, bool) for o in opts) and \
                opts == list(range(opts[0], opts[0] + len(opts))):
            return "int_range", str(opts[0]), str(opts[-1]), ""
        return "categories", "1", "5", ", ".join(str(o) for o in opts)
    return "yesno", "1", "5", ""


# -- templates --------------------------------------------------------------------------------------
def templates() -> list[tuple[str, str]]:
    """``(kind, label)`` of each built-in judge the builder can start from."""
    return [(kind, re.sub(r"(?<!^)(?=[A-Z])", " ", kind)) for kind in sorted(builtin_judges())]


def template(kind: str) -> dict[str, str]:
    """A built-in judge's prompt made into editable instructions: its tags become template variables."""
    cls = builtin_judges().get(kind)
    if cls is None:
        raise ConfigError(f"no built-in judge named {kind!r}")
    text = load_prompt(str(getattr(cls, "prompt", "")))
    for tag, var in _TAG_VARIABLES.items():
        text = text.replace(f"<{tag}>", "{{ %s }}" % var)
    for tag, extra in _EXTRA_SECTIONS.items():
        if f"<{tag}>" in text:
            text = text.replace(f"<{tag}>", f"the {tag} below") + extra
    if not template_variables(text):
        text += "\n\nThe trace to judge: {{ trace }}\n"
    _, _, _, categories = _type_fields(_type_name(cls.default_value_type))
    output_type = "yesno" if not categories else "categories"
    scope = "session" if "{{ conversation }}" in text else "trace"
    return {"kind": kind, "name": str(getattr(cls, "default_name", "") or kind.lower()), "instructions": text,
            "output_type": output_type, "categories": categories, "scope": scope}


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "Literal[%s]" % ", ".join(repr(o) for o in get_args(tp))
    return getattr(tp, "__name__", "str")


__all__ = ["LOCAL_MODEL", "OUTPUT_TYPES", "TEMPLATE_VARIABLES", "Checked", "JudgeForm", "check", "form_of",
           "template", "templates"]
