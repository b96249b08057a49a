"""Correctness: does the response agree with the expected answer or facts?"""

from __future__ import annotations

from jurist.judges.builtin._common import BuiltinJudge


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

    fields = (("request", "inputs", ""), ("response", "outputs", ""))
    expects = ("expected", ("expected_response", "expected_facts"))
