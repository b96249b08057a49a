"""One running gateway: its configuration and routing table, who may call it, limits, usage, reloads.

The routing table is immutable and replaced whole: when the file changes (checked every
``reload_interval`` seconds by its modification time and content) or an admin call changes the store
(checked by a counter every replica polls), a new table is built and swapped in with one assignment.
A request reads the table once, when it starts, and keeps it to the end.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from jurist.errors import ConfigError, UnauthorizedError
from jurist.gateway._config import GatewayConfig, load_config, parse_config
from jurist.gateway._dispatch import Dispatcher, Result, Stream, failure
from jurist.gateway._limits import Backend, Denied, LimitPolicy, MemoryBackend, Reservation
from jurist.gateway._secrets import token_hash
from jurist.gateway._store import GatewayStore, UsageRecord
from jurist.gateway._table import EMPTY, Route, RoutingTable, build_table
from jurist.gateway._usage import UsageRecorder
from jurist.models._http import Transport

log = logging.getLogger("jurist.gateway")

REDIS_URL_ENV = "JURIST_REDIS_URL"
ANONYMOUS = "anonymous"


#: A request without a known client token (answered 401); the name the gateway's modules use.
Unauthorized = UnauthorizedError


class Gateway:
    """A gateway's state. Made by :func:`jurist.gateway.create_gateway_app`; ``start`` runs on the serving loop.

    Example:
        >>> gw = Gateway.from_file("gateway.yaml")      # doctest: +SKIP
        >>> await gw.start()                              # doctest: +SKIP
    """

    def __init__(self, config: GatewayConfig | None = None, *, config_path: str | Path | None = None,
                 database: str | None = None, redis_url: str | None = None) -> None:
        self.config = config if config is not None else GatewayConfig()
        self.config_path = Path(config_path) if config_path is not None else None
        self._file_sig: tuple[int, int] | None = None
        self._file_hash: str | None = None
        self._file_problem: str | None = None
        if self.config_path is not None:
            self._remember_file()
        self.database = database
        self.redis_url = redis_url if redis_url is not None else (os.environ.get(REDIS_URL_ENV) or None)
        self.table: RoutingTable = EMPTY
        self.store: GatewayStore | None = None
        self.limits: LimitPolicy | None = None
        self.recorder: UsageRecorder | None = None
        self.transport = Transport()
        self.dispatcher = Dispatcher(self.transport)
        self._clients: dict[str, str] = {}
        self._unknown: dict[str, float] = {}
        self._store_version = -1
        self._started = False
        self._start_lock: asyncio.Lock | None = None
        self._reload_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Gateway:
        return cls(load_config(path), config_path=path, **kwargs)

    # -- lifecycle ----------------------------------------------------------------------------------
    def preflight(self) -> None:
        """Open the store and reach Redis now, so that a bad setting fails before serving starts."""
        if self.store is None:
            self.store = GatewayStore(self.database)
        if self.redis_url:
            try:
                import redis
            except ImportError:
                raise ConfigError(f"{REDIS_URL_ENV} is set but the 'redis' package is not installed: "
                                  "pip install 'jurist[gateway]'") from None
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=5, socket_timeout=5)
            try:
                client.ping()
            except redis.RedisError as e:
                raise ConfigError(f"cannot reach Redis at {REDIS_URL_ENV} for shared limits and budgets: {e}") from None
            finally:
                client.close()

    async def start(self) -> None:
        """Open the store, the limits backend and the usage recorder; build the table; watch for changes."""
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            self._reload_lock = asyncio.Lock()
            #: The loop the gateway serves on (its sessions, tasks and Redis client belong to it).
            self.loop = asyncio.get_running_loop()
            if self.store is None:
                self.store = await asyncio.to_thread(GatewayStore, self.database)
            backend: Backend
            if self.redis_url:
                from jurist.gateway._redis import RedisBackend

                redis_backend = RedisBackend(self.redis_url, timeout=self.config.redis_timeout)
                await redis_backend.ping()
                backend = redis_backend
            else:
                backend = MemoryBackend()
            self.limits = LimitPolicy(backend, self.config.redis_prefix)
            self.recorder = UsageRecorder(self.store)
            self.recorder.start()
            await self.reload("start")
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="jurist-gateway-watch")
            self._started = True

    async def ensure_started(self) -> None:
        if not self._started:
            await self.start()

    async def aclose(self) -> None:
        """Stop watching, write the usage still queued, close connections."""
        if self._watcher is not None:
            self._watcher.cancel()
            try:
                await self._watcher
            except asyncio.CancelledError:
                pass
            self._watcher = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.recorder is not None:
            await self.recorder.aclose()
        if self.limits is not None:
            await self.limits.backend.aclose()
        await self.transport.aclose()
        if self.store is not None:
            self.store.close()
        self._started = False

    # -- reloading ----------------------------------------------------------------------------------
    def _remember_file(self) -> None:
        assert self.config_path is not None
        st = self.config_path.stat()
        self._file_sig = (st.st_mtime_ns, st.st_size)
        self._file_hash = hashlib.sha256(self.config_path.read_bytes()).hexdigest()

    def _file_changed(self) -> bool:
        """Whether the file now holds a different, valid configuration (which then becomes ``config``)."""
        path = self.config_path
        if path is None:
            return False
        try:
            st = path.stat()
            sig = (st.st_mtime_ns, st.st_size)
            if sig == self._file_sig:
                return False
            data = path.read_bytes()
        except OSError as e:
            problem = f"cannot read {path} ({e.strerror or e}); keeping the configuration in force"
            if problem != self._file_problem:  # said once, not at every check
                self._file_problem = problem
                log.error("%s", problem)
            return False
        self._file_problem = None
        self._file_sig = sig
        digest = hashlib.sha256(data).hexdigest()
        if digest == self._file_hash:
            return False
        self._file_hash = digest
        try:
            self.config = parse_config(data.decode("utf-8", errors="replace"), str(path))
        except ConfigError as e:
            log.error("%s; keeping the configuration in force", e)
            return False
        return True

    async def reload(self, reason: str = "") -> RoutingTable:
        """Build a new table from the configuration and the store, and swap it in."""
        assert self.store is not None and self._reload_lock is not None
        store = self.store
        async with self._reload_lock:

            def _read() -> tuple[int, Any, Any, dict[str, str]]:
                version = store.version()  # first: a change after this read is seen on the next poll
                return version, store.list_endpoints(), store.load_secrets(), store.client_hashes()

            version, endpoints, (secrets, problems), clients = await asyncio.to_thread(_read)
            table = build_table(self.config, endpoints, secrets, problems)
            self.table = table
            self._clients = clients
            self._unknown.clear()
            self._store_version = version
        log.info("gateway: %d endpoint(s) in force (%s)", len(table.routes), reason or "reload")
        return table

    async def _watch(self) -> None:
        assert self.store is not None
        while True:
            await asyncio.sleep(self.config.reload_interval)
            try:
                reasons = []
                if self._file_changed():
                    reasons.append(f"{self.config_path} changed")
                if await asyncio.to_thread(self.store.version) != self._store_version:
                    reasons.append("the store changed")
                if reasons:
                    await self.reload(", ".join(reasons))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.error("gateway reload failed, keeping the table in force: %s", self.table.redact(str(e)))

    # -- clients ------------------------------------------------------------------------------------
    async def authenticate(self, authorization: str | None) -> str:
        """The calling client's name, from ``Authorization: Bearer <token>``; Unauthorized otherwise."""
        if not authorization:
            if self.config.auth.allow_anonymous:
                return ANONYMOUS
            raise Unauthorized("this gateway needs a client token: send 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send the client token as 'Authorization: Bearer <token>'")
        digest = token_hash(token)
        name = self._clients.get(digest)
        if name is not None:
            return name
        now = time.monotonic()
        if self._unknown.get(digest, 0.0) > now:
            raise Unauthorized("unknown client token")
        assert self.store is not None
        name = await asyncio.to_thread(self.store.client_by_hash, digest)  # made on another replica just now?
        if name is None:
            if len(self._unknown) > 10_000:
                self._unknown.clear()
            self._unknown[digest] = now + 2.0
            raise Unauthorized("unknown client token")
        self._clients[digest] = name
        return name

    def forget_client(self, name: str) -> None:
        self._clients = {h: n for h, n in self._clients.items() if n != name}

    # -- requests -----------------------------------------------------------------------------------
    async def chat(self, endpoint: str, body: dict[str, Any], client: str) -> Result | Stream:
        """Serve one chat request for ``client`` on ``endpoint``: limits, routing, fallbacks, accounting."""
        table = self.table
        route = table.routes.get(endpoint)
        if route is None:
            known = ", ".join(sorted(table.routes)) or "none yet"
            return failure(404, f"no endpoint named {endpoint!r}; endpoints: {known}", "invalid_request_error",
                           "model_not_found")
        start = time.perf_counter()
        assert self.limits is not None
        admitted = await self.limits.admit(route, client, body)
        if isinstance(admitted, Denied):
            result = failure(429, admitted.message, "rate_limit_exceeded", admitted.code)
            result.headers["retry-after"] = str(int(admitted.retry_after))
            await self._finish(route, client, result, start, stream=bool(body.get("stream")))
            return result
        try:
            if body.get("stream"):
                opened = await self.dispatcher.stream(route, body, table.redact)
                if isinstance(opened, Result):
                    await self._finish(route, client, opened, start, stream=True, held=admitted)
                    return opened
                return Stream(self._streamed(route, client, opened, start, admitted), opened.result)
            result = await self.dispatcher.complete(route, body, table.redact)
        except BaseException:
            # Nothing was answered: what the request reserved goes back to its counters.
            await self._settle(route, client, None, admitted)
            raise
        await self._finish(route, client, result, start, stream=False, held=admitted)
        return result

    async def _streamed(self, route: Route, client: str, stream: Stream, start: float,
                        held: Reservation) -> AsyncIterator[bytes]:
        try:
            async for chunk in stream.chunks:
                yield chunk
        finally:
            await self._finish(route, client, stream.result, start, stream=True, held=held)

    async def _finish(self, route: Route, client: str, result: Result, start: float, *, stream: bool,
                      held: Reservation | None = None) -> None:
        latency_ms = (time.perf_counter() - start) * 1000.0
        if self.recorder is not None:
            self.recorder.record(UsageRecord(
                ts=time.time(), endpoint=route.name, target=result.target, client=client, status=result.status,
                error_code=result.error_code, input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                cost_usd=result.cost_usd, latency_ms=latency_ms, attempts=result.attempts, stream=stream,
            ))
        await self._settle(route, client, result if result.status < 400 else None, held)

    async def _settle(self, route: Route, client: str, result: Result | None, held: Reservation | None) -> None:
        """Count what an answered request used in place of what it reserved; a failed one (``result``
        None) releases its reservation."""
        cfg = route.config
        if self.limits is not None and (cfg.limits is not None or cfg.budgets) and (
                result is not None or (held is not None and held.items)):
            tokens = (result.input_tokens or 0) + (result.output_tokens or 0) if result is not None else 0
            cost = result.cost_usd if result is not None else None
            counting = self.limits.account(route, client, tokens, cost, held)
            if isinstance(self.limits.backend, MemoryBackend):
                await counting  # no I/O: done before the answer goes, so the next request sees it
            else:  # a round trip to Redis: after the answer, not before it
                task = asyncio.get_running_loop().create_task(counting)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
