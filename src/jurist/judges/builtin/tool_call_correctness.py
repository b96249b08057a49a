"""ToolCallCorrectness: did the agent call the right tools with the right arguments?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, expectation_value
from jurist.judges.builtin._tools import render_tool_calls, tool_spans


class ToolCallCorrectness(BuiltinJudge):
    """``yes`` when the trace's tool calls are the ones the request needs, with sensible arguments.

    Needs ``trace`` with at least one TOOL span; returns one Feedback for the trace. The request is the
    root span's inputs (or ``inputs``, when given). When ``expectations["expected_tool_calls"]`` is
    given, the calls must also match it.

    Example:
        >>> ToolCallCorrectness(model="openai:/gpt-4o-mini")(     # doctest: +SKIP
        ...     trace=trace, expectations={"expected_tool_calls": [
        ...         {"name": "get_weather", "arguments": {"city": "Paris"}}]}).value
        'yes'
    """

    prompt = "tool_call_correctness"
    default_name = "tool_call_correctness"
    required = ("trace",)

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        t, spans = tool_spans(self, trace)
        request = inputs if inputs is not None else t.inputs
        sections = [("request", render_value(request)), ("tool_calls", render_tool_calls(spans))]
        expected = expectation_value(expectations, "expected_tool_calls")
        if expected is not None:
            sections.append(("expected_tool_calls", render_value(expected)))
        return [Unit(tuple(sections), trace_id=t.trace_id)]
