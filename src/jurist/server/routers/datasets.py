"""``/api/datasets``: evaluation datasets, as MLflow's ``mlflow.genai.datasets`` needs them.

Over the SQL store's own functions (:mod:`jurist.tracking._datasets`), so ``jurist.genai.datasets``
works against a ``jurist server`` as against a database.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from jurist.tracking import _datasets
from jurist.tracking._store import Store


class DatasetIn(BaseModel):
    name: str
    experiment_ids: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    user: str | None = None


class TagsIn(BaseModel):
    tags: dict[str, Any] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    user: str | None = None


class RecordsIn(BaseModel):
    records: list[dict[str, Any]]
    user: str | None = None


def router(store: Store) -> APIRouter:
    r = APIRouter(tags=["datasets"])

    @r.post("/datasets", status_code=201, summary="Create an evaluation dataset")
    def create_dataset(body: DatasetIn) -> Any:
        return _datasets.create(store, body.name, body.experiment_ids, body.tags, body.user)

    @r.get("/datasets", summary="Every dataset, last updated first")
    def search_datasets() -> Any:
        return _datasets.search(store)

    @r.get("/datasets/by-name/{name}")
    def get_dataset_by_name(name: str) -> Any:
        return _datasets.get(store, name=name)

    @r.get("/datasets/{dataset_id}")
    def get_dataset(dataset_id: str) -> Any:
        return _datasets.get(store, dataset_id=dataset_id)

    @r.delete("/datasets/{dataset_id}", status_code=204)
    def delete_dataset(dataset_id: str) -> Response:
        _datasets.remove(store, dataset_id)
        return Response(status_code=204)

    @r.patch("/datasets/{dataset_id}/tags", status_code=204)
    def set_tags(dataset_id: str, body: TagsIn) -> Response:
        _datasets.set_tags(store, dataset_id, body.tags, body.drop, body.user)
        return Response(status_code=204)

    @r.post("/datasets/{dataset_id}/records", status_code=204,
            summary="Merge records: new inputs are added, known ones get their expectations and tags merged")
    def merge_records(dataset_id: str, body: RecordsIn) -> Response:
        _datasets.merge(store, dataset_id, body.records, body.user)
        return Response(status_code=204)

    @r.get("/datasets/{dataset_id}/records")
    def records(dataset_id: str) -> Any:
        return _datasets.records(store, dataset_id)

    return r
