"""UserFrustration: was the user frustrated, and if so, was it resolved by the end?"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from jurist.judges.builtin._session import SessionJudge


class UserFrustration(SessionJudge):
    """Was the user frustrated, and was it resolved? ``none``, ``resolved`` or ``unresolved``.

    ``none``: the user never shows frustration; ``resolved``: frustrated, then satisfied by the end;
    ``unresolved``: still frustrated at the end, or gave up.

    Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages, ``{"inputs",
    "outputs"}`` exchanges, or traces.

    Example:
        >>> UserFrustration(model="openai:/gpt-4o-mini")(session=[             # doctest: +SKIP
        ...     {"role": "user", "content": "Cancel my order."},
        ...     {"role": "assistant", "content": "Here are our new products!"},
        ...     {"role": "user", "content": "I SAID cancel it. Forget it."}]).value
        'unresolved'
    """

    prompt = "user_frustration"
    default_name = "user_frustration"
    default_value_type: ClassVar[Any] = Literal["none", "resolved", "unresolved"]
