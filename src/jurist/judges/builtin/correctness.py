"""Correctness: does the response agree with the expected answer or facts?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, expectation_value, from_trace


class Correctness(BuiltinJudge):
    """``yes`` when the response states the expected facts (or the expected response) and contradicts none.

    Needs ``inputs``, ``outputs`` and ``expectations`` with ``expected_response`` or ``expected_facts``
    (``inputs``/``outputs`` may come from ``trace``).

    Example:
        >>> Correctness(model="openai:/gpt-4o-mini")(           # doctest: +SKIP
        ...     inputs={"question": "What is the capital of France?"}, outputs="Paris.",
        ...     expectations={"expected_response": "Paris"}).value
        'yes'
    """

    prompt = "correctness"
    default_name = "correctness"
    required = ("inputs", "outputs", "expectations")

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        if inputs is None:
            raise self._missing("inputs=")
        if outputs is None:
            raise self._missing("outputs=")
        expected = expectation_value(expectations, "expected_response", "expected_facts")
        if expected is None:
            raise self._missing("expectations=", " with 'expected_response' or 'expected_facts'")
        return [Unit(
            (("request", render_value(inputs)), ("response", render_value(outputs)),
             ("expected", render_value(expected))),
            trace_id=t.trace_id if t else None,
        )]
