"""KnowledgeRetention: does the assistant remember and use what the user said earlier?"""

from __future__ import annotations

from jurist.judges.builtin._session import SessionJudge


class KnowledgeRetention(SessionJudge):
    """``yes`` when no assistant turn forgets, contradicts or asks again for what the user already said.

    Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages, ``{"inputs",
    "outputs"}`` exchanges, or traces.

    Example:
        >>> KnowledgeRetention(model="openai:/gpt-4o-mini")(session=[          # doctest: +SKIP
        ...     {"inputs": "I'm vegetarian. Dinner idea?", "outputs": "Mushroom risotto."},
        ...     {"inputs": "Another one?", "outputs": "Beef stew."}]).value
        'no'
    """

    prompt = "knowledge_retention"
    default_name = "knowledge_retention"
