"""One llama.cpp model per process, serving one generation at a time from a prefix-aware queue.

llama.cpp keeps the KV cache of the last prompt and reuses its longest common prefix with the next. A
judge's instructions come first in every prompt and the row's values last, so two judgments of the
same judge in a row pay only for the second one's own tokens, while a different judge's in between
evicts the instructions. The engine therefore:

- serves queued requests grouped by their first (system) message, the judge's instructions, taking the
  oldest request only when none shares the prefix in the cache (and never starving it for long);
- keeps the KV cache of a few recent prefixes (one llama.cpp sequence state each, a few MB) and
  restores one when a judge comes back after another, so judges that interleave row by row keep their
  instructions cached too;
- decodes greedily under the JSON schema's grammar by vetting only the token it is about to pick
  (:mod:`jurist.local._grammar`): the same output as llama-cpp-python's grammar sampling, without
  filtering the whole vocabulary at every step.

Generation runs on the engine's own worker thread, so the event loop stays free and the model is only
ever touched by one thread. ``llama_cpp`` is imported on that thread, on first use, never at import.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jurist.errors import ConfigError, ContextLengthError, JuristError, ProviderError
from jurist.local._supply import ModelSpec, require_runtime

if TYPE_CHECKING:
    from jurist.local._grammar import LazyGrammar

log = logging.getLogger("jurist.local")

DEFAULT_CTX = 8192
DEFAULT_MAX_TOKENS = 512
#: Recent prefixes whose KV cache is kept for when their judge comes back.
DEFAULT_SAVED_PREFIXES = 8
#: How many newer same-prefix requests may overtake the oldest waiting one.
MAX_OVERTAKES = 64
OFF = ("0", "false", "off", "no")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from e


def default_threads() -> int:
    """Every core this process may run on (llama-cpp-python's own default is half of them)."""
    n = _env_int("JURIST_LOCAL_THREADS", 0)
    if n > 0:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def prefix_key(messages: Sequence[dict[str, Any]]) -> str:
    """Requests with the same first message share a cacheable prefix (a judge's instructions)."""
    if not messages:
        return ""
    first = messages[0]
    blob = f"{first.get('role')}\x00{first.get('content')}"
    return hashlib.sha1(blob.encode("utf-8", "replace")).hexdigest()


@dataclass
class EngineStats:
    """Counters since the engine started; ``prompt_eval_tokens`` excludes tokens reused from the cache."""

    completions: int = 0
    prompt_tokens: int = 0
    prompt_eval_tokens: int = 0
    output_tokens: int = 0
    prompt_eval_s: float = 0.0
    generation_s: float = 0.0
    busy_s: float = 0.0
    prefix_saves: int = 0
    prefix_restores: int = 0
    #: Rationales closed early because they looped or ran into the token limit.
    rationale_cuts: int = 0
    load_s: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


@dataclass
class _Job:
    key: str
    kwargs: dict[str, Any]
    future: Future[dict[str, Any]] = field(default_factory=Future)


@dataclass
class _SavedPrefix:
    tokens: Any  # numpy array of token ids
    data: Any  # ctypes buffer with the llama.cpp sequence state
    size: int


class LocalEngine:
    """A loaded GGUF model and the queue in front of it.

    Example:
        >>> engine = engine_for(resolve("smollm2"))                       # doctest: +SKIP
        >>> engine.complete([{"role": "user", "content": "Hi"}])["choices"][0]["message"]   # doctest: +SKIP
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        prefix_reuse: bool | None = None,
        saved_prefixes: int | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        n_batch: int = 512,
        flash_attn: bool = False,
    ) -> None:
        self.spec = spec
        if prefix_reuse is None:  # JURIST_LOCAL_PREFIX_REUSE=0 turns it off (to measure what it buys)
            prefix_reuse = os.environ.get("JURIST_LOCAL_PREFIX_REUSE", "1").strip().lower() not in OFF
        self.prefix_reuse = prefix_reuse
        #: Check the grammar for the chosen token only (same output, ~30 ms less per token on 2 cores).
        self.lazy_grammar = os.environ.get("JURIST_LOCAL_LAZY_GRAMMAR", "1").strip().lower() not in OFF
        self.saved_prefixes = (
            _env_int("JURIST_LOCAL_SAVED_PREFIXES", DEFAULT_SAVED_PREFIXES) if saved_prefixes is None
            else saved_prefixes
        )
        self.n_ctx = n_ctx or _env_int("JURIST_LOCAL_CTX", DEFAULT_CTX)
        self.n_threads = n_threads or default_threads()
        self.n_batch = n_batch
        self.flash_attn = flash_attn
        self.stats = EngineStats()
        self.path: Path | None = None
        self._cond = threading.Condition()
        self._pending: list[_Job] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None
        self._llm: Any = None
        self._llama_cpp: Any = None
        self._current_key: str | None = None
        self._overtakes = 0
        self._saved: OrderedDict[str, _SavedPrefix] = OrderedDict()

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> LocalEngine:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name=f"jurist-local[{self.spec.label}]", daemon=True
                )
                self._thread.start()
        return self

    @property
    def failed(self) -> bool:
        return self._load_error is not None

    def wait_loaded(self, timeout: float | None = None) -> None:
        """Block until the model is loaded; raise what stopped it from loading."""
        self.start()
        if not self._loaded.wait(timeout):
            raise TimeoutError(f"the local model {self.spec.label} did not load within {timeout} s")
        if self._load_error is not None:
            raise self._load_error

    def close(self) -> None:
        """Stop the worker after the current generation, fail what is queued, and free the model."""
        with self._cond:
            self._closed = True
            pending, self._pending = self._pending, []
            self._cond.notify_all()
        for job in pending:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(ProviderError("the local model was closed", provider="local"))
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join()

    # -- asking -----------------------------------------------------------------------------------
    def submit(self, messages: Sequence[dict[str, Any]], **kwargs: Any) -> Future[dict[str, Any]]:
        """Queue one chat completion (llama-cpp-python's ``create_chat_completion`` arguments)."""
        job = _Job(prefix_key(messages), {"messages": list(messages), **kwargs})
        if self._load_error is not None:
            job.future.set_exception(self._load_error)
            return job.future
        self.start()
        with self._cond:
            if self._closed:
                job.future.set_exception(ProviderError("the local model was closed", provider="local"))
                return job.future
            self._pending.append(job)
            self._cond.notify()
        return job.future

    def complete(self, messages: Sequence[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """Blocking: queue one completion and wait for it."""
        return self.submit(messages, **kwargs).result()

    async def acomplete(self, messages: Sequence[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """Await one completion from any event loop; cancelling it drops the request if not started."""
        return await asyncio.wrap_future(self.submit(messages, **kwargs))

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._pending)

    # -- the worker -------------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            self._load()
        except BaseException as e:
            self._load_error = e if isinstance(e, JuristError) else ConfigError(
                f"The local model {self.spec.label} could not be loaded: {type(e).__name__}: {e}"
            )
            self._loaded.set()
            with self._cond:
                self._closed = True
                pending, self._pending = self._pending, []
            for job in pending:
                if job.future.set_running_or_notify_cancel():
                    job.future.set_exception(self._load_error)
            return
        self._loaded.set()
        try:
            while True:
                nxt = self._next()
                if nxt is None:
                    break
                job = nxt
                if not job.future.set_running_or_notify_cancel():
                    continue  # the caller gave up before it started
                try:
                    result = self._run(job)
                except BaseException as e:
                    job.future.set_exception(self._convert(e))
                else:
                    job.future.set_result(result)
        finally:
            llm, self._llm = self._llm, None
            self._saved.clear()
            if llm is not None:
                llm.close()

    def _load(self) -> None:
        require_runtime()
        start = time.perf_counter()
        path = self.spec.materialize()
        # ggml's OpenMP threads spin while they wait for each other. On a machine whose cores are busy
        # with other work, a spinning thread starves the one it waits for, and generation runs 10x
        # slower than on one thread (measured on 2 shared cores); passive waiting costs little when idle.
        # It must be set before libgomp loads, i.e. before llama_cpp is first imported.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import llama_cpp

        self._llama_cpp = llama_cpp
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_batch=self.n_batch,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                flash_attn=self.flash_attn,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as e:
            raise ConfigError(
                f"llama.cpp could not load {path} ({e}). Is it a complete GGUF file of a model architecture "
                f"llama.cpp {getattr(llama_cpp, '__version__', '')} supports?"
            ) from e
        self.path = path
        self.stats.load_s = time.perf_counter() - start
        log.info("loaded %s from %s in %.1f s (%d threads, context %d)", self.spec.label, path,
                 self.stats.load_s, self.n_threads, self.n_ctx)

    def _next(self) -> _Job | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            if self.prefix_reuse and self._current_key is not None and self._overtakes < MAX_OVERTAKES:
                for i, job in enumerate(self._pending):
                    if job.key == self._current_key:
                        self._overtakes = self._overtakes + 1 if i > 0 else 0
                        return self._pending.pop(i)
            self._overtakes = 0
            return self._pending.pop(0)

    def _run(self, job: _Job) -> dict[str, Any]:
        llm = self._llm
        if not self.prefix_reuse:
            llm.reset()
        elif job.key != self._current_key:
            self._switch_prefix(job.key)
        kwargs = dict(job.kwargs)
        kwargs.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        kwargs.setdefault("temperature", 0.0)
        grammar = self._lazy_grammar(kwargs)
        before = self._perf()
        start = time.perf_counter()
        try:
            out: dict[str, Any] = llm.create_chat_completion(**kwargs)
        finally:
            if grammar is not None:
                grammar.close()
        busy = time.perf_counter() - start
        self._current_key = job.key
        after = self._perf()
        usage = out.get("usage") or {}
        timings: dict[str, Any] = {
            "prompt_n": usage.get("prompt_tokens"),
            "prompt_eval_n": after[0] - before[0],
            "prompt_eval_ms": after[2] - before[2],
            "predicted_n": after[1] - before[1],
            "predicted_ms": after[3] - before[3],
            "total_ms": busy * 1000.0,
        }
        if grammar is not None:
            timings["grammar_full_passes"] = grammar.full_passes
            if grammar.cut is not None:
                timings["rationale_cut"] = grammar.cut
                self.stats.rationale_cuts += 1
                log.info("local: closed a rationale early (%s) after %d tokens", grammar.cut,
                         usage.get("completion_tokens") or 0)
        out["timings"] = timings
        s = self.stats
        s.completions += 1
        s.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        s.output_tokens += int(usage.get("completion_tokens") or 0)
        s.prompt_eval_tokens += after[0] - before[0]
        s.prompt_eval_s += (after[2] - before[2]) / 1000.0
        s.generation_s += (after[3] - before[3]) / 1000.0
        s.busy_s += busy
        return out

    def _lazy_grammar(self, kwargs: dict[str, Any]) -> LazyGrammar | None:
        """Swap a JSON-schema ``response_format`` for the equivalent one-token-per-step check, when greedy."""
        rf = kwargs.get("response_format")
        if (
            not self.lazy_grammar
            or not isinstance(rf, dict)
            or rf.get("type") != "json_object"
            or not isinstance(rf.get("schema"), dict)
            or float(kwargs.get("temperature") or 0.0) != 0.0
            or kwargs.get("logits_processor") is not None
            or kwargs.get("grammar") is not None
        ):
            return None
        from jurist.local._grammar import LazyGrammar

        try:
            grammar = LazyGrammar(self._llm, rf["schema"], max_tokens=int(kwargs["max_tokens"]))
        except Exception as e:  # llama-cpp-python's own path will report what is wrong
            log.debug("no lazy grammar for this schema (%s)", e)
            return None
        del kwargs["response_format"]
        kwargs["logits_processor"] = [grammar]
        return grammar

    def _perf(self) -> tuple[int, int, float, float]:
        try:
            d = self._llama_cpp.llama_perf_context(self._llm.ctx)
            return int(d.n_p_eval), int(d.n_eval), float(d.t_p_eval_ms), float(d.t_eval_ms)
        except Exception:  # timings are informative only
            return 0, 0, 0.0, 0.0

    # -- prefix states ----------------------------------------------------------------------------
    def _switch_prefix(self, key: str) -> None:
        """Keep the outgoing prefix's KV cache and bring back the incoming one's, if kept."""
        if self.saved_prefixes <= 0:
            return
        try:
            if self._current_key is not None and self._llm.n_tokens > 0:
                self._save(self._current_key)
            if key in self._saved:
                self._restore(key)
        except Exception as e:  # a cache miss is slower, never wrong
            log.debug("prefix state switch failed (%s); evaluating the prompt in full", e)
            self._llm.reset()

    def _save(self, key: str) -> None:
        lc, llm = self._llama_cpp, self._llm
        ctx = llm.ctx
        size = int(lc.llama_state_seq_get_size(ctx, 0))
        buf = (ctypes.c_uint8 * size)()
        written = int(lc.llama_state_seq_get_data(ctx, buf, size, 0))
        if written <= 0:
            return
        self._saved[key] = _SavedPrefix(tokens=llm.input_ids[: llm.n_tokens].copy(), data=buf, size=written)
        self._saved.move_to_end(key)
        while len(self._saved) > self.saved_prefixes:
            self._saved.popitem(last=False)
        self.stats.prefix_saves += 1

    def _restore(self, key: str) -> None:
        lc, llm = self._llama_cpp, self._llm
        saved = self._saved[key]
        llm._ctx.kv_cache_clear()
        if int(lc.llama_state_seq_set_data(llm.ctx, saved.data, saved.size, 0)) == 0:
            llm.reset()
            llm._ctx.kv_cache_clear()
            return
        n = len(saved.tokens)
        llm.input_ids[:n] = saved.tokens
        llm.n_tokens = n
        # The logits are stale: make llama-cpp-python decode at least one token before sampling.
        llm._requires_eval = True
        self._saved.move_to_end(key)
        self.stats.prefix_restores += 1

    # -- errors -----------------------------------------------------------------------------------
    def _convert(self, e: BaseException) -> BaseException:
        if isinstance(e, JuristError):
            return e
        msg = str(e)
        if isinstance(e, ValueError) and "context window" in msg:
            return ContextLengthError(
                f"local: the prompt is too long for the model's context ({msg}); raise JURIST_LOCAL_CTX "
                "or shorten the input.", provider="local", status=400,
            )
        if isinstance(e, Exception):
            return ProviderError(f"local model {self.spec.label} failed: {type(e).__name__}: {msg}",
                                 provider="local")
        return e


class _Engines:
    """The process's engines, one per model file: a model is never loaded twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, LocalEngine] = {}

    def get(self, spec: ModelSpec) -> LocalEngine:
        with self._lock:
            engine = self._by_key.get(spec.key)
            if engine is None or engine.failed or engine._closed:
                engine = self._by_key[spec.key] = LocalEngine(spec).start()
            return engine

    def loaded(self) -> list[LocalEngine]:
        with self._lock:
            return list(self._by_key.values())

    def close_all(self) -> None:
        with self._lock:
            engines, self._by_key = list(self._by_key.values()), {}
        for e in engines:
            e.close()


ENGINES = _Engines()


def engine_for(spec: ModelSpec) -> LocalEngine:
    """The process's one engine for ``spec``'s model file, started (loading) if it was not."""
    return ENGINES.get(spec)
