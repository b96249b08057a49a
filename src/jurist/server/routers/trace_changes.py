"""``/api/traces/…`` changes after the fact: a trace's tags, deleting traces, one assessment by id.

Over :mod:`jurist.tracking._trace_admin`, so ``MlflowClient``'s trace methods work against a server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from jurist.server._schemas import AssessmentModel
from jurist.tracking import _trace_admin
from jurist.tracking._entities import assessment_from_dict, assessment_to_dict
from jurist.tracking._store import Store


class TagIn(BaseModel):
    value: str


class DeleteIn(BaseModel):
    experiment_id: str
    max_timestamp_millis: int | None = None
    max_traces: int | None = None
    trace_ids: list[str] | None = None


def router(store: Store) -> APIRouter:
    r = APIRouter(tags=["traces"])

    @r.post("/traces/delete", summary="Delete traces of an experiment, by id or older than a time")
    def delete_traces(body: DeleteIn) -> Any:
        return {"deleted": _trace_admin.delete_traces(store, body.experiment_id,
                                                      max_timestamp_millis=body.max_timestamp_millis,
                                                      max_traces=body.max_traces, trace_ids=body.trace_ids)}

    @r.put("/traces/{trace_id}/tags/{key}", status_code=204)
    def set_tag(trace_id: str, key: str, body: TagIn) -> Response:
        _trace_admin.set_tag(store, trace_id, key, body.value)
        return Response(status_code=204)

    @r.delete("/traces/{trace_id}/tags/{key}", status_code=204)
    def delete_tag(trace_id: str, key: str) -> Response:
        _trace_admin.delete_tag(store, trace_id, key)
        return Response(status_code=204)

    @r.get("/traces/{trace_id}/assessments/{assessment_id}", response_model=AssessmentModel)
    def get_assessment(trace_id: str, assessment_id: str) -> Any:
        return assessment_to_dict(_trace_admin.get_assessment(store, trace_id, assessment_id))

    @r.patch("/traces/{trace_id}/assessments/{assessment_id}", response_model=AssessmentModel)
    def update_assessment(trace_id: str, assessment_id: str, body: AssessmentModel) -> Any:
        changed = assessment_from_dict({**body.model_dump(exclude_none=True), "trace_id": trace_id})
        return assessment_to_dict(_trace_admin.update_assessment(store, trace_id, assessment_id, changed))

    @r.delete("/traces/{trace_id}/assessments/{assessment_id}", status_code=204)
    def delete_assessment(trace_id: str, assessment_id: str) -> Response:
        _trace_admin.delete_assessment(store, trace_id, assessment_id)
        return Response(status_code=204)

    return r
