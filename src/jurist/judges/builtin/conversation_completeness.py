"""ConversationCompleteness: did the assistant address every request the user made in the conversation?"""

from __future__ import annotations

from jurist.judges.builtin._session import SessionJudge


class ConversationCompleteness(SessionJudge):
    """``yes`` when, by the end of the conversation, every user request has been addressed.

    Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages, ``{"inputs",
    "outputs"}`` exchanges, or traces.

    Example:
        >>> ConversationCompleteness(model="openai:/gpt-4o-mini")(session=[   # doctest: +SKIP
        ...     {"role": "user", "content": "Book a table for two, and what's the weather?"},
        ...     {"role": "assistant", "content": "Booked for 8pm."}]).value
        'no'
    """

    prompt = "conversation_completeness"
    default_name = "conversation_completeness"
