"""An OpenAI-compatible HTTP endpoint for the local model (``jurist serve-local``).

Other processes, the UI and any OpenAI client can then judge with the one loaded model::

    jurist serve-local --port 8088
    Correctness(model="openai:/default", base_url="http://127.0.0.1:8088/v1")

Routes: ``POST /v1/chat/completions`` (read by the gateway's Chat Completions reader,
:func:`jurist.gateway._wire.to_chat_request`, then sent to llama.cpp's server as the in-process ``local:/``
provider sends it: a ``json_schema`` or ``json_object`` response format becomes a grammar; ``stream: true``
is answered as server-sent events once the answer is complete), ``GET /v1/models``, ``GET /health``. Requests share the process's one
supervised engine and its slots with in-process judges. There is no authentication unless ``api_key`` is given:
bind to 127.0.0.1 (the default) unless the network is trusted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from jurist.errors import (
    BadRequestError,
    ConfigError,
    ContextLengthError,
    JuristError,
    SchemaUnsupportedError,
)
from jurist.gateway._wire import to_chat_request
from jurist.local._engine import LocalEngine, engine_for
from jurist.local._provider import grammar_problem
from jurist.local._provider import to_wire as local_to_wire
from jurist.local._supply import ModelSpec, require_runtime, resolve
from jurist.models._uri import parse_model_uri

log = logging.getLogger("jurist.local")

#: Body fields the Chat Completions reader takes in; llama.cpp's own others (``logprobs``, ``top_k``,
#: ``tools``...) are passed to it as the client sent them.
_READ = frozenset({"model", "stream", "stream_options", "n", "messages", "temperature", "top_p", "seed", "stop",
                   "max_tokens", "max_completion_tokens", "response_format"})


def local_name(model: str) -> str:
    """``local:/default`` or ``default`` → ``default``; another provider's URI is a ConfigError."""
    m = model.strip()
    if m.lower().startswith("local:"):
        return parse_model_uri(m).model
    if ":/" in m and not m.startswith(("/", ".", "~")):
        raise ConfigError(f"serve-local serves local models (local:/<name-or-path>), not {model!r}.")
    return m


def served_id(spec: ModelSpec) -> str:
    """The model id clients name: the URI's name, or a file's name without ``.gguf``."""
    if spec.path is not None and spec.bundled is None and spec.name not in ("default", ""):
        name = Path(spec.name).name
        return name[:-5] if name.lower().endswith(".gguf") else name
    return spec.name or "default"


def _error(status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
           param: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status)


class _Handlers:
    def __init__(self, spec: ModelSpec, engine: LocalEngine, api_key: str | None) -> None:
        self.spec = spec
        self.engine = engine
        self.api_key = api_key
        self.model_id = served_id(spec)
        self.created = int(time.time())

    def _authorized(self, request: web.Request) -> bool:
        if not self.api_key:
            return True
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    async def models(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        return web.json_response({"object": "list", "data": [
            {"id": self.model_id, "object": "model", "created": self.created, "owned_by": "jurist",
             "description": self.spec.label},
        ]})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "model": self.model_id, "label": self.spec.label,
                                  "slots": self.engine.settings.slots})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "The body is not valid JSON.")
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.")
        if body.get("n") not in (None, 1):
            return _error(400, "Only n=1 is supported.", param="n")
        try:
            chat = to_chat_request({k: v for k, v in body.items() if k not in ("tools", "tool_choice")})
        except ConfigError as e:
            msg = str(e)
            return _error(400, msg, param="messages" if "messages" in msg else
                          "response_format" if "response_format" in msg else None)
        if chat.response_schema is not None:
            why = grammar_problem(chat.response_schema.schema)
            if why is not None:
                return _error(400, f"Invalid response_format schema: {why}", param="response_format")
        # The same body the in-process local:/ provider sends, and whatever else llama.cpp reads.
        forward = {**{k: v for k, v in body.items() if k not in _READ}, **local_to_wire(chat, chat.params)}
        try:
            out = await self.engine.achat(forward)
        except ContextLengthError as e:
            return _error(400, str(e), code="context_length_exceeded", param="messages")
        except BadRequestError as e:
            return _error(400, str(e), param="response_format" if isinstance(e, SchemaUnsupportedError) else None)
        except JuristError as e:
            return _error(503 if e.retryable else 500, str(e), type_="server_error")
        out["model"] = self.model_id
        if body.get("stream"):
            return await self._stream(request, out, bool((body.get("stream_options") or {}).get("include_usage")))
        return web.json_response(out)

    async def _stream(self, request: web.Request, out: dict[str, Any], include_usage: bool) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        choice = out["choices"][0]
        base = {"id": out.get("id") or f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
                "created": out.get("created") or int(time.time()), "model": self.model_id}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"content": choice["message"].get("content") or ""},
                                  "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}]},
        ]
        if include_usage:
            chunks.append({**base, "choices": [], "usage": out.get("usage")})
        for c in chunks:
            await resp.write(f"data: {json.dumps(c, ensure_ascii=False)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def build_app(spec: ModelSpec, engine: LocalEngine, *, api_key: str | None = None) -> web.Application:
    h = _Handlers(spec, engine, api_key)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", h.chat)
    app.router.add_get("/v1/models", h.models)
    app.router.add_get("/health", h.health)
    return app


class LocalServer:
    """The endpoint on its own thread and event loop; ``start()`` returns once the model is loaded.

    Example:
        >>> with LocalServer("smollm2", port=0) as srv:          # doctest: +SKIP
        ...     print(srv.base_url)                              # http://127.0.0.1:<port>/v1
    """

    def __init__(self, model: str = "default", host: str = "127.0.0.1", port: int = 0, *,
                 api_key: str | None = None) -> None:
        self.spec = resolve(local_name(model))
        self.host = host
        self.port = port
        self.api_key = api_key
        self.engine: LocalEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def model_id(self) -> str:
        return served_id(self.spec)

    def start(self) -> LocalServer:
        require_runtime()
        self.engine = engine_for(self.spec)
        self.engine.wait_loaded()
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as e:
                errors.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._unbind())
            loop.close()

        self._thread = threading.Thread(target=run, name="jurist-serve-local", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise ConfigError(f"could not listen on {self.host}:{self.port}: {errors[0]}") from errors[0]
        return self

    async def _bind(self) -> None:
        assert self.engine is not None
        self._runner = web.AppRunner(build_app(self.spec, self.engine, api_key=self.api_key), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def _unbind(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        """Stop listening (the loaded model stays loaded for the rest of the process)."""
        loop, t = self._loop, self._thread
        if loop is not None and t is not None and t.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            t.join(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str, port: int, model: str, *, api_key: str | None = None,
          on_ready: Callable[[str], None] | None = None, stop: threading.Event | None = None,
          say: Callable[[str], None] | None = None) -> None:
    """Serve ``local:/<model>`` as an OpenAI-compatible endpoint until interrupted (Ctrl-C) or ``stop`` is set.

    ``port=0`` picks a free port; ``on_ready`` is called with the base URL once the model is loaded and
    the port is bound. With ``api_key``, requests must carry ``Authorization: Bearer <api_key>``. What it
    is doing (loading, listening) goes to ``say`` (the CLI prints it), else to the ``jurist.local`` log.

    Example:
        >>> serve("127.0.0.1", 8088, "default")   # doctest: +SKIP
        jurist serve-local: Qwen2.5-Coder-1.5B-Instruct Q4_K_M at http://127.0.0.1:8088/v1 (model id 'default')
    """
    server = LocalServer(model, host, port, api_key=api_key)
    tell = say or log.info
    tell(f"jurist serve-local: loading {server.spec.label} …")
    server.start()
    tell(f"jurist serve-local: {server.spec.label} at {server.base_url} (model id {server.model_id!r}); "
         f"judge with model='openai:/{server.model_id}', base_url='{server.base_url}'. Ctrl-C stops.")
    if on_ready is not None:
        on_ready(server.base_url)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
