"""Summarization: is the summary faithful to its source, and does it cover the key points?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


class Summarization(BuiltinJudge):
    """``yes`` when the summary (``outputs``) invents nothing and covers the key points of the source (``inputs``).

    Needs ``inputs`` (the source text) and ``outputs`` (the summary); either may come from ``trace``.

    Example:
        >>> Summarization(model="openai:/gpt-4o-mini")(            # doctest: +SKIP
        ...     inputs="Revenue rose 12% in Q3, driven by cloud sales; costs were flat.",
        ...     outputs="Q3 revenue grew 12% on cloud sales while costs held steady.").value
        'yes'
    """

    prompt = "summarization"
    default_name = "summarization"
    required = ("inputs", "outputs")

    fields = (("source", "inputs", " (the source text)"), ("summary", "outputs", " (the summary)"))
