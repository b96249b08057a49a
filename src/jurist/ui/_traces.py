"""The Traces tab: a searchable, paged list of an experiment's traces, and one trace's span tree with
the feedback given on it (people's and judges')."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from jurist.entities import Feedback, Span
from jurist.errors import ConfigError, NotFoundError
from jurist.tracking._entities import StoredTrace
from jurist.ui._context import UI, page_session
from jurist.ui._experiments import experiment_or_none, missing_experiment

PAGE_SIZE = 50


@dataclass
class SpanNode:
    """A span and its children, with its start and length as shares of the trace's time (for the bars)."""

    span: Span
    depth: int
    offset: float = 0.0
    width: float = 1.0
    duration_ms: float | None = None
    children: list[SpanNode] = field(default_factory=list)


def span_tree(trace: StoredTrace) -> list[SpanNode]:
    """The trace's spans as a forest (a span whose parent is missing is a root), in start order."""
    starts = [s.start_time_ns for s in trace.spans if s.start_time_ns is not None]
    ends = [s.end_time_ns for s in trace.spans if s.end_time_ns is not None]
    t0 = min(starts) if starts else 0
    total = max(1, (max(ends) if ends else t0) - t0)
    ids = {s.span_id for s in trace.spans}
    kids: dict[str | None, list[Span]] = {}
    for s in trace.spans:
        kids.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)

    def build(span: Span, depth: int) -> SpanNode:
        node = SpanNode(span=span, depth=depth)
        if span.start_time_ns is not None and span.end_time_ns is not None:
            node.duration_ms = (span.end_time_ns - span.start_time_ns) / 1e6
            node.offset = (span.start_time_ns - t0) / total
            node.width = max(0.005, (span.end_time_ns - span.start_time_ns) / total)
        if depth < 64:  # a cycle or a pathological depth stops here
            node.children = [build(c, depth + 1) for c in kids.get(span.span_id, []) if c is not span]
        return node

    return [build(s, 0) for s in kids.get(None, [])]


def trace_page(ui: UI, experiment_id: str, filter_string: str | None, offset: int, limit: int) -> list[Any]:
    """A page of summaries; over a store with no paged reads (a remote one), the first traces read whole."""
    page = getattr(ui.store, "trace_page", None)
    if page is not None:
        return page([experiment_id], filter_string, offset=offset, limit=limit)  # type: ignore[no-any-return]
    from jurist.tracking._pages import TraceSummary

    found = ui.store.search_traces([experiment_id], filter_string, max_results=offset + limit)[offset:]
    return [TraceSummary(t.trace_id, t.experiment_id or experiment_id, t.name, t.status, t.timestamp_ms,
                         t.execution_time_ms, t.inputs, t.outputs,
                         [(f.name, f.value, f.source.source_type.value, f.error.error_code if f.error else None)
                          for f in t.feedbacks]) for t in found]


def router(ui: UI) -> APIRouter:
    r = APIRouter(dependencies=[Depends(page_session(ui))])

    @r.get("/experiments/{experiment_id}/traces")
    def traces(request: Request, experiment_id: str, filter: str = "", page: int = 1) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        page = max(1, page)
        filter_string = filter.strip() or None
        error, rows, total = "", [], None
        try:
            rows = trace_page(ui, experiment_id, filter_string, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
            count = getattr(ui.store, "count_traces", None)
            total = count([experiment_id], filter_string) if count else None
        except ConfigError as e:
            error = str(e)
        more = len(rows) > PAGE_SIZE
        return ui.page(request, "traces.html", experiment=experiment, active_tab="traces", rows=rows[:PAGE_SIZE],
                       filter=filter, page=page, more=more, total=total, error=error, page_size=PAGE_SIZE)

    @r.get("/experiments/{experiment_id}/traces/{trace_id}")
    def trace(request: Request, experiment_id: str, trace_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        try:
            found = ui.store.get_trace(trace_id)
        except NotFoundError:
            return ui.error_page(request, 404, "No such trace",
                                 f"There is no trace with id {trace_id!r} in this server's store.")
        feedback = [a for a in found.assessments if isinstance(a, Feedback)]
        expectations = [a for a in found.assessments if not isinstance(a, Feedback)]
        return ui.page(request, "trace.html", experiment=experiment, active_tab="traces", trace=found,
                       tree=span_tree(found), feedback=feedback, expectations=expectations)

    return r
