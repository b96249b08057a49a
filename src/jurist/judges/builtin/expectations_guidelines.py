"""ExpectationsGuidelines: does the response follow the guidelines given with its row?"""

from __future__ import annotations

from typing import Any

from jurist.judges.builtin._common import (
    BuiltinJudge,
    guideline_list,
    render_guidelines,
)


class ExpectationsGuidelines(BuiltinJudge):
    """``yes`` when the response follows all of the row's ``expectations["guidelines"]``.

    Needs ``inputs``, ``outputs`` (either may come from ``trace``) and ``expectations`` with
    ``guidelines``, a string or a list of strings.

    Example:
        >>> ExpectationsGuidelines(model="openai:/gpt-4o-mini")(   # doctest: +SKIP
        ...     inputs="Refund policy?", outputs="You can return items within 30 days.",
        ...     expectations={"guidelines": ["Mention the 30-day window."]}).value
        'yes'
    """

    prompt = "expectations_guidelines"
    default_name = "expectations_guidelines"
    required = ("inputs", "outputs", "expectations")

    fields = (("request", "inputs", ""), ("response", "outputs", ""))
    expects = ("guidelines", ("guidelines",))

    def render_expected(self, value: Any) -> str:
        return render_guidelines(guideline_list(value))
