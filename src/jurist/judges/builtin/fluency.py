"""Fluency: is the response natural, grammatical language?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


class Fluency(BuiltinJudge):
    """``yes`` when the response reads as fluent, grammatical, natural language.

    Needs ``outputs`` (or a ``trace`` whose root span has them).

    Example:
        >>> Fluency(model="openai:/gpt-4o-mini")(                  # doctest: +SKIP
        ...     outputs="The meeting moved to Thursday at ten.").value
        'yes'
    """

    prompt = "fluency"
    default_name = "fluency"
    required = ("outputs",)

    fields = (("response", "outputs", ""),)
