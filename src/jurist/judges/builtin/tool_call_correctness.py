"""ToolCallCorrectness: did the agent call the right tools with the right arguments?"""

from __future__ import annotations

from typing import Any

from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
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
    extra_fields = ("should_exact_match", "should_consider_ordering")

    def __init__(self, name: str | None = None, model: str | None = None, *, should_exact_match: bool = False,
                 should_consider_ordering: bool = False, **kwargs: Any) -> None:
        #: With expected tool calls: compare names and arguments directly instead of asking the model.
        self.should_exact_match = bool(should_exact_match)
        #: With exact matching: the calls must come in the expected order.
        self.should_consider_ordering = bool(should_consider_ordering)
        super().__init__(name, model, **kwargs)

    async def _run(self, **kwargs: Any) -> list[Feedback]:
        expected = expectation_value(kwargs.get("expectations"), "expected_tool_calls")
        if not self.should_exact_match or expected is None:
            return await super()._run(**kwargs)
        t, spans = tool_spans(self, kwargs.get("trace"))
        ok, why = match_calls([(s.name, s.inputs) for s in spans], list(expected), self.should_consider_ordering)
        return [Feedback(name=self.name, value="yes" if ok else "no", rationale=why,
                         source=AssessmentSource(AssessmentSourceType.CODE, "exact_match"), trace_id=t.trace_id)]

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        t, spans = tool_spans(self, trace)
        request = inputs if inputs is not None else t.inputs
        sections = [("request", render_value(request)), ("tool_calls", render_tool_calls(spans))]
        expected = expectation_value(expectations, "expected_tool_calls")
        if expected is not None:
            sections.append(("expected_tool_calls", render_value(expected)))
        return [Unit(tuple(sections), trace_id=t.trace_id)]


def _same(call: tuple[str, Any], want: Any) -> bool:
    if not isinstance(want, dict) or call[0] != want.get("name"):
        return False
    return "arguments" not in want or call[1] == want["arguments"]


def match_calls(actual: list[tuple[str, Any]], expected: list[Any], ordered: bool) -> tuple[bool, str]:
    """Whether the calls made are exactly the expected ones (names, and arguments where given), and why."""
    made = ", ".join(name for name, _ in actual) or "none"
    if len(actual) != len(expected):
        return False, f"{len(actual)} tool call(s) were made ({made}), {len(expected)} were expected."
    if ordered:
        for i, (call, want) in enumerate(zip(actual, expected, strict=True), 1):
            if not _same(call, want):
                return False, f"Call {i} was {call[0]}({render_value(call[1])}), expected {render_value(want)}."
        return True, f"The tool calls ({made}) match the expected ones, in order."
    unused = list(range(len(actual)))
    for want in expected:
        hit = next((i for i in unused if _same(actual[i], want)), None)
        if hit is None:
            return False, f"No call matches the expected {render_value(want)}; the calls were {made}."
        unused.remove(hit)
    return True, f"The tool calls ({made}) match the expected ones."
