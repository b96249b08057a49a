"""Production monitoring: a registered judge that judges an experiment's new traces as they arrive.

A :class:`Monitor` polls the store for traces of one experiment that match its filter and carry no
feedback of the judge's name yet, samples them by trace id, judges the sampled ones in the background
(at most ``concurrency`` at a time; the model client retries rate limits and server errors) and logs each
verdict to its trace as LLM_JUDGE feedback. It is a task on the runtime's event loop, and each judgment is
the evaluation runner's unit of work (:func:`jurist.evaluation._runner.judge_one`); the store's blocking
calls run in worker threads. Monitors live in memory, in the process that started them:
they are not stored, and end with it (``jurist server`` stops its monitors when it shuts down).

Example:
    >>> jurist.register_judge(make_judge(name="tone", instructions="Is {{ outputs }} polite?"))  # doctest: +SKIP
    >>> monitor = jurist.start_monitor("tone", "support-bot", sample_rate=0.1)                  # doctest: +SKIP
    >>> monitor.stats                                                                           # doctest: +SKIP
    MonitorStats(seen=120, sampled=13, judged=13, errors=0)
    >>> monitor.stop()                                                                          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from dataclasses import asdict, dataclass
from typing import Any

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.evaluation._runner import judge_one
from jurist.tracking._entities import NotFoundError, StoredTrace
from jurist.tracking._store import Store, get_store

logger = logging.getLogger("jurist.tracking._monitor")

#: The most traces one poll reads (newest first).
POLL_BATCH = 500
#: The most traces read when a monitor starts, to tell the traces already there from new ones.
BASELINE_LIMIT = 50_000


def in_sample(trace_id: str, sample_rate: float) -> bool:
    """Whether ``trace_id`` falls in a sample of rate ``sample_rate``: the first 8 bytes of the SHA-256 of
    the id, read as a number in [0, 1), is below the rate. The same on every process and replica."""
    if sample_rate >= 1:
        return True
    if sample_rate <= 0:
        return False
    digest = hashlib.sha256(trace_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < sample_rate


@dataclass
class MonitorStats:
    """``seen``: new matching traces looked at; ``sampled``: those in the sample; ``judged``: verdicts
    logged; ``errors``: judgments that failed (logged as error feedback)."""

    seen: int = 0
    sampled: int = 0
    judged: int = 0
    errors: int = 0


def _experiment_id(store: Store, experiment: str) -> str:
    found = store.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    try:
        return store.get_experiment(experiment).experiment_id
    except NotFoundError:
        raise NotFoundError(f"no experiment named {experiment!r} (or with that id) in the store at {store.uri}") \
            from None


class Monitor:
    """A judge judging an experiment's new traces in the background, until :meth:`stop`.

    Start one with :func:`start_monitor` (or ``POST /api/monitors`` on a server). It lives in memory only:
    nothing of it is stored, and a trace is judged at most once by it.
    """

    def __init__(self, store: Store, judge_name: str, experiment: str, *, version: int | None = None,
                 sample_rate: float = 1.0, filter_string: str | None = None, concurrency: int = 4,
                 poll_interval: float = 2.0, backfill: bool = False) -> None:
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)) or not 0 <= sample_rate <= 1:
            raise ConfigError(f"sample_rate must be a number from 0 to 1, got {sample_rate!r}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
        if not isinstance(poll_interval, (int, float)) or poll_interval <= 0:
            raise ConfigError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        try:
            registered = store.get_judge(judge_name, version)
        except NotFoundError:
            which = f"version {version} of the judge" if version is not None else "judge"
            raise ConfigError(f"there is no {which} named {judge_name!r} in the store at {store.uri}; "
                              "register it first (jurist.register_judge)") from None
        self.store = store
        self.judge = registered.to_judge()
        self.judge_name = registered.name
        self.version = registered.version
        self.experiment_id = _experiment_id(store, experiment)
        self.sample_rate = float(sample_rate)
        self.filter_string = filter_string or None
        self.concurrency = concurrency
        self.poll_interval = float(poll_interval)
        self.monitor_id = uuid.uuid4().hex
        self.start_time_ms = int(time.time() * 1000)
        self._stats = MonitorStats()
        self._lock = threading.Lock()
        self._done: set[str] = set()  # trace ids this monitor has looked at (judged or not sampled)
        self._stop = threading.Event()
        self._pending: set[Future[None]] = set()
        self._slots: asyncio.Semaphore | None = None  # made on the runtime loop
        # The traces already there are left alone unless ``backfill``; checked now, so a bad filter fails here.
        if not backfill:
            self._done.update(t.trace_id for t in self._search(BASELINE_LIMIT))
        else:
            self._search(1)
        self._polling: Future[None] = RUNTIME.submit(self._poll_loop())

    # -- state ------------------------------------------------------------------------------------
    @property
    def stats(self) -> MonitorStats:
        """A snapshot of the counts so far."""
        with self._lock:
            return MonitorStats(**asdict(self._stats))

    @property
    def running(self) -> bool:
        return not self._stop.is_set()

    def to_dict(self) -> dict[str, Any]:
        return {"monitor_id": self.monitor_id, "judge": self.judge_name, "version": self.version,
                "experiment_id": self.experiment_id, "sample_rate": self.sample_rate,
                "filter_string": self.filter_string, "concurrency": self.concurrency,
                "poll_interval": self.poll_interval, "start_time_ms": self.start_time_ms,
                "running": self.running, "stats": asdict(self.stats)}

    def __repr__(self) -> str:
        return (f"Monitor(judge={self.judge_name!r}, version={self.version}, experiment_id={self.experiment_id!r}, "
                f"sample_rate={self.sample_rate}, running={self.running})")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and wait up to ``timeout`` seconds for the judgments in flight; those not yet begun
        are dropped. Calling it again does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._polling.cancel()
        with self._lock:
            pending = list(self._pending)
        if RUNTIME.in_runtime():  # stopped from the loop itself: it cannot wait on it
            return
        _, late = wait_futures(pending, timeout=max(0.0, timeout))
        for f in late:
            f.cancel()

    # -- the loop ---------------------------------------------------------------------------------
    def _search(self, limit: int) -> list[StoredTrace]:
        unjudged = f"feedback.`{self.judge_name}` IS NULL"
        where = f"{self.filter_string} AND {unjudged}" if self.filter_string else unjudged
        return self.store.search_traces([self.experiment_id], filter_string=where, max_results=limit)

    async def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._start(await asyncio.to_thread(self._search, POLL_BATCH))
            except Exception:
                logger.exception("monitor %s: polling the store failed; trying again", self.monitor_id)
            await asyncio.sleep(self.poll_interval)

    def poll(self) -> None:
        """Look for new traces once and start judging the sampled ones."""
        self._start(self._search(POLL_BATCH))

    def _start(self, found: list[StoredTrace]) -> None:
        for trace in reversed(found):  # oldest first
            if self._stop.is_set():
                return
            with self._lock:
                if trace.trace_id in self._done:
                    continue
                self._done.add(trace.trace_id)
                self._stats.seen += 1
                if not in_sample(trace.trace_id, self.sample_rate):
                    continue
                self._stats.sampled += 1
                future = RUNTIME.submit(self._judge(trace))
                self._pending.add(future)
            future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    async def _judge(self, trace: StoredTrace) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            if self._stop.is_set():  # stopped before this one began: dropped
                return
            expectations = {e.name: e.value for e in trace.expectations} or None
            feedbacks = await judge_one(self.judge, inputs=trace.inputs, outputs=trace.outputs,
                                        expectations=expectations, trace=trace)
            errors = await asyncio.to_thread(self._log, trace, feedbacks)
        with self._lock:
            if errors:
                self._stats.errors += 1
            else:
                self._stats.judged += 1

    def _log(self, trace: StoredTrace, feedbacks: list[Any]) -> int:
        """Log each verdict to its trace; the number that failed or could not be logged."""
        meta = {"monitor_id": self.monitor_id, "judge_version": self.version}
        errors = 0
        for fb in feedbacks:
            fb.trace_id = trace.trace_id
            fb.metadata = {**(fb.metadata or {}), **meta}
            if fb.error is not None:
                errors += 1
            try:
                self.store.log_assessment(fb)
            except Exception:
                logger.exception("monitor %s: logging feedback on trace %s failed", self.monitor_id, trace.trace_id)
                errors += 1
        return errors


def start_monitor(judge_name: str, experiment: str, *, version: int | None = None, sample_rate: float = 1.0,
                  filter_string: str | None = None, concurrency: int = 4, poll_interval: float = 2.0,
                  backfill: bool = False) -> Monitor:
    """Judge the new traces of ``experiment`` (a name or id) with the registered judge ``judge_name`` (its
    latest version, or ``version``) in the background, until ``stop()``.

    Every ``poll_interval`` seconds the store is searched for traces that arrived after the monitor started,
    match ``filter_string`` and have no feedback named after the judge. A ``sample_rate`` share of them is
    judged, picked by a hash of the trace id (so every replica picks the same traces); each verdict is logged
    to its trace as LLM_JUDGE feedback. ``backfill=True`` also judges the matching traces already there.
    The monitor lives in this process's memory only; to judge traces sent to a ``jurist server``, start it
    there (``POST /api/monitors``).

    Example:
        >>> m = jurist.start_monitor("tone", "support-bot", sample_rate=0.2,          # doctest: +SKIP
        ...                          filter_string="tags.env = 'prod'")
        >>> m.stop()                                                                  # doctest: +SKIP
    """
    return Monitor(get_store(), judge_name, experiment, version=version, sample_rate=sample_rate,
                   filter_string=filter_string, concurrency=concurrency, poll_interval=poll_interval,
                   backfill=backfill)
