"""ExpectationsGuidelines: does the response follow the guidelines given with its row?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import (
    BuiltinJudge,
    expectation_value,
    from_trace,
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

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        if inputs is None:
            raise self._missing("inputs=")
        if outputs is None:
            raise self._missing("outputs=")
        guidelines = expectation_value(expectations, "guidelines")
        if guidelines is None:
            raise self._missing("expectations=", " with 'guidelines'")
        return [Unit(
            (("request", render_value(inputs)), ("response", render_value(outputs)),
             ("guidelines", render_guidelines(guideline_list(guidelines)))),
            trace_id=t.trace_id if t else None,
        )]
