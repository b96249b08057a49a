"""RetrievalGroundedness: is the response supported by what each retrieval step returned?"""

from __future__ import annotations

from typing import Any

from jurist.entities import Span, Trace
from jurist.judges._render import render_value
from jurist.judges.builtin._retrieval import RetrievalJudge, render_documents, span_documents


class RetrievalGroundedness(RetrievalJudge):
    """``yes`` when every factual claim of the trace's response is supported by a retriever span's documents.

    Needs ``trace`` with at least one RETRIEVER span; returns one Feedback per RETRIEVER span (its
    ``span_id`` set). The request and response are the root span's inputs and outputs.

    Example:
        >>> feedbacks = RetrievalGroundedness(model="openai:/gpt-4o-mini")(trace=trace)   # doctest: +SKIP
        >>> [(f.span_id, f.value) for f in feedbacks]                                  # doctest: +SKIP
        [('retrieve-1', 'yes')]
    """

    prompt = "retrieval_groundedness"
    default_name = "retrieval_groundedness"
    required = ("trace",)

    def span_sections(self, trace: Trace, span: Span, expectations: Any) -> tuple[tuple[str, str], ...]:
        return (("request", render_value(trace.inputs)), ("response", render_value(trace.outputs)),
                ("context", render_documents(span_documents(span))))
