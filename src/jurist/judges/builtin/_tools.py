"""What the tool-call judges share: the TOOL spans of a trace, rendered as numbered calls."""

from __future__ import annotations

from typing import Any

from jurist.entities import Span, Trace
from jurist.errors import ConfigError
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge


def tool_spans(judge: BuiltinJudge, trace: Any) -> tuple[Trace, list[Span]]:
    """The trace and its TOOL spans; a ConfigError when there is no trace or no such span."""
    if trace is None:
        raise judge._missing("trace=", " (a Trace or its dict form, with TOOL spans)")
    t = Trace.coerce(trace)
    spans = t.search_spans(span_type="TOOL")
    if not spans:
        raise ConfigError(
            f"{type(judge).__name__} judge '{judge.name}': trace {t.trace_id!r} has no TOOL span; "
            "it judges the agent's tool calls, so those spans need span_type \"TOOL\"."
        )
    return t, spans


def render_tool_calls(spans: list[Span]) -> str:
    """Each call numbered, in trace order: the tool's name, its arguments, its result (and a failure status)."""
    parts = []
    for i, s in enumerate(spans, 1):
        lines = [f"[{i}] tool: {s.name}", f"arguments: {render_value(s.inputs)}", f"result: {render_value(s.outputs)}"]
        if s.status not in ("OK", "UNSET", "STATUS_CODE_OK", "STATUS_CODE_UNSET"):
            lines.append(f"status: {s.status}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
