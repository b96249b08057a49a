"""Completeness: does the response address every part of the request?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, from_trace


class Completeness(BuiltinJudge):
    """``yes`` when every question, task and constraint in the request is addressed.

    Needs ``inputs`` and ``outputs`` (either may come from ``trace``).

    Example:
        >>> Completeness(model="openai:/gpt-4o-mini")(             # doctest: +SKIP
        ...     inputs="What is the capital of France, and its population?",
        ...     outputs="The capital is Paris.").value
        'no'
    """

    prompt = "completeness"
    default_name = "completeness"
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
