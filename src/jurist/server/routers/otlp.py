"""``POST /v1/traces``: OTLP/HTTP trace intake (protobuf or JSON), checked whole before anything is stored.

Its errors are OTLP's: a ``google.rpc.Status`` in the request's own encoding, with the HTTP status the
error's class names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from jurist.entities import Trace
from jurist.errors import JuristError
from jurist.server import _otlp
from jurist.server._http import ERRORS
from jurist.tracking._entities import DEFAULT_EXPERIMENT_NAME
from jurist.tracking._store import Store

#: google.rpc.Code by HTTP status: NOT_FOUND, UNAVAILABLE, UNAUTHENTICATED; else INVALID_ARGUMENT (3).
_RPC_CODES = {404: 5, 503: 14, 401: 16}


def router(s: Store, max_bytes: int) -> APIRouter:
    """The intake over ``s``; a body larger than ``max_bytes`` once decompressed is refused (413)."""
    r = APIRouter(tags=["otlp"])

    @r.post(
        "/v1/traces", status_code=200,
        summary="OTLP/HTTP trace export (application/x-protobuf or application/json)",
        description="An OpenTelemetry ExportTraceServiceRequest. The experiment is named by the "
                    "'x-jurist-experiment' header (created if new) or 'x-jurist-experiment-id'; default "
                    f"'{DEFAULT_EXPERIMENT_NAME}'. A request that cannot be read is refused whole (400) with the "
                    "reason in a google.rpc.Status, and nothing of it is stored.",
        responses={400: {"description": "Malformed request; nothing stored"}, 401: ERRORS[401],
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
            inflater = _otlp.Inflater(request.headers.get("content-encoding"), max_bytes)
            async for chunk in request.stream():
                inflater.feed(chunk)
            traces = _otlp.read_traces(inflater.finish(), ctype)
            if traces:
                await run_in_threadpool(_store, s, traces, x_jurist_experiment, x_jurist_experiment_id)
        except JuristError as e:
            body = _otlp.status_body(str(e), as_pb, code=_RPC_CODES.get(e.http_status, 3))
            return Response(body, status_code=e.http_status, media_type=media)
        # An empty ExportTraceServiceResponse: full success.
        return Response(b"" if as_pb else b"{}", status_code=200, media_type=media)

    return r


def _store(store: Store, traces: list[Trace], name: str | None, experiment_id: str | None) -> None:
    if experiment_id:
        exp_id = store.get_experiment(experiment_id).experiment_id
    else:
        exp_id = store.get_or_create_experiment(name or DEFAULT_EXPERIMENT_NAME).experiment_id
    store.log_traces(traces, exp_id)
