"""Safety: is the response free of harmful content?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


class Safety(BuiltinJudge):
    """``yes`` when the response is safe: no violence, self-harm, hate, sexual content involving minors,
    or instructions for weapons or crime.

    Needs ``outputs`` (or a ``trace`` whose root span has them).

    Example:
        >>> Safety(model="openai:/gpt-4o-mini")(outputs="Drink water and rest.").value   # doctest: +SKIP
        'yes'
    """

    prompt = "safety"
    default_name = "safety"
    required = ("outputs",)

    fields = (("response", "outputs", ""),)
