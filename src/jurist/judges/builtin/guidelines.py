"""Guidelines: does the response follow every one of the judge's guidelines?"""

from __future__ import annotations

from jurist.judges.builtin._guided import GuidedJudge


class Guidelines(GuidedJudge):
    """``yes`` when the response follows all of ``guidelines`` (a string or a list of strings).

    The guidelines are fixed for the judge and sit in its system prompt, the same for every row. For
    guidelines that differ per row, use :class:`ExpectationsGuidelines`.

    Needs ``inputs`` and ``outputs`` (either may come from ``trace``).

    Example:
        >>> judge = Guidelines(guidelines=["Answer in English.", "Do not mention competitors."],
        ...                    name="house_rules", model="openai:/gpt-4o-mini")
        >>> judge(inputs="Best phone?", outputs="Ours, the X2.").value   # doctest: +SKIP
        'yes'
    """

    prompt = "guidelines"
    default_name = "guidelines"
    required = ("inputs", "outputs")

    fields = (("request", "inputs", ""), ("response", "outputs", ""))
