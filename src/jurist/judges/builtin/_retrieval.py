"""What the retrieval judges share: one judgment per RETRIEVER span, and its documents rendered numbered."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jurist.entities import AssessmentError, Span, Trace
from jurist.errors import ConfigError
from jurist.judges._base import Unit
from jurist.judges._render import render_value, rendering
from jurist.judges.builtin._common import BuiltinJudge

_TEXT_KEYS = ("page_content", "content", "text", "document", "chunk", "body")
_SOURCE_KEYS = ("source", "doc_uri", "url", "uri", "title", "id", "document_id", "chunk_id")


def _documents(outputs: Any) -> list[Any]:
    if outputs is None:
        return []
    if isinstance(outputs, Mapping):
        for k in ("documents", "docs", "results", "chunks"):
            if isinstance(outputs.get(k), list):
                return list(outputs[k])
        return [outputs]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def _document(doc: Any) -> tuple[str, str | None]:
    """``(text, source)`` of one retrieved document: a string, or a dict in LangChain's, MLflow's or a plain form."""
    if isinstance(doc, str):
        return doc, None
    if isinstance(doc, Mapping):
        text = next((doc[k] for k in _TEXT_KEYS if isinstance(doc.get(k), str)), None)
        meta = doc.get("metadata")
        where = meta if isinstance(meta, Mapping) else {}
        source = next((str(m[k]) for m in (where, doc) for k in _SOURCE_KEYS if m.get(k) not in (None, "")), None)
        if text is not None:
            return text, source
    return render_value(doc), None


#: OpenInference's retriever attributes: ``retrieval.documents.<n>.document.<field>``.
_OPENINFERENCE_DOC = re.compile(r"^retrieval\.documents\.(\d+)\.document\.(content|id|score|metadata)$")


def openinference_documents(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The documents of a retriever span as OpenInference's instrumentations write them (flattened
    attributes, ``metadata`` as JSON text), in their order; [] when there are none."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        m = _OPENINFERENCE_DOC.match(key) if key.startswith("retrieval.documents.") else None
        if m is None:
            continue
        if m.group(2) == "metadata" and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    docs = []
    for _, doc in sorted(found.items()):
        if doc.get("content") in (None, ""):
            continue  # an id without its text is nothing a judge can read
        raw_meta = doc.get("metadata")
        meta: dict[str, Any] = dict(raw_meta) if isinstance(raw_meta, Mapping) else {}
        if doc.get("id") not in (None, "") and "id" not in meta:
            meta = {**meta, "id": doc["id"]}
        docs.append({"content": doc.get("content") if isinstance(doc.get("content"), str) else
                     render_value(doc.get("content")), "metadata": meta,
                     **({"score": doc["score"]} if doc.get("score") is not None else {})})
    return docs


def span_documents(span: Span) -> list[Any]:
    """What a retriever span retrieved: OpenInference's document attributes when it has them, else its
    outputs (a list of documents, or ``{"documents": [...]}`` and the like)."""
    docs: list[Any] = openinference_documents(span.attributes)
    return docs or _documents(span.outputs)


def _document_text(doc: Any) -> tuple[str, str | None, Any]:
    text, source = _document(doc)
    score = doc.get("score") if isinstance(doc, Mapping) else None
    return text, source, score


def render_documents(outputs: Any) -> str:
    """A retriever span's outputs as numbered documents, each with its source where one is named."""
    docs = _documents(outputs)
    if not docs:
        return "(no documents were retrieved)"
    parts = []
    for i, doc in enumerate(docs, 1):
        text, source, score = _document_text(doc)
        head = f"[{i}]" + (f" (source: {source})" if source else "") + (f" (score: {score})" if score is not None else "")
        parts.append(f"{head}\n{render_value(text)}")
    return "\n\n".join(parts)


def retriever_spans(judge: BuiltinJudge, trace: Any) -> tuple[Trace, list[Span]]:
    """The trace and its RETRIEVER spans; a ConfigError when there is no trace or no such span."""
    if trace is None:
        raise judge._missing("trace=", " (a Trace or its dict form, with RETRIEVER spans)")
    t = Trace.coerce(trace)
    spans = t.search_spans(span_type="RETRIEVER")
    if not spans:
        raise ConfigError(
            f"{type(judge).__name__} judge '{judge.name}': trace {t.trace_id!r} has no RETRIEVER span; "
            "it judges the documents of retrieval steps, so those spans need span_type \"RETRIEVER\"."
        )
    return t, spans


class RetrievalJudge(BuiltinJudge):
    """A judge of each retrieval step of a trace: one Feedback per RETRIEVER span."""

    per_span = True

    def span_sections(self, trace: Trace, span: Span, expectations: Any) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError

    def check(self, expectations: Any) -> None:
        """Check the non-trace inputs before any work; subclasses that need more override."""

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        t, spans = retriever_spans(self, trace)
        self.check(expectations)
        units = []
        for span in spans:
            if not span_documents(span):
                # Nothing to judge the retrieval by: an error on this span, never a verdict on nothing.
                units.append(Unit((), trace_id=t.trace_id, span_id=span.span_id, error=AssessmentError(
                    "NO_DOCUMENTS",
                    f"RETRIEVER span {span.span_id!r} ({span.name!r}) carries no documents: neither outputs "
                    "(a list of documents) nor OpenInference's retrieval.documents.N.document.content attributes")))
                continue
            with rendering(self.max_field_chars) as cuts:  # each span's cuts on its own feedback
                sections = self.span_sections(t, span, expectations)
            units.append(Unit(sections, trace_id=t.trace_id, span_id=span.span_id, truncated=tuple(cuts)))
        return units
