"""Guidelines: does the response follow every one of the judge's guidelines?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import from_trace
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

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        if inputs is None:
            raise self._missing("inputs=")
        if outputs is None:
            raise self._missing("outputs=")
        return [Unit((("request", render_value(inputs)), ("response", render_value(outputs))),
                     trace_id=t.trace_id if t else None)]
