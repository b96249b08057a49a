"""RetrievalRelevance: are the documents each retrieval step returned relevant to the request?"""

from __future__ import annotations

from typing import Any

from jurist.entities import Span, Trace
from jurist.judges._render import render_value
from jurist.judges.builtin._retrieval import RetrievalJudge, render_documents, span_documents


class RetrievalRelevance(RetrievalJudge):
    """``yes`` when each document a retriever span returned is relevant to the request.

    Needs ``trace`` with at least one RETRIEVER span; returns one Feedback per RETRIEVER span (its
    ``span_id`` set). The request is the root span's inputs; the rationale names irrelevant documents.

    Example:
        >>> feedbacks = RetrievalRelevance(model="openai:/gpt-4o-mini")(trace=trace)   # doctest: +SKIP
        >>> [(f.span_id, f.value) for f in feedbacks]                               # doctest: +SKIP
        [('retrieve-1', 'no')]
    """

    prompt = "retrieval_relevance"
    default_name = "retrieval_relevance"
    required = ("trace",)

    def span_sections(self, trace: Trace, span: Span, expectations: Any) -> tuple[tuple[str, str], ...]:
        return (("request", render_value(trace.inputs)), ("context", render_documents(span_documents(span))))
