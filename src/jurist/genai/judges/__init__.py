"""``jurist.genai.judges``: MLflow's ``mlflow.genai.judges`` — ``make_judge`` and the functional judges
(``is_correct``, ``is_grounded``, ``is_safe``, ``is_context_relevant``, ``is_context_sufficient``,
``meets_guidelines``, ``custom_prompt_judge``).

Each functional judge calls the matching built-in judge once and returns its :class:`Feedback`; the
retrieval ones build a two-span trace (the request and response, and one RETRIEVER span holding
``context``) so that the same judge that reads production traces reads the given context.

Example:
    >>> from jurist.genai.judges import is_correct                          # doctest: +SKIP
    >>> is_correct(request="Capital of France?", response="Paris",          # doctest: +SKIP
    ...            expected_facts=["Paris is the capital of France"]).value
    'yes'
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from jurist.entities import Feedback, Span, Trace
from jurist.errors import ConfigError
from jurist.genai._prompt_judge import custom_prompt_judge
from jurist.judges import make_judge


class CategoricalRating(str, Enum):
    """The verdicts of yes/no judges, as MLflow names them: ``feedback.value == CategoricalRating.YES``.

    Example:
        >>> CategoricalRating.YES == "yes"
        True
    """

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


#: The feedback names MLflow's functional judges give when ``name=`` is not passed.
DEFAULT_NAMES = {"Correctness": "correctness", "RetrievalGroundedness": "groundedness",
                 "RetrievalRelevance": "relevance_to_context", "RetrievalSufficiency": "context_sufficiency",
                 "Safety": "safety", "Guidelines": "guidelines"}


def _judge(kind: str, name: str | None, model: str | None, **extra: Any) -> Any:
    from jurist import judges

    cls = getattr(judges, kind)
    return cls(name=name or DEFAULT_NAMES[kind], model=model, **extra)


def _context_docs(context: Any) -> list[dict[str, Any]]:
    """``context`` as retrieved documents: a string, a list of strings, or documents as dicts/Documents."""
    if context is None:
        raise ConfigError("context is required: the retrieved text (a string, a list of strings or documents)")
    items = context if isinstance(context, (list, tuple)) else [context]
    docs: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            docs.append({"page_content": item})
        elif isinstance(item, dict):
            docs.append(dict(item))
        elif hasattr(item, "page_content"):
            docs.append({"page_content": item.page_content, "metadata": dict(getattr(item, "metadata", {}) or {})})
        else:
            docs.append({"page_content": str(item)})
    return docs


def _retrieval_trace(request: Any, response: Any, context: Any) -> Trace:
    spans = [Span(name="app", span_id="root", span_type="CHAIN", inputs=request, outputs=response),
             Span(name="retrieve", span_id="retriever", parent_id="root", span_type="RETRIEVER",
                  inputs=request, outputs=_context_docs(context))]
    return Trace(trace_id="functional-judge", spans=spans)


def _one(result: Any) -> Feedback:
    fb = result[0] if isinstance(result, list) else result
    fb.trace_id = None  # the trace was made up for the call; nothing to attach it to
    fb.span_id = None
    return fb  # type: ignore[no-any-return]


def _expectations(expected_facts: Any, expected_response: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if expected_facts is not None:
        out["expected_facts"] = list(expected_facts)
    if expected_response is not None:
        out["expected_response"] = expected_response
    if not out:
        raise ConfigError("give expected_facts= or expected_response=")
    return out


def is_correct(*, request: Any, response: Any, expected_facts: list[str] | None = None,
               expected_response: str | None = None, name: str | None = None, model: str | None = None) -> Feedback:
    """``yes`` when ``response`` states the expected facts (or answer) and contradicts none."""
    return _judge("Correctness", name, model)(  # type: ignore[no-any-return]
        inputs=request, outputs=response, expectations=_expectations(expected_facts, expected_response))


def is_grounded(*, request: Any, response: Any, context: Any, name: str | None = None,
                model: str | None = None) -> Feedback:
    """``yes`` when ``response`` is supported by ``context`` (the retrieved text)."""
    return _one(_judge("RetrievalGroundedness", name, model)(trace=_retrieval_trace(request, response, context)))


def is_context_relevant(*, request: Any, context: Any, name: str | None = None,
                        model: str | None = None) -> Feedback:
    """``yes`` when ``context`` is relevant to ``request``."""
    return _one(_judge("RetrievalRelevance", name, model)(trace=_retrieval_trace(request, None, context)))


def is_context_sufficient(*, request: Any, context: Any, expected_facts: list[str] | None = None,
                          expected_response: str | None = None, name: str | None = None,
                          model: str | None = None) -> Feedback:
    """``yes`` when ``context`` holds what is needed to give the expected answer."""
    judge = _judge("RetrievalSufficiency", name, model)
    return _one(judge(trace=_retrieval_trace(request, None, context),
                      expectations=_expectations(expected_facts, expected_response)))


def is_safe(*, content: Any, name: str | None = None, model: str | None = None) -> Feedback:
    """``yes`` when ``content`` is free of harmful material."""
    return _judge("Safety", name, model)(outputs=content)  # type: ignore[no-any-return]


def meets_guidelines(*, guidelines: str | list[str], context: dict[str, Any], name: str | None = None,
                     model: str | None = None) -> Feedback:
    """``yes`` when ``context`` (usually ``{"request": ..., "response": ...}``) follows every guideline."""
    if not isinstance(context, dict):
        raise ConfigError("meets_guidelines takes context= as a dict, e.g. {'request': ..., 'response': ...}")
    rest = {k: v for k, v in context.items() if k != "response"}
    outputs = context.get("response", context)
    judge = _judge("Guidelines", name, model, guidelines=guidelines)
    return judge(inputs=rest or context, outputs=outputs)  # type: ignore[no-any-return]


__all__ = ["CategoricalRating", "custom_prompt_judge", "is_context_relevant", "is_context_sufficient", "is_correct", "is_grounded",
           "is_safe", "make_judge", "meets_guidelines"]
