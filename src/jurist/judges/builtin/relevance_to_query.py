"""RelevanceToQuery: does the response address the request?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_value
from jurist.judges.builtin._common import BuiltinJudge, from_trace


class RelevanceToQuery(BuiltinJudge):
    """``yes`` when the response addresses what the request asks, whether or not it is correct.

    Needs ``inputs`` and ``outputs`` (either may come from ``trace``).

    Example:
        >>> RelevanceToQuery(model="openai:/gpt-4o-mini")(     # doctest: +SKIP
        ...     inputs={"question": "How do I reset my password?"},
        ...     outputs="Open Settings, choose Security, then Reset password.").value
        'yes'
    """

    prompt = "relevance_to_query"
    default_name = "relevance_to_query"
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
