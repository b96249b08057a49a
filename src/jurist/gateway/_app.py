"""The gateway's HTTP API (FastAPI): OpenAI-compatible chat and models, MLflow-style invocations, admin.

Routes, relative to where the app is served (``/`` standalone, ``/gateway`` inside ``jurist server``):

- ``POST /v1/chat/completions`` with ``model=<endpoint>`` (``stream: true`` too), ``GET /v1/models``
- ``POST /<endpoint>/invocations`` (MLflow AI Gateway style; the same body and answer)
- ``/admin/endpoints``, ``/admin/secrets``, ``/admin/clients``, ``/admin/usage``, ``/admin/reload``
  (``Authorization: Bearer $JURIST_GATEWAY_ADMIN_TOKEN``)
- ``GET /health``
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from jurist.errors import ConfigError, JuristError, UnauthorizedError
from jurist.gateway._config import EndpointConfig, GatewayConfig, check_name, load_config, validate
from jurist.gateway._dispatch import Result, Stream
from jurist.gateway._hot import handle, match, serve
from jurist.gateway._secrets import same_secret
from jurist.gateway._service import Gateway
from jurist.gateway._wire import error_body

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 409: "conflict_error", 422: "invalid_request_error"}


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(message, _ERROR_TYPES.get(status, "server_error"), code), status_code=status,
                    media_type="application/json", headers=headers)


#: The body's ``code`` for an error of jurist's tree, by the status its class names.
_CODES = {400: "bad_request", 401: "invalid_client_token", 404: "not_found", 409: "conflict",
          503: "store_unavailable"}


def _send(out: Result | Stream) -> Response:
    if isinstance(out, Stream):
        return StreamingResponse(out.chunks, status_code=200, headers=out.result.headers,
                                 media_type="text/event-stream")
    return Response(out.body, status_code=out.status, headers=out.headers)


class SecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _when(value: str | None, name: str) -> float | None:
    """Epoch seconds from ``1718000000``, ``2024-06-10T12:00:00Z`` or ``24h`` / ``7d`` ago."""
    if value is None or value == "":
        return None
    m = _RELATIVE.match(value.strip())
    if m:
        return time.time() - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    import datetime as dt

    try:
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"{name}={value!r}: use epoch seconds, ISO 8601, or an age such as 24h or 7d") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.timestamp()


def _router(gw: Gateway) -> APIRouter:
    router = APIRouter()

    async def _client(request: Request) -> str:
        await gw.ensure_started()
        return await gw.authenticate(request.headers.get("authorization"))

    # These two are answered by GatewayApp before FastAPI sees them (see _hot.py); they are here for
    # the OpenAPI description, and for an app that serves this router another way.
    async def chat_completions(request: Request) -> Response:
        return _send(await handle(gw, request.headers.get("authorization"), await request.body(), None))

    async def invocations(endpoint: str, request: Request) -> Response:
        return _send(await handle(gw, request.headers.get("authorization"), await request.body(), endpoint))

    async def models(request: Request) -> Response:
        await _client(request)  # an UnauthorizedError is answered 401 by the app's handler
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "jurist-gateway"}
                for name in sorted(gw.table.routes)]
        return JSONResponse({"object": "list", "data": data})

    async def model(model_id: str, request: Request) -> Response:
        await _client(request)
        name = model_id[len("gateway:/"):] if model_id.startswith("gateway:/") else model_id
        if name not in gw.table.routes:
            return _error(404, f"no endpoint named {model_id!r} (GET /v1/models lists them)", "model_not_found")
        return JSONResponse({"id": name, "object": "model", "created": 0, "owned_by": "jurist-gateway"})

    async def health() -> dict[str, Any]:
        return {"status": "ok", "endpoints": len(gw.table.routes)}

    router.add_api_route("/v1/chat/completions", chat_completions, methods=["POST"], tags=["chat"],
                         summary="OpenAI-compatible chat completion; model = an endpoint's name")
    router.add_api_route("/v1/models", models, methods=["GET"], tags=["chat"], summary="The endpoints, as models")
    router.add_api_route("/v1/models/{model_id:path}", model, methods=["GET"], tags=["chat"],
                         summary="One endpoint, as a model")
    router.add_api_route("/{endpoint}/invocations", invocations, methods=["POST"], tags=["chat"],
                         summary="MLflow AI Gateway-style invocation of an endpoint")
    router.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    router.include_router(_admin_router(gw), prefix="/admin", tags=["admin"])
    return router


def _admin_router(gw: Gateway) -> APIRouter:
    async def admin(request: Request) -> None:
        await gw.ensure_started()
        env = gw.config.auth.admin_token_env
        expected = os.environ.get(env, "")
        if not expected:
            raise HTTPException(403, f"the admin API is off: set {env} on the gateway to turn it on")
        auth = request.headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not same_secret(token.strip(), expected):
            raise HTTPException(401, f"the admin API needs 'Authorization: Bearer <the token in {env}>'",
                                headers={"www-authenticate": "Bearer"})

    router = APIRouter(dependencies=[Depends(admin)])

    def store() -> Any:
        assert gw.store is not None
        return gw.store

    async def _run(fn: Any, *args: Any) -> Any:
        import asyncio

        try:
            return await asyncio.to_thread(fn, *args)
        except JuristError:
            raise  # answered with its class's status by the app's handler
        except ValueError as e:  # a name that is not allowed
            raise HTTPException(400, str(e)) from None

    def _endpoint_view(name: str) -> dict[str, Any]:
        route = gw.table.routes[name]
        targets = [{"name": t.label, "model": t.config.model, "usable": t.unusable is None,
                    **({"problem": gw.table.redact(t.unusable)} if t.unusable else {})}
                   for t in (*route.targets, *route.fallbacks)]
        return {"name": name, "source": route.source, "config": route.config.model_dump(mode="json"),
                "targets": targets}

    @router.get("/endpoints", summary="Every endpoint in force, from the file and from the API")
    async def list_endpoints() -> dict[str, Any]:
        return {"endpoints": [_endpoint_view(n) for n in sorted(gw.table.routes)]}

    @router.get("/endpoints/{name}")
    async def get_endpoint(name: str) -> dict[str, Any]:
        if name not in gw.table.routes:
            raise HTTPException(404, f"no endpoint named {name!r}")
        return _endpoint_view(name)

    @router.put("/endpoints/{name}", summary="Create or replace an endpoint; in force when this returns")
    async def put_endpoint(name: str, request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise HTTPException(400, "the request body is not JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "the request body must be an endpoint object")
        data.setdefault("name", name)
        if data["name"] != name:
            raise HTTPException(400, f"the body names endpoint {data['name']!r} but the path {name!r}")
        try:
            endpoint = validate(EndpointConfig, data, "request body")
        except ConfigError as e:
            raise HTTPException(422, str(e)) from None
        if name in gw.table.file_endpoints:
            raise HTTPException(409, f"endpoint {name!r} is defined in {gw.config_path}; change it there")
        await _run(store().put_endpoint, endpoint)
        await gw.reload(f"endpoint {name!r} stored")
        return _endpoint_view(name)

    @router.delete("/endpoints/{name}")
    async def delete_endpoint(name: str) -> dict[str, Any]:
        if name in gw.table.file_endpoints:
            raise HTTPException(409, f"endpoint {name!r} is defined in {gw.config_path}; remove it there")
        if not await _run(store().delete_endpoint, name):
            raise HTTPException(404, f"no endpoint named {name!r} was made over the API")
        await gw.reload(f"endpoint {name!r} deleted")
        return {"deleted": name}

    @router.get("/secrets", summary="Secret names and times (values never leave the gateway)")
    async def list_secrets() -> dict[str, Any]:
        return {"secrets": await _run(store().list_secrets)}

    @router.put("/secrets/{name}", summary="Store a provider key, encrypted under JURIST_SECRET_KEY")
    async def put_secret(name: str, body: SecretIn) -> dict[str, Any]:
        info = await _run(store().put_secret, name, body.value)
        await gw.reload(f"secret {name!r} stored")
        return dict(info)

    @router.delete("/secrets/{name}")
    async def delete_secret(name: str) -> dict[str, Any]:
        if not await _run(store().delete_secret, name):
            raise HTTPException(404, f"no secret named {name!r}")
        await gw.reload(f"secret {name!r} deleted")
        return {"deleted": name}

    @router.get("/clients")
    async def list_clients() -> dict[str, Any]:
        return {"clients": await _run(store().list_clients)}

    @router.post("/clients", status_code=201, summary="Make a client; its token is shown in this answer only")
    async def create_client(body: ClientIn) -> dict[str, Any]:
        try:
            check_name(body.name, "client name")
        except ValueError as e:
            raise HTTPException(400, str(e)) from None
        token = await _run(store().create_client, body.name)
        await gw.reload(f"client {body.name!r} added")
        return {"name": body.name, "token": token}

    @router.delete("/clients/{name}", summary="Revoke a client's token")
    async def delete_client(name: str) -> dict[str, Any]:
        if not await _run(store().delete_client, name):
            raise HTTPException(404, f"no client named {name!r}")
        gw.forget_client(name)
        await gw.reload(f"client {name!r} revoked")
        return {"deleted": name}

    @router.get("/usage", summary="Requests, errors, tokens, cost and latency percentiles, grouped")
    async def usage(
        group_by: list[str] = Query(default=["endpoint"]),
        since: str | None = None,
        until: str | None = None,
        endpoint: str | None = None,
        client: str | None = None,
    ) -> dict[str, Any]:
        fields = [g for item in group_by for g in item.split(",") if g]
        lo, hi = _when(since, "since"), _when(until, "until")
        if gw.recorder is not None:
            await gw.recorder.flush()

        def _summary() -> Any:
            return store().usage_summary(group_by=fields, since=lo, until=hi, endpoint=endpoint, client=client)

        return {"group_by": fields, "since": lo, "until": hi, "groups": await _run(_summary)}

    @router.post("/reload", summary="Read the file and the store again now")
    async def reload() -> dict[str, Any]:
        gw._file_changed()
        table = await gw.reload("admin request")
        return {"endpoints": sorted(table.routes)}

    return router


class GatewayApp(FastAPI):
    """FastAPI for the admin API, the models list and the docs; the chat paths answered in plain ASGI
    first (``_hot.py``). ``state.gateway`` is the running :class:`Gateway`."""

    def __init__(self, gateway: Gateway, prefixes: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.gateway = gateway
        self._gateway = gateway
        self._prefixes = prefixes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            root = scope.get("root_path") or ""
            if root and path.startswith(root):
                path = path[len(root):]
            for prefix in self._prefixes:
                if prefix and not path.startswith(prefix + "/"):
                    continue
                hot, endpoint = match(path[len(prefix):])
                if hot:
                    await serve(self._gateway, scope, receive, send, endpoint)
                    return
        await super().__call__(scope, receive, send)


def create_gateway_app(
    config: str | Path | GatewayConfig | None = None,
    *,
    database: str | None = None,
    redis_url: str | None = None,
    standalone: bool = False,
) -> GatewayApp:
    """The gateway as a FastAPI app, to serve alone or mount (``app.mount("/gateway", gateway_app)``).

    ``config`` is a YAML path (watched for changes), a :class:`GatewayConfig`, or None (endpoints only
    from the admin API). The app starts its gateway on its own startup, or on the first request when it
    is mounted inside another app (whose lifespan should call ``await app.state.gateway.aclose()`` at
    shutdown so queued usage is written). ``standalone`` also answers under ``/gateway/...``, so that
    URLs written for ``jurist server`` work against ``jurist gateway`` too.

    Example:
        >>> app = create_gateway_app("gateway.yaml")            # doctest: +SKIP
        >>> uvicorn.run(app, port=5001)                           # doctest: +SKIP
    """
    if isinstance(config, (str, Path)):
        gw = Gateway(load_config(config), config_path=config, database=database, redis_url=redis_url)
    else:
        gw = Gateway(config, database=database, redis_url=redis_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await gw.start()
        try:
            yield
        finally:
            await gw.aclose()

    app = GatewayApp(gw, ("", "/gateway") if standalone else ("",), title="jurist AI Gateway", version="1",
                     lifespan=lifespan,
                     description="Endpoints that hold the keys, route traffic, fall back, and count cost.")

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {401: "invalid_admin_token", 403: "admin_api_off", 404: "not_found", 409: "conflict",
                422: "invalid_config"}.get(exc.status_code, "bad_request")
        return _error(exc.status_code, str(exc.detail), code, dict(exc.headers or {}))

    async def jurist_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JuristError)
        status = exc.http_status
        headers = {"www-authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
        return _error(status, gw.table.redact(str(exc)), _CODES.get(status, "server_error"), headers)

    async def invalid_request(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # Said without the values sent: one of them may be a key.
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(422, problems, "invalid_request")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(JuristError, jurist_error)
    router = _router(gw)
    app.include_router(router)
    if standalone:
        app.include_router(router, prefix="/gateway", include_in_schema=False)
    return app
