"""ToolCallEfficiency: did the agent avoid redundant or unnecessary tool calls?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge
from jurist.judges.builtin._tools import render_tool_calls, tool_spans


class ToolCallEfficiency(BuiltinJudge):
    """``yes`` when no TOOL span of the trace repeats an earlier call or asks for what was already known.

    Needs ``trace`` with at least one TOOL span; returns one Feedback for the trace. The request is the
    root span's inputs (or ``inputs``, when given).

    Example:
        >>> ToolCallEfficiency(model="openai:/gpt-4o-mini")(trace=trace).value   # doctest: +SKIP
        'yes'
    """

    prompt = "tool_call_efficiency"
    default_name = "tool_call_efficiency"
    required = ("trace",)

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        t, spans = tool_spans(self, trace)
        request = inputs if inputs is not None else t.inputs
        return [Unit((("request", render_value(request)), ("tool_calls", render_tool_calls(spans))),
                     trace_id=t.trace_id)]
