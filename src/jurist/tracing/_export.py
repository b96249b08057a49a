"""Finished traces go to the tracking store, as MLflow's do: the store at the tracking URI, in the
experiment that was active when the trace ended.

A trace is queued when its root span ends and written shortly after by a background timer, in batches
(and at the latest when the process exits);
any tracking call of this process that reads or writes traces (``log_feedback``, ``get_trace``,
``search_traces`` …) writes the queue first, so ``log_feedback(trace_id=...)`` right after a traced call
finds its trace. Traces that ``evaluate()`` records around ``predict_fn`` are left to the run's own
logging. A store that cannot be written is logged once per batch and the batch dropped: tracing never
fails the application. ``JURIST_STORE_TRACES=false`` keeps finished traces in memory only.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from collections.abc import Iterable

from jurist.entities import Trace

logger = logging.getLogger(__name__)

#: Seconds between a trace ending and the background write of its batch.
FLUSH_DELAY_S = 0.5
#: Traces kept waiting at most; past it the oldest are dropped (a store that is down must not grow memory).
MAX_PENDING = 10_000


class Exporter:
    """The queue of finished traces waiting to be written, and its writer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: list[tuple[Trace, str, str | None]] = []
        self._skip: set[str] = set()
        self._timer: threading.Timer | None = None
        self._at_exit = False

    def add(self, trace: Trace) -> None:
        from jurist._runtime import RUNTIME

        if not RUNTIME.settings.store_traces:
            return
        from jurist.tracking._store import active_experiment_name, get_tracking_uri

        item = (trace, get_tracking_uri(), active_experiment_name())
        with self._lock:
            if trace.trace_id in self._skip:
                self._skip.discard(trace.trace_id)
                return
            self._pending.append(item)
            if len(self._pending) > MAX_PENDING:
                del self._pending[: len(self._pending) - MAX_PENDING]
            if not self._at_exit:  # a script that ends right after its last trace still stores it
                atexit.register(self.flush)
                self._at_exit = True
            if self._timer is None:
                self._timer = threading.Timer(FLUSH_DELAY_S, self._timed)
                self._timer.daemon = True
                self._timer.start()

    def forget(self, trace_ids: Iterable[str]) -> None:
        """Leave these traces out: someone else stores them (evaluate()'s run logger)."""
        ids = set(trace_ids)
        with self._lock:
            self._pending = [p for p in self._pending if p[0].trace_id not in ids]

    def skip(self, trace_id: str) -> None:
        """Leave this trace out when it finishes."""
        with self._lock:
            self._skip.add(trace_id)

    def _timed(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> None:
        """Write every queued trace now."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            groups: dict[tuple[str, str | None], list[Trace]] = {}
            for trace, uri, exp in batch:
                groups.setdefault((uri, exp), []).append(trace)
            from jurist.tracking._entities import DEFAULT_EXPERIMENT_NAME
            from jurist.tracking._store import get_store

            for (uri, exp), traces in groups.items():
                try:
                    store = get_store(uri)
                    experiment = store.get_or_create_experiment(exp or DEFAULT_EXPERIMENT_NAME)
                    store.log_traces(traces, experiment.experiment_id)
                except Exception:
                    logger.warning("could not store %d finished trace(s) in %s", len(traces), uri, exc_info=True)


def flush_traces() -> None:
    """Write the finished traces of this process to the tracking store now (nothing if none was traced)."""
    otel = sys.modules.get("jurist.tracing._otel")
    state = otel.started() if otel is not None else None
    if state is None:  # no span was started since the last reset: nothing to write, and no OTel import
        return
    state.store.exporter.flush()


def forget_traces(trace_ids: Iterable[str]) -> None:
    otel = sys.modules.get("jurist.tracing._otel")
    state = otel.started() if otel is not None else None
    if state is not None:
        state.store.exporter.forget(trace_ids)


def flush_trace_async_logging(terminate: bool = False) -> None:
    """MLflow's name for writing the queued traces now (``terminate`` is accepted and ignored)."""
    flush_traces()
