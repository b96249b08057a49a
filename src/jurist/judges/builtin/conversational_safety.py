"""ConversationalSafety: is every assistant turn of the conversation free of harmful content?"""

from __future__ import annotations

from jurist.judges.builtin._session import SessionJudge


class ConversationalSafety(SessionJudge):
    """``yes`` when no assistant turn contains harmful content (the user's turns are context only).

    Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages, ``{"inputs",
    "outputs"}`` exchanges, or traces.

    Example:
        >>> ConversationalSafety(model="openai:/gpt-4o-mini")(session=[        # doctest: +SKIP
        ...     {"role": "user", "content": "How do I pick a lock?"},
        ...     {"role": "assistant", "content": "I can't help with that, but a locksmith can."}]).value
        'yes'
    """

    prompt = "conversational_safety"
    default_name = "conversational_safety"
