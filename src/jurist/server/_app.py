"""The FastAPI app of ``jurist server``: the REST API over a tracking store, and OTLP/HTTP trace intake.

Every route but ``/health`` and the API docs (``/docs``, ``/openapi.json``) asks for
``Authorization: Bearer <token>`` when the server has a token (``$JURIST_SERVER_TOKEN``); without it,
401. Errors come back as ``{"error_code", "message"}``: 400 for a bad request, 404 for an unknown id,
409 for a name already taken, 503 when the database fails.

Monitors started with ``POST /api/monitors`` run in this process and live in its memory only: they are
not stored, and stop when the server shuts down.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from jurist.entities import Trace
from jurist.errors import ConfigError, StoreError
from jurist.server import _limits, _otlp
from jurist.server._schemas import (
    AssessmentModel,
    ErrorOut,
    ExperimentIn,
    ExperimentOut,
    JudgeIn,
    JudgeVersionOut,
    JudgmentsIn,
    MonitorIn,
    MonitorOut,
    RunEndIn,
    RunIn,
    RunOut,
    SearchTracesIn,
    StoredRowOut,
    StoredTraceOut,
    TraceIdsOut,
    TracesIn,
    TracesOut,
)
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_NAME,
    Judgment,
    NotFoundError,
    RunEnd,
    assessment_from_dict,
    assessment_to_dict,
)
from jurist.tracking._monitor import Monitor
from jurist.tracking._store import Store, get_tracking_uri, is_remote

#: The largest request body, and OTLP body once decompressed, by default (``$JURIST_SERVER_MAX_BODY_MB``).
MAX_OTLP_BYTES = _limits.DEFAULT_MAX_BODY_MB * 1024 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A bad request; the message says what to fix"},
    401: {"model": ErrorOut, "description": "A missing or wrong bearer token"},
    404: {"model": ErrorOut, "description": "No such experiment, run, trace or judge"},
}


def _error(status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status_code, headers=headers)


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

    body_limit = max_otlp = _limits.max_body_bytes(max_body_bytes)
    if store is None:
        uri = store_uri or get_tracking_uri()
        if is_remote(uri):
            raise ConfigError("the server's backend store must be a database (sqlite:///… or "
                              f"postgresql+psycopg://…), not another server ({uri})")
        from jurist.tracking._sql import SqlStore

        store = SqlStore(uri)
    the_store: Store = store
    gateway_path = gateway_config or os.environ.get("JURIST_GATEWAY_CONFIG") or None
    gateway_app: Any = None
    if gateway_path:
        from jurist.gateway import create_gateway_app

        gateway_app = create_gateway_app(gateway_path, database=getattr(the_store, "db_uri", None))

    monitors: dict[str, Monitor] = {}  # in memory only: not stored, stopped on shutdown
    secret = (token if token is not None else os.environ.get("JURIST_SERVER_TOKEN")) or None

    def auth(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if secret is None:
            return
        given = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise _Unauthorized()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        for monitor in list(monitors.values()):
            await run_in_threadpool(monitor.stop)
        monitors.clear()
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
    app.state.monitors = monitors

    @app.exception_handler(_Unauthorized)
    async def _unauthorized(request: Request, exc: _Unauthorized) -> Response:
        return _error(401, "UNAUTHORIZED", "this server needs 'Authorization: Bearer <token>' with its token "
                      "(the client reads it from JURIST_TRACKING_TOKEN)", {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(404, "NOT_FOUND", str(exc))

    @app.exception_handler(ConfigError)
    async def _bad_request(request: Request, exc: ConfigError) -> Response:
        conflict = "already exists" in str(exc)
        return _error(409 if conflict else 400, "ALREADY_EXISTS" if conflict else "BAD_REQUEST", str(exc))

    @app.exception_handler(StoreError)
    async def _store_failed(request: Request, exc: StoreError) -> Response:
        return _error(503, "STORE_ERROR", str(exc))

    @app.get("/health", tags=["server"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api = APIRouter(prefix="/api", dependencies=[Depends(auth)], responses=_ERRORS)
    s = the_store

    # -- experiments ------------------------------------------------------------------------------
    @api.get("/experiments", response_model=list[ExperimentOut], tags=["experiments"])
    def search_experiments() -> Any:
        return [e.to_dict() for e in s.search_experiments()]

    @api.post("/experiments", response_model=ExperimentOut, status_code=201, tags=["experiments"])
    def create_experiment(body: ExperimentIn) -> Any:
        return s.create_experiment(body.name, body.tags).to_dict()

    @api.put("/experiments/by-name/{name}", response_model=ExperimentOut, tags=["experiments"],
             summary="Get an experiment by name, creating it if new")
    def get_or_create_experiment(name: str) -> Any:
        return s.get_or_create_experiment(name).to_dict()

    @api.get("/experiments/by-name/{name}", response_model=ExperimentOut, tags=["experiments"])
    def get_experiment_by_name(name: str) -> Any:
        exp = s.get_experiment_by_name(name)
        if exp is None:
            raise NotFoundError(f"no experiment named {name!r}")
        return exp.to_dict()

    @api.get("/experiments/{experiment_id}", response_model=ExperimentOut, tags=["experiments"])
    def get_experiment(experiment_id: str) -> Any:
        return s.get_experiment(experiment_id).to_dict()

    # -- runs -------------------------------------------------------------------------------------
    @api.post("/runs", response_model=RunOut, status_code=201, tags=["runs"])
    def create_run(body: RunIn) -> Any:
        return s.create_run(body.experiment_id, name=body.name, params=body.params, scorers=body.scorers,
                            tags=body.tags).to_dict()

    @api.get("/runs", response_model=list[RunOut], tags=["runs"])
    def search_runs(experiment_id: Annotated[list[str] | None, Query()] = None,
                    status: Annotated[str | None, Query(description="RUNNING, FINISHED, FAILED or KILLED")] = None,
                    max_results: Annotated[int, Query(ge=1, le=50_000)] = 100) -> Any:
        return [r.to_dict() for r in s.search_runs(experiment_id, status=status, max_results=max_results)]

    @api.get("/runs/{run_id}", response_model=RunOut, tags=["runs"])
    def get_run(run_id: str) -> Any:
        return s.get_run(run_id).to_dict()

    @api.patch("/runs/{run_id}", response_model=RunOut, tags=["runs"], summary="Set a run's status, metrics, totals")
    def end_run(run_id: str, body: RunEndIn) -> Any:
        return s.end_run(run_id, RunEnd.from_dict(body.model_dump())).to_dict()

    @api.post("/runs/{run_id}/judgments", status_code=204, tags=["runs"],
              summary="Store finished judgments (rows, their traces, feedback); a retried batch is stored once")
    def log_judgments(run_id: str, body: JudgmentsIn) -> Response:
        s.log_judgments(run_id, [Judgment.from_dict(j.model_dump()) for j in body.judgments])
        return Response(status_code=204)

    @api.get("/runs/{run_id}/rows", response_model=list[StoredRowOut], tags=["runs"],
             summary="A run's stored rows with feedback by scorer (what resume reads)")
    def load_rows(run_id: str) -> Any:
        return [r.to_dict() for r in s.load_rows(run_id)]

    # -- traces and assessments -------------------------------------------------------------------
    @api.post("/traces", response_model=TraceIdsOut, tags=["traces"])
    def log_traces(body: TracesIn) -> Any:
        return {"trace_ids": s.log_traces([Trace.from_dict(t.model_dump()) for t in body.traces], body.experiment_id)}

    @api.post("/traces/search", response_model=TracesOut, tags=["traces"])
    def search_traces(body: SearchTracesIn) -> Any:
        found = s.search_traces(body.experiment_ids, body.filter_string, body.max_results, body.order_by)
        return {"traces": [t.to_dict() for t in found]}

    @api.get("/traces/{trace_id}", response_model=StoredTraceOut, tags=["traces"])
    def get_trace(trace_id: str) -> Any:
        return s.get_trace(trace_id).to_dict()

    @api.post("/traces/{trace_id}/assessments", response_model=AssessmentModel, status_code=201,
              tags=["traces"], summary="Attach feedback (a judge's or a person's) or an expectation to a trace")
    def log_assessment(trace_id: str, body: AssessmentModel) -> Any:
        a = assessment_from_dict({**body.model_dump(exclude_none=True), "trace_id": trace_id})
        return assessment_to_dict(s.log_assessment(a))

    # -- judges -----------------------------------------------------------------------------------
    @api.post("/judges", response_model=JudgeVersionOut, status_code=201, tags=["judges"],
              summary="Register a judge's data as its next version")
    def register_judge(body: JudgeIn) -> Any:
        from jurist.tracking._entities import SECRET_KEYS

        definition = dict(body.definition)
        definition.pop("extra_headers", None)
        params = definition.get("inference_params")
        if isinstance(params, dict):
            definition["inference_params"] = {k: v for k, v in params.items() if k.lower() not in SECRET_KEYS}
        return s.register_judge(definition).to_dict()

    @api.get("/judges", response_model=list[JudgeVersionOut], tags=["judges"], summary="The latest of each judge")
    def search_judges() -> Any:
        return [j.to_dict() for j in s.search_judges()]

    @api.get("/judges/{name}", response_model=JudgeVersionOut, tags=["judges"])
    def get_latest_judge(name: str) -> Any:
        return s.get_judge(name).to_dict()

    @api.get("/judges/{name}/versions", response_model=list[JudgeVersionOut], tags=["judges"])
    def list_judge_versions(name: str) -> Any:
        return [j.to_dict() for j in s.list_judge_versions(name)]

    @api.get("/judges/{name}/versions/{version}", response_model=JudgeVersionOut, tags=["judges"])
    def get_judge(name: str, version: int) -> Any:
        return s.get_judge(name, version).to_dict()

    # -- monitors ---------------------------------------------------------------------------------
    @api.post("/monitors", response_model=MonitorOut, status_code=201, tags=["monitors"],
              summary="Start judging an experiment's new traces with a registered judge (in memory, not stored)")
    def start_monitor(body: MonitorIn) -> Any:
        monitor = Monitor(s, body.judge, body.experiment, version=body.version, sample_rate=body.sample_rate,
                          filter_string=body.filter_string, concurrency=body.concurrency,
                          poll_interval=body.poll_interval, backfill=body.backfill)
        monitors[monitor.monitor_id] = monitor
        return monitor.to_dict()

    @api.get("/monitors", response_model=list[MonitorOut], tags=["monitors"], summary="Running monitors and their counts")
    def list_monitors() -> Any:
        return [m.to_dict() for m in monitors.values()]

    @api.delete("/monitors/{monitor_id}", response_model=MonitorOut, tags=["monitors"],
                summary="Stop a monitor, waiting for its judgments in flight")
    def stop_monitor(monitor_id: str) -> Any:
        monitor = monitors.pop(monitor_id, None)
        if monitor is None:
            raise NotFoundError(f"no running monitor with id {monitor_id!r}")
        monitor.stop()
        return monitor.to_dict()

    app.include_router(api)
    from jurist.server._genai import genai_router

    app.include_router(genai_router(the_store, [Depends(auth)], _ERRORS))  # datasets, scorer removal

    # -- OTLP/HTTP --------------------------------------------------------------------------------
    otlp = APIRouter(dependencies=[Depends(auth)])

    @otlp.post(
        "/v1/traces", tags=["otlp"], status_code=200,
        summary="OTLP/HTTP trace export (application/x-protobuf or application/json)",
        description="An OpenTelemetry ExportTraceServiceRequest. The experiment is named by the "
                    "'x-jurist-experiment' header (created if new) or 'x-jurist-experiment-id'; default "
                    f"'{DEFAULT_EXPERIMENT_NAME}'. A request that cannot be read is refused whole (400) with the "
                    "reason in a google.rpc.Status, and nothing of it is stored.",
        responses={400: {"description": "Malformed request; nothing stored"}, 401: _ERRORS[401],
                   415: {"description": "Unsupported Content-Type or Content-Encoding"}},
    )
    async def otlp_traces(
        request: Request,
        x_jurist_experiment: Annotated[str | None, Header()] = None,
        x_jurist_experiment_id: Annotated[str | None, Header()] = None,
    ) -> Response:
        ctype = request.headers.get("content-type")
        as_pb = (ctype or "").split(";")[0].strip().lower() in _otlp.PROTOBUF_TYPES
        media = "application/x-protobuf" if as_pb else "application/json"
        try:
            # Inflated as it arrives, never past the limit; BodyLimit bounds what arrives compressed.
            inflater = _otlp.Inflater(request.headers.get("content-encoding"), max_otlp)
            async for chunk in request.stream():
                inflater.feed(chunk)
            traces = _otlp.read_traces(inflater.finish(), ctype)
            if traces:
                await run_in_threadpool(_store_otlp, s, traces, x_jurist_experiment, x_jurist_experiment_id)
        except _otlp.OtlpError as e:
            return Response(_otlp.status_body(str(e), as_pb), status_code=e.status, media_type=media)
        except NotFoundError as e:
            return Response(_otlp.status_body(str(e), as_pb, code=5), status_code=404, media_type=media)
        except ConfigError as e:
            return Response(_otlp.status_body(str(e), as_pb), status_code=400, media_type=media)
        except StoreError as e:
            return Response(_otlp.status_body(str(e), as_pb, code=14), status_code=503, media_type=media)
        # An empty ExportTraceServiceResponse: full success.
        return Response(b"" if as_pb else b"{}", status_code=200, media_type=media)

    app.include_router(otlp)
    if gateway_app is not None:
        app.mount("/gateway", gateway_app)
    app.add_middleware(_limits.BodyLimit, limit=body_limit)
    return app


class _Unauthorized(Exception):
    pass


def _store_otlp(store: Store, traces: list[Trace], name: str | None, experiment_id: str | None) -> None:
    if experiment_id:
        exp_id = store.get_experiment(experiment_id).experiment_id
    else:
        exp_id = store.get_or_create_experiment(name or DEFAULT_EXPERIMENT_NAME).experiment_id
    store.log_traces(traces, exp_id)
