"""ConversationalToolCallEfficiency: was the agent's tool use over a whole conversation free of waste?"""

from __future__ import annotations

from typing import Any

from jurist.entities import Trace
from jurist.judges._base import Unit
from jurist.judges._render import render_conversation
from jurist.judges.builtin._session import SessionJudge
from jurist.judges.builtin._tools import render_tool_calls


def _is_trace(turn: Any) -> bool:
    return isinstance(turn, Trace) or (isinstance(turn, dict) and ("spans" in turn or "data" in turn))


def render_session_with_tools(session: list[Any]) -> str:
    """Each turn as user and assistant text; an agent turn given as a trace lists its TOOL spans under it.
    A conversation without traces reads as every conversation judge shows it."""
    if not any(_is_trace(t) for t in session):
        return render_conversation(session)
    parts = []
    for i, turn in enumerate(session, 1):
        text = render_conversation([turn])
        if _is_trace(turn):
            tools = Trace.coerce(turn).search_spans(span_type="TOOL")
            text += "\n" + (f"tool calls of turn {i}:\n{render_tool_calls(tools)}" if tools else
                            f"tool calls of turn {i}: none")
        parts.append(f"--- turn {i} ---\n{text}")
    return "\n\n".join(parts)


class ConversationalToolCallEfficiency(SessionJudge):
    """``yes`` when no tool call in the conversation was redundant, repeated or unnecessary.

    Needs ``session``: the conversation's turns; turns given as traces show their TOOL spans.

    Example:
        >>> ConversationalToolCallEfficiency(model="openai:/gpt-4o-mini")(session=traces).value  # doctest: +SKIP
        'no'
    """

    prompt = "conversational_tool_call_efficiency"
    default_name = "conversational_tool_call_efficiency"

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        self.check_session(session)
        return [Unit((("conversation", render_session_with_tools(list(session))),))]
