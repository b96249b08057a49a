"""Feedback value types a judge may declare: their JSON schema, their description, strict validation.

Allowed: ``bool``, ``int``, ``float``, ``str``, ``Literal[...]``, ``list[T]``, ``dict[str, T]`` (T again
one of these). A value outside the declared type is a parse failure, never coerced — except that a
string matching a ``Literal`` option up to case and surrounding spaces is read as that option, and an
integer is accepted where a float is asked.
"""

from __future__ import annotations

import typing
from typing import Any, Literal, get_args, get_origin

from jurist.errors import ConfigError, JudgeParseError

ALLOWED = "bool, int, float, str, Literal[...], list[T] or dict[str, T]"

YesNo = Literal["yes", "no"]


def check_type(tp: Any) -> None:
    """Raise ConfigError unless ``tp`` is a supported feedback value type."""
    if tp in (bool, int, float, str):
        return
    origin = get_origin(tp)
    if origin is Literal:
        opts = get_args(tp)
        if not opts or not all(isinstance(o, (str, int, float, bool)) for o in opts):
            raise ConfigError(f"Literal feedback types must list str/int/float/bool options, got {tp!r}")
        return
    if origin is list:
        (item,) = get_args(tp) or (None,)
        if item is None:
            raise ConfigError(f"list feedback types need an item type, e.g. list[str]; got {tp!r}")
        check_type(item)
        return
    if origin is dict:
        args = get_args(tp)
        if len(args) != 2 or args[0] is not str:
            raise ConfigError(f"dict feedback types must be dict[str, T]; got {tp!r}")
        check_type(args[1])
        return
    raise ConfigError(f"Unsupported feedback_value_type {tp!r}; use one of {ALLOWED}.")


def schema_for(tp: Any) -> dict[str, Any]:
    """The JSON schema of a value type."""
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    origin = get_origin(tp)
    if origin is Literal:
        opts = list(get_args(tp))
        kinds = {type(o) for o in opts}
        json_type = {str: "string", int: "integer", float: "number", bool: "boolean"}
        if len(kinds) == 1:
            return {"type": json_type[kinds.pop()], "enum": opts}
        return {"enum": opts}
    if origin is list:
        return {"type": "array", "items": schema_for(get_args(tp)[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": schema_for(get_args(tp)[1])}
    raise ConfigError(f"Unsupported feedback_value_type {tp!r}; use one of {ALLOWED}.")


def describe(tp: Any) -> str:
    """How the result should look, in words, for the prompt."""
    if tp is bool:
        return "true or false (a JSON boolean)"
    if tp is int:
        return "an integer (a JSON number without a fraction)"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    origin = get_origin(tp)
    if origin is Literal:
        return "exactly one of " + ", ".join(f'"{o}"' if isinstance(o, str) else repr(o) for o in get_args(tp))
    if origin is list:
        return f"a JSON array whose items are each {describe(get_args(tp)[0])}"
    if origin is dict:
        return f"a JSON object mapping strings to {describe(get_args(tp)[1])}"
    return "a JSON value"


def type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return typing._type_repr(tp)


def validate(tp: Any, value: Any, path: str = "result") -> Any:
    """Return ``value`` if it is of type ``tp``; raise JudgeParseError naming what is wrong."""

    def fail() -> JudgeParseError:
        return JudgeParseError(f"{path} must be {describe(tp)}; got {value!r}")

    if tp is bool:
        if isinstance(value, bool):
            return value
        raise fail()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail()
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise fail()
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail()
    origin = get_origin(tp)
    if origin is Literal:
        opts = get_args(tp)
        for o in opts:
            if value == o and type(value) is type(o):
                return o
        if isinstance(value, str):
            norm = value.strip().lower()
            matches = [o for o in opts if isinstance(o, str) and o.lower() == norm]
            if len(matches) == 1:
                return matches[0]
        raise fail()
    if origin is list:
        if not isinstance(value, list):
            raise fail()
        item = get_args(tp)[0]
        return [validate(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise fail()
        vt = get_args(tp)[1]
        return {k: validate(vt, v, f"{path}[{k!r}]") for k, v in value.items()}
    raise fail()


def verdict_schema(tp: Any) -> dict[str, Any]:
    """The object a judge answers with: rationale first (think, then decide), then the result."""
    return {
        "type": "object",
        "properties": {"rationale": {"type": "string"}, "result": schema_for(tp)},
        "required": ["rationale", "result"],
        "additionalProperties": False,
    }
