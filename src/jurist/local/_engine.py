"""The local model's engine: llama.cpp's own server, in a child process that jurist starts and supervises.

llama.cpp's server engine (the prebuilt ``xllamacpp`` wheel: nothing compiles) does what a judge needs
natively: continuous batching over parallel slots, so several judgments share the cores; a prompt cache
per slot plus a host-memory cache of recent prompts, so a judge's instructions (always first in its
prompt) are evaluated once and restored when the judge comes back; JSON-schema constrained output; and
per-token log-probabilities, from which a verdict's confidence is read.

It runs at arm's length, in a child process (:mod:`jurist.local._child`) on a loopback port that only
this process holds the key to. A native crash there (a segfault, an illegal instruction, the OOM killer)
costs the judgments in flight an :class:`~jurist.errors.EngineCrashError`; the engine is restarted once
and those judgments are retried by the client's one retry loop. A second crash ends the engine: every
judgment left gets the error, the run is not lost, and ``evaluate(..., resume=...)`` makes only the
missing calls later. The child exits when its parent does, however the parent ends.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from hashlib import blake2b
from pathlib import Path
from typing import Any, TypeVar

from jurist._runtime import RUNTIME
from jurist.errors import (
    BadRequestError,
    ConfigError,
    ContextLengthError,
    EngineCrashError,
    JuristError,
    ProviderError,
    ProviderTimeout,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.local import _prefill
from jurist.local._slots import SlotScheduler
from jurist.local._supply import ModelSpec, model_dir, require_runtime

log = logging.getLogger("jurist.local")

#: Tokens of KV cache shared by all slots; one judgment may use all of it.
DEFAULT_CTX = 8192
DEFAULT_MAX_TOKENS = 512
#: Host memory for saved prompt states (a judge's instructions are a few MB each).
DEFAULT_CACHE_RAM_MIB = 256
MAX_SLOTS = 8
#: A first message at least this long is a shared prefix worth evaluating once (about 100 tokens).
PREFIX_MIN_CHARS = 400
OFF = ("0", "false", "off", "no")
ON = ("1", "true", "on", "yes")
T = TypeVar("T")


def default_threads(configured: int | None = None) -> int:
    """``JURIST_LOCAL_THREADS`` when set above 0, else every core this process may run on."""
    n = configured if configured is not None else RUNTIME.settings.local_threads
    if n:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_slots(cores: int, ctx: int) -> int:
    """Two judgments per core keep the cores busy while others wait on memory (4 slots on 2 cores ran
    2.1x as fast as one); at most 8, and fewer when memory is short (a slot's share of the unified KV
    cache is small, but each slot holds its own compute state of roughly ``ctx`` x 16 KiB)."""
    slots = min(MAX_SLOTS, max(1, 2 * cores))
    free = _available_memory()
    if free is not None:
        per_slot = max(64 << 20, ctx * 16 * 1024)
        slots = max(1, min(slots, int(free // 4 // per_slot)))
    return slots


def cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_tile" in line.split()
    except OSError:
        pass
    return False


@dataclass(frozen=True)
class EngineSettings:
    """How the engine runs; read once from ``JURIST_LOCAL_*`` by :meth:`from_env`.

    ``extra_bufts``: llama.cpp's repacked weight layouts (faster matrix kernels; generation ran a fifth
    slower without them on an AMX CPU). ``None`` (the default) turns them on, except where the llama.cpp build has AMX kernels
    and the CPU has AMX: that repacking path crashes on some CPUs (llama.cpp issue 20824). The prebuilt
    wheel has no AMX kernels, so only a build from source is affected.
    """

    slots: int
    ctx: int = DEFAULT_CTX
    threads: int = 1
    n_batch: int = 512
    cache_ram_mib: int = DEFAULT_CACHE_RAM_MIB
    extra_bufts: bool | None = None
    #: How many times a crashed engine is started again before judgments fail for good.
    restarts: int = 1
    load_timeout_s: float = 900.0
    #: One judgment's wait, queueing behind others included.
    request_timeout_s: float = 1800.0
    #: llama.cpp's log level in the engine log (0 errors … 4 debug).
    verbosity: int = 2
    #: A verdict object is asked in two steps with its fixed text written, not decoded (:mod:`._prefill`).
    prefill: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> EngineSettings:
        """From the runtime's settings (the ``JURIST_LOCAL_*`` variables), with ``overrides`` on top."""
        env = RUNTIME.settings
        threads = default_threads(env.local_threads)
        ctx = env.local_ctx or DEFAULT_CTX
        slots = env.local_slots or default_slots(threads, ctx)
        s = cls(
            slots=slots, ctx=ctx, threads=threads,
            cache_ram_mib=_given(env.local_cache_ram_mib, DEFAULT_CACHE_RAM_MIB),
            extra_bufts=env.local_extra_bufts,
            restarts=_given(env.local_restarts, 1),
            load_timeout_s=_given(env.local_load_timeout_s, 900.0),
            request_timeout_s=_given(env.local_timeout_s, 1800.0),
            verbosity=_given(env.local_log_level, 2),
            prefill=env.local_prefill,
        )
        s = replace(s, **{k: v for k, v in overrides.items() if v is not None})
        if s.slots < 1 or s.slots > 64:
            raise ConfigError(f"JURIST_LOCAL_SLOTS must be between 1 and 64, got {s.slots}")
        if s.ctx < 256:
            raise ConfigError(f"JURIST_LOCAL_CTX must be at least 256 tokens, got {s.ctx}")
        return s


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


@dataclass
class EngineStats:
    """Counters since the engine was made, over all its child processes.

    ``prompt_eval_tokens`` were computed; ``prompt_cached_tokens`` came from a slot's or the host
    memory's prompt cache (a judge's instructions, once evaluated).
    """

    completions: int = 0
    prompt_tokens: int = 0
    prompt_eval_tokens: int = 0
    prompt_cached_tokens: int = 0
    output_tokens: int = 0
    prompt_eval_s: float = 0.0
    generation_s: float = 0.0
    load_s: float = 0.0
    #: Slot states copied to other slots, so a judge's instructions were not evaluated again.
    slot_copies: int = 0
    starts: int = 0
    crashes: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = ""
        if name == "SIGILL":
            hint = (" (an instruction this CPU lacks: the prebuilt llama.cpp needs AVX2 on x86-64; build "
                    "xllamacpp from source for this CPU, see docs/local.md)")
        elif name == "SIGKILL":
            hint = " (killed: by the kernel's out-of-memory killer, or by hand; try fewer JURIST_LOCAL_SLOTS)"
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"


@dataclass
class _Child:
    """One child process and what the supervisor learnt of it."""

    generation: int
    proc: subprocess.Popen[bytes] | None = None
    address: str | None = None
    error: BaseException | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    lost: bool = False
    #: Which slot each judgment runs on (with more than one slot).
    scheduler: SlotScheduler | None = None
    #: The child's private folder for copying a slot's state to other slots.
    slot_dir: Path | None = None


class LocalEngine:
    """The supervised llama.cpp server for one model file.

    Example:
        >>> engine = engine_for(resolve("smollm2"))                                   # doctest: +SKIP
        >>> engine.complete({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8})  # doctest: +SKIP
    """

    def __init__(self, spec: ModelSpec, settings: EngineSettings | None = None, **overrides: Any) -> None:
        self.spec = spec
        self.settings = settings if settings is not None else EngineSettings.from_env(**overrides)
        self.stats = EngineStats()
        self.path: Path | None = None
        self.api_key = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._generation = 0
        self._restarts_left = self.settings.restarts
        self._dead: EngineCrashError | None = None
        self._closed = False
        self._session: Any = None
        self.log_path = model_dir().parent / "logs" / f"local-engine-{os.getpid()}-{id(self):x}.log"
        self.system_info = ""

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> LocalEngine:
        """Start the child (loading the model) in the background, unless it runs already."""
        with self._lock:
            if self._child is None and not self._closed and self._dead is None:
                self._spawn_locked()
        return self

    @property
    def failed(self) -> bool:
        """The model could not be loaded (a fixed file may be tried again with a new engine)."""
        c = self._child
        return self._dead is None and c is not None and c.generation == 1 and c.error is not None

    @property
    def dead(self) -> bool:
        """The engine crashed more often than it may restart; it stays down for this process."""
        return self._dead is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pid(self) -> int | None:
        c = self._child
        return c.proc.pid if c is not None and c.proc is not None else None

    @property
    def base_url(self) -> str:
        """The child's address, once loaded (``http://127.0.0.1:<port>``)."""
        return self._ready_child(None).address or ""

    def wait_loaded(self, timeout: float | None = None) -> None:
        """Block until the model is loaded; raise what stopped it from loading."""
        self._ready_child(timeout)

    def close(self) -> None:
        """Stop the child (it exits when its stdin closes) and refuse new judgments."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
        if child is not None:
            self._stop(child)
        session, self._session = self._session, None
        if session is not None and not session.closed and RUNTIME.running and not RUNTIME.in_runtime():
            try:
                RUNTIME.submit(session.close()).result(timeout=5)
            except Exception:  # the runtime is shutting down too: it closes what is left
                pass

    def _spawn_locked(self) -> None:
        self._generation += 1
        child = _Child(self._generation)
        self._child = child
        threading.Thread(target=self._launch, args=(child,), name=f"jurist-local-start[{self.spec.label}]",
                         daemon=True).start()

    def _launch(self, child: _Child) -> None:
        start = time.perf_counter()
        try:
            require_runtime()
            path = self.spec.materialize()
            self.path = path
            self._run_child(child, path)
            self.stats.load_s = time.perf_counter() - start
            self.stats.starts += 1
            log.info("local engine for %s ready at %s in %.1f s (pid %s, %d slots, %d threads, context %d)",
                     self.spec.label, child.address, self.stats.load_s, child.proc.pid if child.proc else "?",
                     self.settings.slots, self.settings.threads, self.settings.ctx)
        except BaseException as e:
            child.error = e if isinstance(e, JuristError) else ConfigError(
                f"The local model {self.spec.label} could not be loaded: {type(e).__name__}: {e}"
            )
            if child.proc is not None:
                self._stop(child)
        finally:
            child.ready.set()

    def _run_child(self, child: _Child, path: Path) -> None:
        s = self.settings
        child.slot_dir = Path(tempfile.mkdtemp(prefix="jurist-slots-"))  # private (0700), removed on stop
        cfg = {
            "model": str(path), "slots": s.slots, "n_ctx": s.ctx, "n_batch": s.n_batch, "threads": s.threads,
            "api_key": self.api_key, "cache_ram_mib": s.cache_ram_mib, "extra_bufts": s.extra_bufts,
            "verbosity": s.verbosity, "slot_dir": str(child.slot_dir), "cpu_amx": cpu_has_amx(),
        }
        env = dict(os.environ)
        env["JURIST_LOCAL_CHILD"] = json.dumps(cfg)
        # ggml's OpenMP threads spin while they wait for each other; on cores shared with other work a
        # spinning thread starves the one it waits for (generation ran ~10x slower on 2 busy cores). A
        # short spin keeps the idle speed and loses nothing under contention.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        env.setdefault("GOMP_SPINCOUNT", "1000")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            logf.write(f"--- engine start {child.generation}: {self.spec.label} ({path})\n".encode())
            logf.flush()
            child.proc = subprocess.Popen(
                [sys.executable, "-m", "jurist.local._child"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logf, env=env, close_fds=True,
            )
        finally:
            logf.close()
        line = self._read_ready(child.proc, s.load_timeout_s)
        try:
            event = json.loads(line) if line else {}
        except ValueError:
            event = {"event": "error", "message": f"unreadable start line {line[:200]!r}"}
        if event.get("event") != "ready":
            code = child.proc.poll()
            why = event.get("message") or f"the engine {_describe_exit(code)} while loading"
            raise ConfigError(
                f"llama.cpp could not load {path}: {why}. Is it a complete GGUF file of a model architecture "
                f"llama.cpp supports? The engine log is {self.log_path}.{self._tail_text()}"
            )
        child.address = str(event["address"]).rstrip("/")
        if s.slots > 1:
            child.scheduler = SlotScheduler(s.slots, lambda source, targets: self._copy_slots(child, source, targets))
        self.system_info = str(event.get("system_info") or "")

    def _read_ready(self, proc: subprocess.Popen[bytes], timeout: float) -> str:
        """The child's first stdout line, or '' if it died or did not load in time."""
        box: list[bytes] = []
        t = threading.Thread(target=lambda: box.append(proc.stdout.readline() if proc.stdout else b""),
                             daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            proc.kill()
            raise ConfigError(
                f"the local model {self.spec.label} did not load within {timeout:g} s (JURIST_LOCAL_LOAD_TIMEOUT)"
            )
        return box[0].decode("utf-8", "replace").strip() if box else ""

    def _stop(self, child: _Child) -> None:
        if child.slot_dir is not None:
            shutil.rmtree(child.slot_dir, ignore_errors=True)
        proc = child.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _tail_text(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.log_path) - 4000))
                lines = f.read().decode("utf-8", "replace").splitlines()[-8:]
        except OSError:
            return ""
        return ("\nLast lines of the engine log:\n  " + "\n  ".join(lines)) if lines else ""

    def _ready_child(self, timeout: float | None) -> _Child:
        self.start()
        child = self._child
        if self._dead is not None:
            raise self._dead
        if child is None:
            raise ProviderError("the local model was closed", provider="local")
        if not child.ready.wait(timeout):
            raise TimeoutError(f"the local model {self.spec.label} did not load within {timeout} s")
        if child.error is not None:
            if child.generation > 1:  # a restart after a crash failed: the engine is down, not misconfigured
                with self._lock:
                    if self._dead is None:
                        self._dead = EngineCrashError(
                            f"The local engine crashed and could not be started again ({child.error}). "
                            "Nothing done is lost: rerun with resume to make only the missing judgments.",
                            restarted=False, provider="local",
                        )
                raise self._dead
            raise child.error
        return child

    # -- asking -----------------------------------------------------------------------------------
    async def achat(self, body: dict[str, Any]) -> dict[str, Any]:
        """One OpenAI-shaped chat completion from the engine, awaited from any event loop."""
        return await RUNTIME.arun(self._achat(body))

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Blocking form of :meth:`achat`."""
        return RUNTIME.run(self._achat(body))

    async def _achat(self, body: dict[str, Any]) -> dict[str, Any]:
        import aiohttp

        child = self._child
        if child is None or not child.ready.is_set() or child.error is not None or self._dead is not None:
            child = await asyncio.to_thread(self._ready_child, None)
        assert child.address is not None
        if self._session is None or self._session.closed:
            if self._session is None:
                RUNTIME.on_shutdown(self._close_session)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=60), skip_auto_headers=("User-Agent",)
            )
        payload = {"max_tokens": DEFAULT_MAX_TOKENS, "temperature": 0.0, **body}
        plan = _prefill.plan_for(payload, int(payload["max_tokens"])) if self.settings.prefill else None

        def ask(slot: int | None) -> Awaitable[dict[str, Any]]:
            sent = payload if slot is None else {**payload, "id_slot": slot}
            return self._post(child, sent) if plan is None else self._in_steps(child, sent, plan)

        sched = child.scheduler
        if sched is None or "id_slot" in body:
            return await ask(None)
        key = _prefix_key(body) if body.get("cache_prompt") is not False else None
        try:
            return await asyncio.wait_for(
                sched.run(key, ask),
                timeout=self.settings.request_timeout_s,
            )
        except asyncio.TimeoutError as e:
            raise ProviderTimeout(
                f"the local model gave no answer within {self.settings.request_timeout_s:g} s, waiting for a "
                "slot included (JURIST_LOCAL_TIMEOUT)", provider="local",
            ) from e

    async def _copy_slots(self, child: _Child, source: int, targets: list[int]) -> None:
        """Copy slot ``source``'s prompt state into ``targets``, through a file in the child's private folder
        (llama.cpp's slot save and restore). Raises on failure; the scheduler then forgets those slots."""
        assert self._session is not None and child.slot_dir is not None and child.address is not None
        name = f"slot-{source}-{secrets.token_hex(4)}.bin"
        auth = {"Authorization": f"Bearer {self.api_key}"}

        async def action(slot: int, what: str) -> None:
            assert self._session is not None
            async with self._session.post(f"{child.address}/slots/{slot}?action={what}", json={"filename": name},
                                          headers=auth) as r:
                if r.status != 200:
                    raise ServerError(f"local engine: slot {what} failed (HTTP {r.status}): "
                                      f"{(await r.text())[:200]}", provider="local")

        try:
            await action(source, "save")
            for t in targets:
                await action(t, "restore")
        finally:
            try:
                (child.slot_dir / name).unlink()
            except OSError:
                pass
        self.stats.slot_copies += len(targets)

    async def _in_steps(self, child: _Child, payload: dict[str, Any], plan: _prefill.Plan) -> dict[str, Any]:
        """A verdict object in two requests on one slot, the fixed text written instead of decoded
        (:mod:`jurist.local._prefill`); joined and counted as one answer."""
        budget = int(payload["max_tokens"])
        parts: list[dict[str, Any]] = []
        pieces: list[tuple[str, str | None]] = [(_prefill.OPEN, None)]
        so_far = _prefill.OPEN
        for _ in range(_prefill.MAX_CONTINUATIONS + 1):
            out = await self._post(child, _prefill.with_prefill(payload, so_far, max_tokens=budget, stop=True),
                                   account=False)
            parts.append(out)
            text = _prefill.generated(out, so_far)
            pieces.append((text, str(len(parts) - 1)))
            so_far += text
            used = int((out.get("usage") or {}).get("completion_tokens") or 0)
            budget -= used
            if _prefill.finish_reason(out) == "length" or budget <= 0:  # cut short, as one request would be
                joined = _prefill.join(parts, pieces, len(parts))
                self._account(joined)
                return joined
            if not _prefill.ends_inside_escape(text):
                break
            pieces.append(('"', None))
            so_far += '"'
        else:  # a rationale of many quotes: ask in one step
            out = await self._post(child, payload)
            return out
        verdict_at = _prefill.verdict_prefix(so_far, plan)
        pieces.append((verdict_at[len(so_far):], None))
        out = await self._post(child, _prefill.with_prefill(
            payload, verdict_at, max_tokens=min(plan.verdict_tokens, max(1, budget)), stop=plan.quoted,
        ), account=False)
        parts.append(out)
        pieces.append((_prefill.generated(out, verdict_at), str(len(parts) - 1)))
        if plan.quoted and _prefill.finish_reason(out) == "stop":
            pieces.append((_prefill.closing(plan), None))
        joined = _prefill.join(parts, pieces, len(parts))
        self._account(joined)
        return joined

    async def _post(self, child: _Child, payload: dict[str, Any], *, account: bool = True) -> dict[str, Any]:
        import aiohttp

        assert self._session is not None
        try:
            async with self._session.post(
                f"{child.address}/v1/chat/completions", json=payload,
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout_s),
            ) as r:
                status, data = r.status, await r.read()
        except asyncio.TimeoutError as e:
            raise ProviderTimeout(
                f"the local model gave no answer within {self.settings.request_timeout_s:g} s (JURIST_LOCAL_TIMEOUT)",
                provider="local",
            ) from e
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as e:
            raise await asyncio.to_thread(self._lost, child, e) from e
        if status != 200:
            raise self._http_error(status, data)
        out: dict[str, Any] = json.loads(data)
        if account:
            self._account(out)
        return out


    async def _close_session(self) -> None:
        session = self._session
        if session is not None and not session.closed:
            await session.close()

    def _lost(self, child: _Child, exc: BaseException) -> ProviderError:
        """What a dropped connection to ``child`` means: a crash (restart once) or a passing fault."""
        proc = child.proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        if code is None:
            return ServerError(f"lost the connection to the local engine: {type(exc).__name__}: {exc}",
                               provider="local")
        with self._lock:
            first = not child.lost
            child.lost = True
            if first:
                self.stats.crashes += 1
                what = f"The local engine (pid {proc.pid if proc else '?'}) {_describe_exit(code)} while judging"
                log.error("%s; its log is %s", what, self.log_path)
                if self._child is child and not self._closed:
                    if self._restarts_left > 0:
                        self._restarts_left -= 1
                        self._spawn_locked()
                    else:
                        self._child = None
                        self._dead = EngineCrashError(
                            f"{what}, and it had been restarted {self.settings.restarts} time(s) already "
                            f"(JURIST_LOCAL_RESTARTS): the judgments left are not made. Nothing done is "
                            f"lost: rerun with resume to make only the missing ones. The engine log is "
                            f"{self.log_path}.", restarted=False, provider="local",
                        )
            if self._dead is not None:
                return self._dead
            return EngineCrashError(
                f"The local engine {_describe_exit(code)} while judging; it was restarted and this judgment "
                f"is tried again (log: {self.log_path})", restarted=True, provider="local",
            )

    def _http_error(self, status: int, data: bytes) -> ProviderError:
        text = data.decode("utf-8", "replace")
        try:
            err = json.loads(text).get("error") or {}
        except (ValueError, AttributeError):
            err = {}
        msg = str(err.get("message") or text[:500]) if isinstance(err, dict) else text[:500]
        kind = str(err.get("type") or "") if isinstance(err, dict) else ""
        kw: dict[str, Any] = {"provider": "local", "status": status, "body": text[:2000]}
        low = msg.lower()
        if kind == "exceed_context_size_error" or ("context" in low and ("exceed" in low or "too long" in low)):
            return ContextLengthError(
                f"local: the prompt is too long for the model's context ({msg}); raise JURIST_LOCAL_CTX "
                "(tokens of context shared by the engine's slots) or shorten the input.", **kw
            )
        if status == 400 and ("grammar" in low or "schema" in low):
            return SchemaUnsupportedError(f"local: the output schema cannot be a grammar: {msg}", **kw)
        if status >= 500 or status in (401, 503):
            return ServerError(f"local engine error (HTTP {status}): {msg}", **kw)
        return BadRequestError(f"local engine refused the request (HTTP {status}): {msg}", **kw)

    def _account(self, out: dict[str, Any]) -> None:
        usage = out.get("usage") or {}
        t = out.get("timings") or {}
        with self._lock:
            s = self.stats
            s.completions += 1
            s.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            s.output_tokens += int(usage.get("completion_tokens") or 0)
            s.prompt_eval_tokens += int(t.get("prompt_n") or 0)
            s.prompt_cached_tokens += int(t.get("cache_n") or 0)
            s.prompt_eval_s += float(t.get("prompt_ms") or 0.0) / 1000.0
            s.generation_s += float(t.get("predicted_ms") or 0.0) / 1000.0


def _prefix_key(body: dict[str, Any]) -> str | None:
    """What a request's prompt starts with, when that is a long first message followed by others (a judge's
    system prompt before its row): requests with the same key share their first tokens."""
    messages = body.get("messages")
    if not isinstance(messages, list) or len(messages) < 2 or not isinstance(messages[0], dict):
        return None
    first = messages[0].get("content")
    if not isinstance(first, str) or len(first) < PREFIX_MIN_CHARS:
        return None
    return blake2b(f"{messages[0].get('role')}\0{first}".encode(), digest_size=16).hexdigest()


class _Engines:
    """The process's engines, one per model file: a model is never loaded twice. The local layer's part of
    the runtime; ``jurist.reset()`` keeps it (a loaded model stays loaded), ``jurist.close()`` closes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, LocalEngine] = {}
        self._atexit = False

    def get(self, spec: ModelSpec) -> LocalEngine:
        with self._lock:
            engine = self._by_key.get(spec.key)
            if engine is None or engine.failed or engine.closed:
                engine = self._by_key[spec.key] = LocalEngine(spec).start()
                if not self._atexit:
                    atexit.register(self.close_all)
                    self._atexit = True
            return engine

    def loaded(self) -> list[LocalEngine]:
        with self._lock:
            return list(self._by_key.values())

    def close_all(self) -> None:
        with self._lock:
            engines, self._by_key = list(self._by_key.values()), {}
        for e in engines:
            e.close()

    close = close_all


def engines() -> _Engines:
    """The process's engines, owned by the runtime."""
    return RUNTIME.part("local", _Engines, keep_on_reset=True)


class _EnginesView:
    """``ENGINES``: the runtime's engines under their old name."""

    def get(self, spec: ModelSpec) -> LocalEngine:
        return engines().get(spec)

    def loaded(self) -> list[LocalEngine]:
        return engines().loaded()

    def close_all(self) -> None:
        engines().close_all()


ENGINES = _EnginesView()


def engine_for(spec: ModelSpec) -> LocalEngine:
    """The process's one engine for ``spec``'s model file, started (loading) if it was not."""
    return engines().get(spec)
