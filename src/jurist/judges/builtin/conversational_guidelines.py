"""ConversationalGuidelines: does every assistant turn follow the judge's guidelines?"""

from __future__ import annotations

from jurist.judges.builtin._guided import GuidedJudge
from jurist.judges.builtin._session import SessionJudge


class ConversationalGuidelines(GuidedJudge, SessionJudge):
    """``yes`` when every assistant turn of the conversation follows all of ``guidelines``.

    The guidelines (a string or a list of strings) are fixed for the judge and sit in its system
    prompt. Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages,
    ``{"inputs", "outputs"}`` exchanges, or traces.

    Example:
        >>> judge = ConversationalGuidelines(guidelines=["Never promise a delivery date."],
        ...                                  model="openai:/gpt-4o-mini")
        >>> judge(session=[{"role": "user", "content": "When will it arrive?"},     # doctest: +SKIP
        ...                {"role": "assistant", "content": "Surely by Friday!"}]).value
        'no'
    """

    prompt = "conversational_guidelines"
    default_name = "conversational_guidelines"
