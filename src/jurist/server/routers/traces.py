"""``/api/traces``: log, search and read traces, and attach assessments to them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jurist.entities import Trace
from jurist.server._schemas import (
    AssessmentModel,
    SearchTracesIn,
    StoredTraceOut,
    TraceIdsOut,
    TracesIn,
    TracesOut,
)
from jurist.tracking._entities import assessment_from_dict, assessment_to_dict
from jurist.tracking._store import Store


def router(s: Store) -> APIRouter:
    r = APIRouter(tags=["traces"])

    @r.post("/traces", response_model=TraceIdsOut)
    def log_traces(body: TracesIn) -> Any:
        return {"trace_ids": s.log_traces([Trace.from_dict(t.model_dump()) for t in body.traces], body.experiment_id)}

    @r.post("/traces/search", response_model=TracesOut)
    def search_traces(body: SearchTracesIn) -> Any:
        found = s.search_traces(body.experiment_ids, body.filter_string, body.max_results, body.order_by)
        return {"traces": [t.to_dict() for t in found]}

    @r.get("/traces/{trace_id}", response_model=StoredTraceOut)
    def get_trace(trace_id: str) -> Any:
        return s.get_trace(trace_id).to_dict()

    @r.post("/traces/{trace_id}/assessments", response_model=AssessmentModel, status_code=201,
            summary="Attach feedback (a judge's or a person's) or an expectation to a trace")
    def log_assessment(trace_id: str, body: AssessmentModel) -> Any:
        a = assessment_from_dict({**body.model_dump(exclude_none=True), "trace_id": trace_id})
        return assessment_to_dict(s.log_assessment(a))

    return r
