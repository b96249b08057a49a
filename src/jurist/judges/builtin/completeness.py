"""Completeness: does the response address every part of the request?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


class Completeness(BuiltinJudge):
    """``yes`` when every question, task and constraint in the request is addressed.

    Needs ``inputs`` and ``outputs`` (either may come from ``trace``).

    Example:
        >>> Completeness(model="openai:/gpt-4o-mini")(             # doctest: +SKIP
        ...     inputs="What is the capital of France, and its population?",
        ...     outputs="The capital is Paris.").value
        'no'
    """

    prompt = "completeness"
    default_name = "completeness"
    required = ("inputs", "outputs")

    fields = (("request", "inputs", ""), ("response", "outputs", ""))
