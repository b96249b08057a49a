"""``/api/judges``: register a judge's data as a version, read versions, remove a judge (MLflow's
``delete_scorer``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from jurist.server._schemas import JudgeIn, JudgeVersionOut
from jurist.tracking._entities import SECRET_KEYS
from jurist.tracking._judge_admin import delete_judge
from jurist.tracking._store import Store


def router(s: Store) -> APIRouter:
    r = APIRouter(tags=["judges"])

    @r.post("/judges", response_model=JudgeVersionOut, status_code=201,
            summary="Register a judge's data as its next version")
    def register_judge(body: JudgeIn) -> Any:
        definition = dict(body.definition)
        definition.pop("extra_headers", None)
        params = definition.get("inference_params")
        if isinstance(params, dict):
            definition["inference_params"] = {k: v for k, v in params.items() if k.lower() not in SECRET_KEYS}
        return s.register_judge(definition).to_dict()

    @r.get("/judges", response_model=list[JudgeVersionOut], summary="The latest of each judge")
    def search_judges() -> Any:
        return [j.to_dict() for j in s.search_judges()]

    @r.get("/judges/{name}", response_model=JudgeVersionOut)
    def get_latest_judge(name: str) -> Any:
        return s.get_judge(name).to_dict()

    @r.get("/judges/{name}/versions", response_model=list[JudgeVersionOut])
    def list_judge_versions(name: str) -> Any:
        return [j.to_dict() for j in s.list_judge_versions(name)]

    @r.get("/judges/{name}/versions/{version}", response_model=JudgeVersionOut)
    def get_judge(name: str, version: int) -> Any:
        return s.get_judge(name, version).to_dict()

    @r.delete("/judges/{name}", summary="Remove a registered judge (every version, or one)")
    def remove_judge(name: str, version: int | None = Query(default=None)) -> Any:
        return {"deleted": delete_judge(s, name, version)}

    return r
