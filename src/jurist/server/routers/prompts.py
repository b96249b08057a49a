"""``/api/prompts``: the prompt registry (MLflow's ``register_prompt``, ``load_prompt``, aliases, tags).

Over the SQL store's own functions (:mod:`jurist.tracking._prompts`), so ``jurist.genai``'s prompt
functions work against a ``jurist server`` as against a database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from jurist.tracking import _prompts
from jurist.tracking._store import Store


class VersionIn(BaseModel):
    template: str | list[dict[str, Any]]
    commit_message: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    response_format: Any = None
    model_config_: Any = Field(default=None, alias="model_config")


class AliasIn(BaseModel):
    version: int = Field(ge=1)


class TagsIn(BaseModel):
    tags: dict[str, Any] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)


def router(store: Store) -> APIRouter:
    r = APIRouter(tags=["prompts"])

    @r.get("/prompts", summary="Every prompt: name, description, tags, latest version")
    def search_prompts() -> Any:
        return _prompts.search(store)

    @r.post("/prompts/{name}/versions", status_code=201, summary="Register the next version of a prompt")
    def register_prompt(name: str, body: VersionIn) -> Any:
        return _prompts.register(store, name, body.template, body.commit_message, body.tags,
                                 body.response_format, body.model_config_)

    @r.get("/prompts/{name}/versions", summary="Every version of a prompt, oldest first")
    def list_versions(name: str) -> Any:
        return _prompts.versions(store, name)

    @r.get("/prompts/{name}/version", summary="One version: by number, by alias, or the newest")
    def get_version(name: str, version: Annotated[int | None, Query(ge=1)] = None,
                    alias: Annotated[str | None, Query()] = None) -> Any:
        return _prompts.get_version(store, name, version=version, alias=alias)

    @r.put("/prompts/{name}/aliases/{alias}", status_code=204)
    def set_alias(name: str, alias: str, body: AliasIn) -> Response:
        _prompts.set_alias(store, name, alias, body.version)
        return Response(status_code=204)

    @r.delete("/prompts/{name}/aliases/{alias}", status_code=204)
    def delete_alias(name: str, alias: str) -> Response:
        _prompts.delete_alias(store, name, alias)
        return Response(status_code=204)

    @r.patch("/prompts/{name}/tags", status_code=204)
    def set_tags(name: str, body: TagsIn) -> Response:
        _prompts.set_tags(store, name, body.tags, body.drop)
        return Response(status_code=204)

    @r.delete("/prompts/{name}/versions/{version}", status_code=204)
    def delete_version(name: str, version: int) -> Response:
        _prompts.remove(store, name, version)
        return Response(status_code=204)

    @r.delete("/prompts/{name}", status_code=204)
    def delete_prompt(name: str) -> Response:
        _prompts.remove(store, name)
        return Response(status_code=204)

    return r
