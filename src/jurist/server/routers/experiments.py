"""``/api/experiments``: create, find by id or name, list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jurist.errors import NotFoundError
from jurist.server._schemas import ExperimentIn, ExperimentOut
from jurist.tracking._store import Store


def router(s: Store) -> APIRouter:
    r = APIRouter(tags=["experiments"])

    @r.get("/experiments", response_model=list[ExperimentOut])
    def search_experiments() -> Any:
        return [e.to_dict() for e in s.search_experiments()]

    @r.post("/experiments", response_model=ExperimentOut, status_code=201)
    def create_experiment(body: ExperimentIn) -> Any:
        return s.create_experiment(body.name, body.tags).to_dict()

    @r.put("/experiments/by-name/{name}", response_model=ExperimentOut,
           summary="Get an experiment by name, creating it if new")
    def get_or_create_experiment(name: str) -> Any:
        return s.get_or_create_experiment(name).to_dict()

    @r.get("/experiments/by-name/{name}", response_model=ExperimentOut)
    def get_experiment_by_name(name: str) -> Any:
        exp = s.get_experiment_by_name(name)
        if exp is None:
            raise NotFoundError(f"no experiment named {name!r}")
        return exp.to_dict()

    @r.get("/experiments/{experiment_id}", response_model=ExperimentOut)
    def get_experiment(experiment_id: str) -> Any:
        return s.get_experiment(experiment_id).to_dict()

    return r
