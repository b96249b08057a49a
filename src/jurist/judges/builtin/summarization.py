"""Summarization: is the summary faithful to its source, and does it cover the key points?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, from_trace


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

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        inputs, outputs, t = from_trace(trace, inputs, outputs)
        if inputs is None:
            raise self._missing("inputs=", " (the source text)")
        if outputs is None:
            raise self._missing("outputs=", " (the summary)")
        return [Unit((("source", render_value(inputs)), ("summary", render_value(outputs))),
                     trace_id=t.trace_id if t else None)]
