"""The FastAPI app of ``jurist server``: the REST API over a tracking store, and OTLP/HTTP trace intake.

Every route but ``/health`` and the API docs (``/docs``, ``/openapi.json``) asks for
``Authorization: Bearer <token>`` when the server has a token (``$JURIST_SERVER_TOKEN``); without it,
401. Errors come back as ``{"error_code", "message"}`` with the status the error's class names
(:mod:`jurist.errors`): 400 for a bad request, 404 for an unknown id, 409 for a name already taken,
503 when the database fails.

:func:`create_app` only assembles: one router per resource (:mod:`jurist.server.routers`) under
``/api``, the OTLP intake at ``/v1/traces``, the gateway at ``/gateway`` when configured, and the Judge
Builder UI (:mod:`jurist.ui`) at ``/``, last, so that every other path is matched before it.

Monitors started with ``POST /api/monitors`` run in this process and live in its memory only: they are
not stored, and stop when the server shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from jurist._runtime import settings
from jurist.errors import ConfigError
from jurist.evaluation._monitor import Monitor
from jurist.server import _limits
from jurist.server._http import ERRORS, add_error_handler, bearer_auth
from jurist.server.routers import (
    datasets,
    experiments,
    judges,
    monitors,
    otlp,
    prompts,
    runs,
    trace_changes,
    traces,
)
from jurist.tracking._store import Store, get_tracking_uri, is_remote

#: The largest request body, and OTLP body once decompressed, by default (``$JURIST_SERVER_MAX_BODY_MB``).
MAX_OTLP_BYTES = _limits.DEFAULT_MAX_BODY_MB * 1024 * 1024


def create_app(store_uri: str | None = None, *, token: str | None = None, store: Store | None = None,
               gateway_config: str | None = None, max_body_bytes: int | None = None) -> FastAPI:
    """The server's app over the store at ``store_uri`` (default: the tracking URI, else ``./jurist.db``).

    ``token`` (default ``$JURIST_SERVER_TOKEN``) turns on bearer-token auth; ``""`` turns it off.
    ``gateway_config`` (default ``$JURIST_GATEWAY_CONFIG``) mounts the AI Gateway at ``/gateway`` with that
    YAML file, its usage and secrets kept in the same database; the gateway checks its own client tokens.
    ``max_body_bytes`` (default ``$JURIST_SERVER_MAX_BODY_MB``, else 64 MiB) caps every request body, and an
    OTLP body once decompressed: a larger one is refused with 413 as soon as it passes the cap.

    Example:
        >>> import uvicorn                                               # doctest: +SKIP
        >>> uvicorn.run(create_app("sqlite:///jurist.db"), port=5000)    # doctest: +SKIP
    """
    from jurist import __version__

    body_limit = _limits.max_body_bytes(max_body_bytes)
    the_store = store if store is not None else _open_store(store_uri)
    gateway_path = gateway_config or settings().gateway_config or None
    gateway_app: Any = None
    if gateway_path:
        from jurist.gateway import create_gateway_app

        gateway_app = create_gateway_app(gateway_path, database=getattr(the_store, "db_uri", None))

    running: dict[str, Monitor] = {}  # in memory only: not stored, stopped on shutdown
    secret = (token if token is not None else settings().server_token) or None
    auth = [Depends(bearer_auth(secret))]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        for monitor in list(running.values()):
            await run_in_threadpool(monitor.stop)
        running.clear()
        if gateway_app is not None:
            await gateway_app.state.gateway.aclose()  # writes the gateway's queued usage rows

    app = FastAPI(
        lifespan=lifespan,
        title="jurist tracking server",
        version=__version__,
        description="Experiments, evaluation runs, traces with their assessments, and judge versions; "
                    "OTLP/HTTP trace intake at /v1/traces.",
    )
    app.state.store = the_store
    app.state.monitors = running
    add_error_handler(app)

    @app.get("/health", tags=["server"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api = APIRouter(prefix="/api", dependencies=auth, responses=ERRORS)
    for resource in (experiments.router(the_store), runs.router(the_store), trace_changes.router(the_store),
                     traces.router(the_store), judges.router(the_store), monitors.router(the_store, running),
                     datasets.router(the_store), prompts.router(the_store)):
        api.include_router(resource)
    app.include_router(api)
    app.include_router(otlp.router(the_store, body_limit), dependencies=auth)
    if gateway_app is not None:
        app.mount("/gateway", gateway_app)
    from jurist.ui import create_ui

    app.include_router(create_ui(the_store, running, token=secret,
                                 gateway=gateway_app.state.gateway if gateway_app is not None else None))
    app.add_middleware(_limits.BodyLimit, limit=body_limit)
    return app


def _open_store(store_uri: str | None) -> Store:
    uri = store_uri or get_tracking_uri()
    if is_remote(uri):
        raise ConfigError("the server's backend store must be a database (sqlite:///… or "
                          f"postgresql+psycopg://…), not another server ({uri})")
    from jurist.tracking._sql import SqlStore

    return SqlStore(uri)
