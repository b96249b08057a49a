"""Fluency: is the response natural, grammatical language?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, from_trace


class Fluency(BuiltinJudge):
    """``yes`` when the response reads as fluent, grammatical, natural language.

    Needs ``outputs`` (or a ``trace`` whose root span has them).

    Example:
        >>> Fluency(model="openai:/gpt-4o-mini")(                  # doctest: +SKIP
        ...     outputs="The meeting moved to Thursday at ten.").value
        'yes'
    """

    prompt = "fluency"
    default_name = "fluency"
    required = ("outputs",)

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        _, outputs, t = from_trace(trace, None, outputs)
        if outputs is None:
            raise self._missing("outputs=")
        return [Unit((("response", render_value(outputs)),), trace_id=t.trace_id if t else None)]
