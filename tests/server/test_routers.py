"""The server as routers: answers shaped like an entity are derived from it (every field its ``to_dict``
gives is in the API), and a router served at the root (a UI) leaves every other path as it was."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from jurist.server._schemas import ExperimentOut, JudgeVersionOut, RunOut
from jurist.tracking._entities import Experiment, JudgeVersion, Run, RunStatus
from tests.server.conftest import Http


def test_each_derived_answer_holds_every_field_of_its_entity() -> None:
    entities: list[tuple[type[BaseModel], Experiment | Run | JudgeVersion]] = [
        (ExperimentOut, Experiment("1", "qa", 5, {"team": "search"})),
        (RunOut, Run("r1", "1", RunStatus.FINISHED, name="n", start_time_ms=3, metrics={"m": 1.0})),
        (JudgeVersionOut, JudgeVersion("tone", 2, {"name": "tone"}, 7)),
    ]
    for model, entity in entities:
        d = entity.to_dict()
        assert set(model.model_fields) == set(d), model.__name__
        assert model.model_validate(d).model_dump() == d


def test_the_openapi_spec_keeps_the_answer_names(client: Http) -> None:
    schemas = client.request("GET", "/openapi.json").json["components"]["schemas"]
    assert {"ExperimentOut", "RunOut", "JudgeVersionOut"} <= set(schemas)
    assert schemas["RunOut"]["properties"]["status"]["enum"] == ["RUNNING", "FINISHED", "FAILED", "KILLED"]
    assert set(schemas["RunOut"]["properties"]) == set(Run("r", "e").to_dict())


def test_a_router_served_at_the_root_comes_after_every_other_path(tmp_path: Path) -> None:
    from fastapi import APIRouter
    from fastapi.testclient import TestClient

    from jurist.server import create_app

    app = create_app(f"sqlite:///{tmp_path / 'ui.db'}", token="")
    ui = APIRouter()

    @ui.get("/{path:path}")
    def page(path: str) -> dict[str, str]:
        return {"page": path}

    app.include_router(ui)  # as a UI would mount: one more router, at /
    with TestClient(app) as http:
        assert http.get("/api/experiments").json() == []
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/runs/abc").json() == {"page": "runs/abc"}
