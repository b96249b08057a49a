"""RelevanceToQuery: does the response address the request?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


class RelevanceToQuery(BuiltinJudge):
    """``yes`` when the response addresses what the request asks, whether or not it is correct.

    Needs ``inputs`` and ``outputs`` (either may come from ``trace``).

    Example:
        >>> RelevanceToQuery(model="openai:/gpt-4o-mini")(     # doctest: +SKIP
        ...     inputs={"question": "How do I reset my password?"},
        ...     outputs="Open Settings, choose Security, then Reset password.").value
        'yes'
    """

    prompt = "relevance_to_query"
    default_name = "relevance_to_query"
    required = ("inputs", "outputs")

    fields = (("request", "inputs", ""), ("response", "outputs", ""))
