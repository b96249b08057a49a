"""Turning a row's values into prompt text: plain values, traces and conversations."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jurist._runtime import RUNTIME
from jurist.entities import Trace

#: The most characters of one judged value (an output, the inputs, one document) a judge is shown by default.
MAX_FIELD_CHARS = 20_000
MAX_FIELD_CHARS_ENV = "JURIST_MAX_FIELD_CHARS"

#: The limit in force while a judge lays out its prompt, and the cuts made meanwhile (original, kept).
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("jurist_field_limit", default=None)
_CUTS: contextvars.ContextVar[list[tuple[int, int]] | None] = contextvars.ContextVar("jurist_cuts", default=None)


def check_field_limit(value: Any, what: str = "max_field_chars") -> int | None:
    """A judge's ``max_field_chars`` checked (None: the default); a ConfigError says what is wrong."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        from jurist.errors import ConfigError

        raise ConfigError(f"{what} must be a whole number of characters of at least 1, got {value!r}")
    return value


def _default_limit() -> int:
    return RUNTIME.settings.max_field_chars


def field_limit() -> int:
    """The limit in force: the judge's, else ``JURIST_MAX_FIELD_CHARS``, else 20,000 characters."""
    limit = _LIMIT.get()
    return limit if limit is not None else _default_limit()


@contextlib.contextmanager
def rendering(limit: int | None) -> Iterator[list[tuple[int, int]]]:
    """Lay out a prompt under ``limit`` (None: the default): yields the list that collects every cut made
    meanwhile as ``(original characters, kept characters)``, so the judge can say so in its feedback.
    The limit is read once here, not for every value rendered."""
    cuts: list[tuple[int, int]] = []
    t_limit, t_cuts = _LIMIT.set(limit if limit is not None else _default_limit()), _CUTS.set(cuts)
    try:
        yield cuts
    finally:
        _LIMIT.reset(t_limit)
        _CUTS.reset(t_cuts)


#: The types of a flat row's values: what the C JSON encoder writes as the indenting one would.
_FLAT = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})
#: The C encoder's separators that lay a flat object or list out as ``indent=2`` does.
_FLAT_SEPARATORS = (",\n  ", ": ")


def to_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2, default=str)``, to the byte. ``indent`` makes the
    json module encode in Python, field by field; a flat dict (string keys) or list of strings, numbers,
    booleans and None is written by the C encoder instead, its separators standing for the indentation."""
    kind = type(value)
    if kind is dict and value and _STR.issuperset(map(type, value)) and _FLAT.issuperset(map(type, value.values())):
        return f"{{\n  {json.dumps(value, ensure_ascii=False, separators=_FLAT_SEPARATORS)[1:-1]}\n}}"
    if kind is list and value and _FLAT.issuperset(map(type, value)):
        return f"[\n  {json.dumps(value, ensure_ascii=False, separators=_FLAT_SEPARATORS)[1:-1]}\n]"
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def render_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        text = value
    elif isinstance(value, Trace):
        text = render_trace(value)
    else:
        text = to_json(value)
    limit = field_limit()
    if len(text) > limit:
        cuts = _CUTS.get()
        if cuts is not None:
            cuts.append((len(text), limit))
        text = text[:limit] + f"\n…[{len(text) - limit} of {len(text)} characters cut here]"
    return text


#: Every section tag a jurist prompt uses: judged text can neither open nor close any of them.
SECTION_TAGS = frozenset({
    "request", "response", "expected", "context", "conversation", "trace", "inputs", "outputs", "expectations",
    "guidelines", "expected_tool_calls", "tool_calls", "role", "source", "summary",
})


@functools.lru_cache(maxsize=64)
def _tag_pattern(names: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(rf"<(?=\s*/?\s*(?:{alternatives})(?![\w-]))", re.IGNORECASE)


def fence(text: str, tags: Iterable[str] = ()) -> str:
    """``text`` made safe to put inside a prompt section: every ``<`` that would start the tag of a section
    (``<expected>``, ``</response>``) is written ``&lt;``, so judged data cannot end its own section and
    forge another. Other markup (HTML, code) is left as it is."""
    if "<" not in text:
        return text
    return _tag_pattern(SECTION_TAGS | frozenset(tags)).sub("&lt;", text)


def user_message(sections: Iterable[tuple[str, str]], escape: bool = True) -> str:
    """The user message of a judgment: each section's text fenced inside its tags (``escape=False``
    leaves the text as it is: only to measure what fencing is worth)."""
    sections = list(sections)
    tags = [tag for tag, _ in sections]
    return "\n\n".join(f"<{tag}>\n{fence(text, tags) if escape else text}\n</{tag}>" for tag, text in sections)


def render_trace(trace: Trace) -> str:
    """A compact JSON view of the spans: the tree, types, inputs, outputs and status."""
    spans = [
        {
            "span_id": s.span_id,
            "parent_id": s.parent_id,
            "name": s.name,
            "span_type": s.span_type,
            "inputs": s.inputs,
            "outputs": s.outputs,
            **({"status": s.status} if s.status not in ("OK", "UNSET", "STATUS_CODE_OK", "STATUS_CODE_UNSET") else {}),
        }
        for s in trace.spans
    ]
    return json.dumps({"trace_id": trace.trace_id, "spans": spans}, ensure_ascii=False, indent=1, default=str)


def _text_of(value: Any) -> str:
    """The human text of a request or response value (a string, a messages list, a dict with one text field)."""
    if isinstance(value, str):
        return render_value(value)
    if isinstance(value, dict):
        for k in ("content", "question", "query", "request", "input", "prompt", "text", "response", "answer", "output"):
            if isinstance(value.get(k), str):
                return render_value(value[k])
        msgs = value.get("messages")
        if isinstance(msgs, list) and msgs:
            last = msgs[-1]
            if isinstance(last, dict) and isinstance(last.get("content"), str):
                return str(last["content"])
        choices = value.get("choices")
        if isinstance(choices, list) and choices:
            msg = choices[0].get("message") if isinstance(choices[0], dict) else None
            if isinstance(msg, dict) and isinstance(msg.get("content"), str):
                return str(msg["content"])
    return render_value(value)


def conversation_turns(session: Any) -> list[tuple[str, str]]:
    """``[(role, text), ...]`` from a session: turns as {role, content}, {inputs, outputs}, or traces."""
    from jurist.errors import ConfigError

    if not isinstance(session, (list, tuple)) or not session:
        raise ConfigError(
            "session must be a non-empty list of turns: {'role', 'content'} messages, "
            "{'inputs', 'outputs'} exchanges, or traces"
        )
    turns: list[tuple[str, str]] = []
    for item in session:
        if isinstance(item, Trace) or (isinstance(item, dict) and ("spans" in item or "data" in item)):
            t = Trace.coerce(item)
            turns.append(("user", _text_of(t.inputs)))
            turns.append(("assistant", _text_of(t.outputs)))
        elif isinstance(item, dict) and "role" in item:
            turns.append((str(item["role"]), _text_of(item.get("content"))))
        elif isinstance(item, dict) and ("inputs" in item or "outputs" in item):
            if item.get("inputs") is not None:
                turns.append(("user", _text_of(item["inputs"])))
            if item.get("outputs") is not None:
                turns.append(("assistant", _text_of(item["outputs"])))
        else:
            raise ConfigError(
                f"cannot read a conversation turn from {type(item).__name__}: give {{'role', 'content'}}, "
                "{'inputs', 'outputs'} or a trace"
            )
    return turns


def render_conversation(session: Any) -> str:
    return "\n\n".join(f"{role}: {text}" for role, text in conversation_turns(session))
