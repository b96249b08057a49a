"""``/api/runs``: evaluation runs, their end, their judgments and the rows a resume reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from jurist.server._schemas import JudgmentsIn, RunEndIn, RunIn, RunOut, StoredRowOut
from jurist.tracking import _run_data
from jurist.tracking._entities import Judgment, RunEnd
from jurist.tracking._store import Store


class RunDataIn(BaseModel):
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    drop_tags: list[str] = Field(default_factory=list)
    name: str | None = None
    scorers: list[dict[str, Any]] | None = None
    step: int | None = None
    timestamp_ms: int | None = None


def router(s: Store) -> APIRouter:
    r = APIRouter(tags=["runs"])

    @r.post("/runs", response_model=RunOut, status_code=201)
    def create_run(body: RunIn) -> Any:
        return s.create_run(body.experiment_id, name=body.name, params=body.params, scorers=body.scorers,
                            tags=body.tags).to_dict()

    @r.get("/runs", response_model=list[RunOut])
    def search_runs(experiment_id: Annotated[list[str] | None, Query()] = None,
                    status: Annotated[str | None, Query(description="RUNNING, FINISHED, FAILED or KILLED")] = None,
                    max_results: Annotated[int, Query(ge=1, le=50_000)] = 100) -> Any:
        return [run.to_dict() for run in s.search_runs(experiment_id, status=status, max_results=max_results)]

    @r.get("/runs/{run_id}", response_model=RunOut)
    def get_run(run_id: str) -> Any:
        return s.get_run(run_id).to_dict()

    @r.patch("/runs/{run_id}", response_model=RunOut, summary="Set a run's status, metrics, totals")
    def end_run(run_id: str, body: RunEndIn) -> Any:
        return s.end_run(run_id, RunEnd.from_dict(body.model_dump())).to_dict()

    @r.patch("/runs/{run_id}/data", response_model=RunOut,
             summary="Merge parameters, metrics and tags into a run (a logged parameter keeps its value)")
    def update_run(run_id: str, body: RunDataIn) -> Any:
        return _run_data.update(s, run_id, params=body.params, metrics=body.metrics, tags=body.tags,
                                drop_tags=body.drop_tags, name=body.name, scorers=body.scorers, step=body.step,
                                timestamp_ms=body.timestamp_ms).to_dict()

    @r.get("/runs/{run_id}/metric-history", summary="Every value logged for one metric of a run, with its step")
    def metric_history(run_id: str, key: Annotated[str, Query(min_length=1)]) -> Any:
        return _run_data.metric_history(s, run_id, key)

    @r.post("/runs/{run_id}/judgments", status_code=204,
            summary="Store finished judgments (rows, their traces, feedback); a retried batch is stored once")
    def log_judgments(run_id: str, body: JudgmentsIn) -> Response:
        s.log_judgments(run_id, [Judgment.from_dict(j.model_dump()) for j in body.judgments])
        return Response(status_code=204)

    @r.get("/runs/{run_id}/rows", response_model=list[StoredRowOut],
           summary="A run's stored rows with feedback by scorer (what resume reads)")
    def load_rows(run_id: str) -> Any:
        return [row.to_dict() for row in s.load_rows(run_id)]

    return r
