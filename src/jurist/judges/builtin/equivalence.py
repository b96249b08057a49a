"""Equivalence: does the output mean the same as the expected response?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, expectation_value, from_trace


class Equivalence(BuiltinJudge):
    """``yes`` when the output conveys the same information as the expected response, in any wording.

    Needs ``outputs`` and ``expectations`` with ``expected_response``; ``inputs``, when given (or found
    in ``trace``), is shown to the model as context.

    Example:
        >>> Equivalence(model="openai:/gpt-4o-mini")(              # doctest: +SKIP
        ...     outputs="Four.", expectations={"expected_response": "4"}).value
        'yes'
    """

    prompt = "equivalence"
    default_name = "equivalence"
    required = ("outputs", "expectations")

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        if outputs is None:
            raise self._missing("outputs=")
        expected = expectation_value(expectations, "expected_response")
        if expected is None:
            raise self._missing("expectations=", " with 'expected_response'")
        sections = [("response", render_value(outputs)), ("expected", render_value(expected))]
        if inputs is not None:
            sections.insert(0, ("request", render_value(inputs)))
        return [Unit(tuple(sections), trace_id=t.trace_id if t else None)]
