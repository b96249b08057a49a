"""RetrievalSufficiency: does what each retrieval step returned hold everything the expected answer needs?"""

from __future__ import annotations

from typing import Any

from jurist.entities import Span, Trace
from jurist.judges._render import render_value
from jurist.judges.builtin._common import expectation_value
from jurist.judges.builtin._retrieval import RetrievalJudge, render_documents, span_documents

_KEYS = ("expected_response", "expected_facts")


class RetrievalSufficiency(RetrievalJudge):
    """``yes`` when a retriever span's documents contain every fact of the expected answer.

    Needs ``trace`` with at least one RETRIEVER span and ``expectations`` with ``expected_response``
    or ``expected_facts``; returns one Feedback per RETRIEVER span (its ``span_id`` set).

    Example:
        >>> RetrievalSufficiency(model="openai:/gpt-4o-mini")(     # doctest: +SKIP
        ...     trace=trace, expectations={"expected_facts": ["Paris is the capital of France."]})
        [Feedback(name='retrieval_sufficiency', value='yes', ...)]
    """

    prompt = "retrieval_sufficiency"
    default_name = "retrieval_sufficiency"
    required = ("trace", "expectations")

    def check(self, expectations: Any) -> None:
        if expectation_value(expectations, *_KEYS) is None:
            raise self._missing("expectations=", " with 'expected_response' or 'expected_facts'")

    def span_sections(self, trace: Trace, span: Span, expectations: Any) -> tuple[tuple[str, str], ...]:
        expected = expectation_value(expectations, *_KEYS)
        return (("request", render_value(trace.inputs)), ("context", render_documents(span_documents(span))),
                ("expected", render_value(expected)))
