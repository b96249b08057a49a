"""How ``evaluate()`` logs to the store: the run, each judgment as it finishes, and resuming a killed run.

The event loop only puts finished judgments on a queue (a few microseconds) and wakes a writer thread,
which turns all it finds into rows, traces and feedback and stores them in one transaction, at once. So a
judgment is stored as soon as the transaction before it ends (judgments that finish meanwhile share the
next one), a ``kill -9`` loses only what was being written (judged again on resume), and the loop never
waits on the database. A store that fails is tried again every ``interval`` seconds.

While a run is being judged its process holds the run's lock (:mod:`jurist.tracking._lock`), so a second
process resuming the same run is refused instead of paying for every judgment again.

Resume matches the data to what is stored by row index and a hash of each row's content: a changed row
is an error naming it; rows and (row, scorer) judgments already stored are not judged again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jurist.entities import Feedback, Span, Trace
from jurist.errors import (
    ConfigError,
    EngineCrashError,
    JuristError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
    StoreError,
)
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_NAME,
    Judgment,
    RowData,
    RunEnd,
    RunStatus,
    judge_definition,
    row_hash,
)
from jurist.tracking._lock import RunLock, lock_run
from jurist.tracking._store import Store, active_experiment_name, get_store, tracking_uri_is_set

log = logging.getLogger("jurist.evaluation")

#: Judgments that failed for want of an answer (the provider or the local engine failed, not the judge)
#: are made again on resume; a parse error or a refused request would only fail the same way again.
REJUDGE_ON_RESUME = frozenset(c.code for c in (RateLimitError, ServerError, ProviderTimeout, EngineCrashError))

#: Seconds before the writer tries a failed store again (``$JURIST_TRACKING_FLUSH_S``).
DEFAULT_INTERVAL_S = 0.25
_STOP = object()


def _row_hash(row: Any) -> str:
    return row_hash(row.inputs, row.outputs, row.expectations, row.trace, row.session, row.tags, row.id, row.extra)


def _refused(e: Exception) -> bool:
    """Whether the store refused what it was given (a value it cannot hold: too long, out of range), as
    against failing itself (unreachable, busy), which is worth trying again."""
    from sqlalchemy.exc import DataError, IntegrityError

    if isinstance(e, ConfigError):
        return True
    if isinstance(e, StoreError):
        return isinstance(e.__cause__, (DataError, IntegrityError))
    return not isinstance(e, OSError)  # a driver that cannot convert a value raises OverflowError, ValueError…


def scorer_definition(scorer: Any) -> dict[str, Any]:
    """A scorer as stored with its run: a judge's data, or only the name of a code scorer (never code)."""
    if hasattr(scorer, "to_dict") and hasattr(scorer, "instructions"):
        return judge_definition(scorer)
    return {"kind": "code", "name": scorer.name}


def _comparable(d: dict[str, Any]) -> dict[str, Any]:
    # Where the model is reached may move (a proxy, a test server); what the judge is may not.
    return {k: v for k, v in d.items() if k != "base_url"}


def _row_trace_id(row: Any) -> str | None:
    t = row.judged_trace
    if t is None:
        return None
    if isinstance(t, Trace):
        return t.trace_id or None
    if isinstance(t, dict):
        info = t.get("info")
        info = info if isinstance(info, dict) else {}
        return str(t.get("trace_id") or info.get("trace_id") or info.get("request_id") or "") or None
    return Trace.coerce(t).trace_id or None


@dataclass
class ResumeState:
    """What a resumed run already holds: feedback by (row, scorer index), predicted outputs, trace ids."""

    done: dict[tuple[int, int], list[Feedback]] = field(default_factory=dict)
    outputs: dict[int, Any] = field(default_factory=dict)
    trace_ids: dict[int, str] = field(default_factory=dict)


class RunLogger:
    """Logs one evaluation run. Made by :meth:`open`; fed by :meth:`on_judged`; closed by :meth:`finish`."""

    def __init__(self, store: Store, run_id: str, experiment_id: str, root_name: str,
                 resume: ResumeState | None = None, lock: RunLock | None = None) -> None:
        self.store = store
        self.lock = lock or RunLock()
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.root_name = root_name
        self.resume = resume or ResumeState()
        self._trace_ids: dict[int, str] = dict(self.resume.trace_ids)
        self._sent: set[int] = set(self.resume.trace_ids)
        from jurist._runtime import RUNTIME

        #: Logging into a run the user started: finishing it leaves it RUNNING, its own metrics kept.
        self.attached = False
        self._writer = _Writer(self, RUNTIME.settings.tracking_flush_s)
        self._writer.start()

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, rows: Sequence[Any], scorers: Sequence[Any], *, experiment: str | None, resume: str | None,
             predict_fn: Callable[..., Any] | None, params: dict[str, Any]) -> RunLogger | None:
        """Create the run (or load the one to resume). ``None`` when the default store cannot be opened."""
        explicit = tracking_uri_is_set() or experiment is not None or resume is not None
        try:
            store = get_store()
        except JuristError as e:
            if explicit:
                raise
            warnings.warn(f"evaluate() is not logging to the tracking store: {e}", RuntimeWarning, stacklevel=3)
            log.warning("evaluate() is not logging to the tracking store: %s", e)
            return None
        root = getattr(predict_fn, "__name__", None) or "evaluate"
        definitions = [scorer_definition(s) for s in scorers]
        if resume is not None:
            return cls._resume(store, resume, rows, scorers, definitions, experiment, root, predict_fn)
        attached = cls._active_run(experiment, params, definitions)
        if attached is not None:
            return attached
        exp = store.get_or_create_experiment(experiment or active_experiment_name() or DEFAULT_EXPERIMENT_NAME)
        run = store.create_run(exp.experiment_id, params=params, scorers=definitions)
        lock = lock_run(store, run.run_id)  # so that no resume of it runs while this process judges it
        log.info("evaluation run %s in experiment %r at %s (resume it with resume=%r)", run.run_id, exp.name,
                 store.uri, run.run_id,
                 extra={"jurist_run_id": run.run_id, "jurist_experiment": exp.name, "jurist_store": store.uri})
        return cls(store, run.run_id, exp.experiment_id, root, lock=lock)

    @classmethod
    def _active_run(cls, experiment: str | None, params: dict[str, Any],
                    definitions: list[dict[str, Any]]) -> RunLogger | None:
        """Inside ``start_run()``, evaluate logs into the active run (MLflow's behaviour); when that run holds
        an evaluation already, into a new child run of it, so that no two evaluations share rows."""
        from jurist.tracking import _run_data
        from jurist.tracking._active_run import PARENT_TAG, RUN_NAME_TAG, active_run

        active = active_run()
        if active is None:
            return None
        store = active._store
        run = store.get_run(active.run_id)
        if experiment is not None:
            wanted = store.get_experiment_by_name(experiment)
            if wanted is None or wanted.experiment_id != run.experiment_id:
                return None  # another experiment named: a run of its own there
        if run.scorers or run.row_count:
            child = store.create_run(run.experiment_id, params=params, scorers=definitions,
                                     tags={PARENT_TAG: run.run_id, RUN_NAME_TAG: f"{run.name or 'run'}-evaluation"})
            return cls(store, child.run_id, child.experiment_id, "evaluate", lock=lock_run(store, child.run_id))
        fresh = {k: v for k, v in params.items() if k not in run.params}
        _run_data.update(store, run.run_id, params=fresh, scorers=definitions)
        logger = cls(store, run.run_id, run.experiment_id, "evaluate", lock=lock_run(store, run.run_id))
        logger.attached = True
        return logger

    @classmethod
    def _resume(cls, store: Store, run_id: str, rows: Sequence[Any], scorers: Sequence[Any],
                definitions: list[dict[str, Any]], experiment: str | None, root: str,
                predict_fn: Callable[..., Any] | None) -> RunLogger:
        run = store.get_run(run_id)
        lock = lock_run(store, run_id)  # a second process resuming the same run stops here
        try:
            return cls._resume_locked(store, run, rows, scorers, definitions, experiment, root, predict_fn, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _resume_locked(cls, store: Store, run: Any, rows: Sequence[Any], scorers: Sequence[Any],
                       definitions: list[dict[str, Any]], experiment: str | None, root: str,
                       predict_fn: Callable[..., Any] | None, lock: RunLock) -> RunLogger:
        run_id = run.run_id
        if experiment is not None:
            exp = store.get_experiment_by_name(experiment)
            if exp is None or exp.experiment_id != run.experiment_id:
                raise ConfigError(f"run {run_id} belongs to another experiment than {experiment!r}; "
                                  "resume it without experiment=")
        stored_defs = {d.get("name"): d for d in run.scorers}
        names = [d["name"] for d in definitions]
        if set(stored_defs) != set(names):
            raise ConfigError(f"run {run_id} was judged by {', '.join(map(str, stored_defs)) or 'no scorer'}; "
                              f"resume it with the same scorers (got {', '.join(names)})")
        for d in definitions:
            if _comparable(stored_defs[d["name"]]) != _comparable(d):
                raise ConfigError(f"scorer {d['name']!r} is not the one run {run_id} was judged with (its "
                                  "definition changed); resume with the same judges, or start a new run")
        index = {name: i for i, name in enumerate(names)}
        state = ResumeState()
        stored_rows = {stored.row_index: stored for stored in store.load_rows(run_id)}
        beyond = [i for i in stored_rows if i >= len(rows)]
        if beyond:
            raise ConfigError(f"run {run_id} holds row {min(beyond)} but the data has only {len(rows)} rows; "
                              "resume needs the same data")
        for r in rows:  # the data read once more, as a stream: each row that is stored must be the same
            found = stored_rows.pop(r.index, None)
            if found is None:
                continue
            i = r.index
            if _row_hash(r) != found.data.row_hash:
                raise ConfigError(f"row {i} of the data differs from row {i} stored in run {run_id}; resume needs "
                                  "the same data (start a new run to judge changed data)")
            state.trace_ids[i] = found.data.trace_id
            predict_failed = any(f.error is not None and f.error.error_code == "PREDICT_ERROR"
                                 for fbs in found.feedbacks.values() for f in fbs)
            if predict_fn is not None and not predict_failed:
                state.outputs[i] = found.data.outputs
            for name, fbs in found.feedbacks.items():
                if name in index and not any(f.error is not None and f.error.error_code in REJUDGE_ON_RESUME
                                             for f in fbs):
                    state.done[(i, index[name])] = fbs
        store.end_run(run_id, RunEnd(RunStatus.RUNNING, None))
        log.info("resuming run %s: %d of %d judgments already stored", run_id, len(state.done),
                 len(rows) * len(scorers), extra={"jurist_run_id": run_id, "jurist_store": store.uri,
                                                  "jurist_done": len(state.done)})
        return cls(store, run_id, run.experiment_id, root, state, lock)

    # -- while judging (on the event loop: cheap) -------------------------------------------------
    def on_judged(self, row: Any, scorer_name: str, outputs: Any, feedbacks: list[Feedback]) -> None:
        trace_id = self._trace_ids.get(row.index)
        first = row.index not in self._sent
        if trace_id is None:
            trace_id = self._trace_ids[row.index] = _row_trace_id(row) or uuid.uuid4().hex
        for fb in feedbacks:
            if fb.trace_id is None:
                fb.trace_id = trace_id
        if first:
            self._sent.add(row.index)
        self._writer.put((row, scorer_name, outputs, feedbacks, trace_id if first else None))

    def trace_id(self, row_index: int) -> str | None:
        return self._trace_ids.get(row_index)

    def row_done(self, row_index: int) -> str | None:
        """The trace id of a row whose judgments are all made, let go of here: what the logger holds does not
        grow with the number of rows."""
        self._sent.discard(row_index)
        return self._trace_ids.pop(row_index, None)

    # -- on the writer thread ---------------------------------------------------------------------
    def judgment(self, item: tuple[Any, str, Any, list[Feedback], str | None]) -> Judgment:
        row, scorer_name, outputs, feedbacks, new_trace_id = item
        data = None
        if new_trace_id is not None:
            data = RowData(
                row_hash=_row_hash(row), trace_id=new_trace_id, inputs=row.inputs,
                # A pairwise row's two responses are what was judged: they are stored as its outputs.
                outputs={**row.extra, **({"outputs": outputs} if outputs is not None else {})} if row.extra else outputs,
                expectations=row.expectations,
                tags=row.tags, row_id=row.id, trace=self._trace(row, new_trace_id, outputs),
            )
        return Judgment(row.index, scorer_name, feedbacks, data)

    def _trace(self, row: Any, trace_id: str, outputs: Any) -> Trace:
        given = row.judged_trace
        if given is not None:
            t = Trace.coerce(given)
            if t.trace_id != trace_id:
                t = Trace(trace_id, [Span(**{**s.to_dict(), "trace_id": trace_id}) for s in t.spans], dict(t.tags))
            return t
        now = time.time_ns()
        root = Span(name=self.root_name, span_id=uuid.uuid4().hex[:16], trace_id=trace_id, span_type="CHAIN",
                    inputs=row.inputs, outputs=outputs, start_time_ns=now, end_time_ns=now)
        return Trace(trace_id, [root])

    # -- ending -----------------------------------------------------------------------------------
    def finish(self, result: Any) -> None:
        """Store what is left, then mark the run FINISHED with its metrics and totals (FAILED when some
        judgment could not be stored: ``result.unstored`` counts them, ``result.unstored_message`` says why).

        A store that fails now costs a warning, never the result in hand.
        """
        lost = self._writer.close()
        result.unstored, result.unstored_message = lost, self._writer.message
        status = RunStatus.FAILED if lost else RunStatus.FINISHED
        metrics = dict(result.metrics)
        end_time: int | None = int(time.time() * 1000)
        try:
            if self.attached:  # the user's run: it stays open, and keeps the metrics logged into it
                status, end_time = RunStatus.RUNNING, None
                metrics = {**self.store.get_run(self.run_id).metrics, **metrics}
            self.store.end_run(self.run_id, RunEnd(
                status=status, end_time_ms=end_time, metrics=metrics,
                row_count=len(result.rows), total_input_tokens=result.total_input_tokens,
                total_output_tokens=result.total_output_tokens, total_cost_usd=result.total_cost_usd,
                judge_calls=result.judge_calls, cached_judgments=result.cached_judgments,
            ))
        except Exception as e:
            msg = f"run {self.run_id} could not be marked {status.value} in the tracking store: {e}"
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            log.error(msg)
            result.unstored_message = "; ".join(m for m in (result.unstored_message, msg) if m)
        finally:
            self.lock.release()

    def abort(self, status: RunStatus) -> None:
        """Store what was judged, then mark the run FAILED or KILLED (``resume`` picks it up)."""
        try:
            self._writer.close()
            if not self.attached:  # the user's own run ends where they end it
                self.store.end_run(self.run_id, RunEnd(status=status, end_time_ms=int(time.time() * 1000)))
        except Exception as e:  # the error that ended the run matters more
            log.warning("could not mark run %s %s: %s", self.run_id, status.value, e)
        finally:
            self.lock.release()


class _Writer(threading.Thread):
    """Stores a run's finished judgments in batches, off the event loop; a failed batch is tried again."""

    def __init__(self, logger: RunLogger, interval: float) -> None:
        super().__init__(name=f"jurist-run-writer-{logger.run_id[:8]}", daemon=True)
        self.logger = logger
        self.interval = interval
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.closing = threading.Event()
        self.pending: list[Judgment] = []
        self.failures = 0
        self.dropped = 0
        #: (row index, scorer, why) of each judgment the store refused.
        self.refused: list[tuple[int, str, str]] = []
        #: What was not stored, and why, once closed ("" when all was).
        self.message = ""
        self.max_batch = 2000

    def put(self, item: Any) -> None:
        self.queue.put(item)
        self.wake.set()

    def run(self) -> None:
        stop = False
        while not stop:
            self.wake.wait(self.interval)
            self.wake.clear()
            while True:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    continue
                try:
                    self.pending.append(self.logger.judgment(item))
                except Exception as e:  # a row that cannot be stored is reported, not fatal
                    self.dropped += 1
                    self.refused.append((getattr(item[0], "index", -1), str(item[1]), str(e)))
                    log.warning("run %s: could not prepare row %s for the store: %s", self.logger.run_id,
                                getattr(item[0], "index", "?"), e)
            self._flush(final=stop)
            if self.pending and not stop:  # the store failed: give it a moment, not a retry per judgment
                self.closing.wait(self.interval)

    def _flush(self, final: bool) -> None:
        while self.pending:
            batch = self.pending[: self.max_batch]
            try:
                self.logger.store.log_judgments(self.logger.run_id, batch)
            except Exception as e:
                if not _refused(e) or not self._one_by_one(batch):
                    self.failures += 1
                    log.warning("run %s: storing %d judgments failed (%s); %s", self.logger.run_id, len(batch), e,
                                "giving up" if final else "will try again")
                    return
                continue
            del self.pending[: len(batch)]

    def _one_by_one(self, batch: list[Judgment]) -> bool:
        """Store a batch the database refused one judgment at a time, so that one value it will not take
        costs that judgment only (reported), never the rest. False if the database itself fails meanwhile
        (what is left stays pending, to be tried again)."""
        for item in batch:
            try:
                self.logger.store.log_judgments(self.logger.run_id, [item])
            except Exception as e:
                if not _refused(e):
                    return False
                self.refused.append((item.row_index, item.scorer, str(e)))
                log.error("run %s: the judgment of row %d by %r cannot be stored and is lost from the log: %s",
                          self.logger.run_id, item.row_index, item.scorer, e)
            del self.pending[0]  # the batch is the head of ``pending``: this item
        return True

    def close(self) -> int:
        """Flush and stop; the number of judgments that could not be stored."""
        self.queue.put(_STOP)
        self.closing.set()
        self.wake.set()
        self.join()
        if self.pending:
            self._flush(final=True)
        lost = len(self.pending) + len(self.refused)
        if lost:
            first = ""
            if self.refused:
                row, scorer, why = self.refused[0]
                first = f" (the first, row {row} by {scorer!r}: {why.removeprefix(f'row {row}: ')})"
            msg = (f"{lost} judgments of run {self.logger.run_id} could not be stored{first}; they are in the "
                   f"result, and evaluate(..., resume={self.logger.run_id!r}) judges them again")
            self.message = msg
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            log.error(msg)
        return lost
