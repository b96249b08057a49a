"""The Ray executor: an evaluation's rows cut into partitions that run as Ray tasks, anywhere in a cluster.

Each task runs the same async engine as the local executor (:class:`~jurist.evaluation._runner.Runner`)
on its worker, with its share of the run's concurrency, and returns its rows' feedback. The driver, where
``evaluate()`` was called, logs each judgment as its partition comes back, so the tracking store, resume
and the result are those of a local run. At most two partitions per worker CPU are in flight at once, so
what the driver has sent and not yet logged is bounded whatever the number of rows; it still keeps every
row and its feedback for the result it returns.

A worker killed mid-partition costs that partition once more: Ray runs the task again, and every answer
the killed worker had received is in the shared response cache (committed before it was used), so only
requests that were on the wire are sent again. Limits and budgets shared by every worker are the
gateway's (``gateway:/`` judges; its counters are in Redis, shared by its replicas); see docs/cluster.md.

Ray is imported only here, and only when this executor runs: ``pip install 'jurist[ray]'``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.evaluation import _ship
from jurist.evaluation._dataset import Row
from jurist.evaluation._executor import Work
from jurist.evaluation._runner import Runner

#: Variables a worker takes from the driver: jurist's own and each provider's (keys, base URLs, regions).
_SHIPPED_ENV = re.compile(
    r"^(JURIST|OPENAI|ANTHROPIC|GEMINI|GOOGLE|AZURE|AZURE_OPENAI|COHERE|TOGETHER|MISTRAL|AWS|LITELLM)_")
#: Not sent: each worker keeps its own (the driver alone logs to the tracking store).
_DRIVER_ONLY = ("JURIST_TRACKING_URI", "JURIST_EXPERIMENT_NAME", "JURIST_TRACKING_TOKEN", "JURIST_RAY_ADDRESS")

#: Rounds of judgments a partition makes at its share of the concurrency, by default: its last round
#: drains with fewer in flight, so a partition of many rounds loses little to it.
ROUNDS_PER_PARTITION = 16
#: Partitions kept in flight per worker CPU: one running, one queued behind it so the CPU never waits.
_IN_FLIGHT_PER_CPU = 2


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("executor='ray' needs Ray on the driver and on every worker: "
                          "pip install 'jurist[ray]'") from None
    return ray


def _driver_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if _SHIPPED_ENV.match(k) and k not in _DRIVER_ONLY}
    # Judgments are logged by the driver; a worker writes no traces of its own to any store.
    env["JURIST_STORE_TRACES"] = "false"
    return env


@dataclass
class _Task:
    """What one partition's task is given (rows and done work pickled by :mod:`jurist.evaluation._ship`)."""

    rows: bytes
    done: dict[tuple[int, int], list[Feedback]]
    outputs: dict[int, Any]
    concurrency: int
    cache: bool


#: One judgment made on a worker: row position in its partition, scorer name, outputs, feedback, and the
#: trace recorded around predict_fn (the row's first judgment only).
_Judged = tuple[int, str, Any, list[Feedback], Any]

_APPLIED_ENV: dict[str, str] = {}  # the worker process's: the driver environment last applied


def _apply_env(env: Mapping[str, str]) -> None:
    """Make the worker's environment the driver's (once per change; jurist's settings are read again)."""
    if dict(env) == _APPLIED_ENV:
        return
    import jurist

    for k in list(_APPLIED_ENV):
        if k not in env:
            os.environ.pop(k, None)
    os.environ.update(env)
    _APPLIED_ENV.clear()
    _APPLIED_ENV.update(env)
    jurist.reset()


def judge_partition(env: Mapping[str, str], code: bytes, task: _Task) -> tuple[list[list[Feedback]], list[_Judged]]:
    """Run on a worker: judge one partition with the async engine; the feedback of each row, and each
    judgment in the order it finished (for the driver to log)."""
    from jurist._runtime import RUNTIME
    from jurist.models._client import CACHE_ENABLED, flush_cache

    _apply_env(env)
    scorers, predict_fn = _ship.loads(code)
    rows: list[Row] = _ship.loads(task.rows)
    position = {id(r): i for i, r in enumerate(rows)}
    judged: list[_Judged] = []

    def on_judged(row: Row, name: str, outputs: Any, fbs: list[Feedback]) -> None:
        judged.append((position[id(row)], name, outputs, fbs, None))

    async def go() -> list[list[Feedback]]:
        token = CACHE_ENABLED.set(task.cache)
        try:
            return await Runner(scorers, predict_fn, task.concurrency, False, done=task.done,
                                outputs=task.outputs, on_judged=on_judged).run(rows)
        finally:
            CACHE_ENABLED.reset(token)
            flush_cache()

    feedbacks = RUNTIME.run(go())
    seen: set[int] = set()
    for i, (pos, name, outputs, fbs, _) in enumerate(judged):
        if pos not in seen:  # the trace travels once, with the row's first judgment
            seen.add(pos)
            judged[i] = (pos, name, outputs, fbs, rows[pos].predicted_trace)
    return feedbacks, judged


class RayExecutor:
    """Runs an evaluation's partitions as Ray tasks.

    Args:
        address: the cluster to join (``ray://host:10001``, ``host:6379``, ``auto``); None joins the one
            ``ray.init()`` finds (``$RAY_ADDRESS``, else a new local one), unless Ray is already initialised.
        partition_rows: rows per task (default ``JURIST_RAY_PARTITION_ROWS``, else 16 rounds of the task's
            share of the concurrency, evened out so that every worker CPU gets as many tasks).
        runtime_env: passed to ``ray.init`` (e.g. ``{"pip": ["jurist[ray]"]}`` for workers without jurist).
        max_retries: times a task whose worker died is run again.

    Example:
        >>> evaluate("qa.jsonl", [Correctness()], executor=RayExecutor("ray://head:10001"))  # doctest: +SKIP
    """

    def __init__(self, address: str | None = None, *, partition_rows: int | None = None,
                 runtime_env: Mapping[str, Any] | None = None, max_retries: int = 3) -> None:
        if partition_rows is not None and (not isinstance(partition_rows, int) or partition_rows < 1):
            raise ConfigError(f"partition_rows must be a whole number of at least 1, got {partition_rows!r}")
        self.address = address
        self.partition_rows = partition_rows
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self.max_retries = max_retries
        #: Partitions of the last run, and their largest number in flight at once.
        self.partitions = 0
        self.peak_in_flight = 0

    def _connect(self) -> Any:
        ray = _import_ray()
        # A Ray client address (ray://) makes the head start a server for this driver, which a busy head can
        # fail to start (it times out, or the new server dies before the head reads its command line): that
        # is worth two more tries. A head that is not there at all fails at once.
        client = (self.address or "").startswith("ray://")
        tries = 3 if client else 1
        for attempt in range(tries):
            if ray.is_initialized():
                break
            try:
                ray.init(address=self.address, runtime_env=self.runtime_env, log_to_driver=False)
            except ConnectionError as e:
                said = str(e).lower()
                if attempt + 1 < tries and ("failure from server" in said or "client server failed" in said):
                    try:
                        ray.shutdown()
                    except Exception:  # nothing was started: nothing to shut down
                        pass
                    time.sleep(2.0 * (attempt + 1))
                    continue
                raise ConfigError(f"cannot join the Ray cluster at {self.address or '$RAY_ADDRESS'}: {e}. "
                                  "Start one with `ray start --head`, or pass ray_address=") from None
        return ray

    async def run(self, work: Work) -> list[list[Feedback]] | None:
        from jurist._runtime import RUNTIME
        from jurist.models._client import CACHE_ENABLED

        for s in work.scorers:  # each alone first, so that a refusal names the one at fault
            _ship.dumps(s, f"scorer {s.name!r}")
        if work.predict_fn is not None:
            _ship.dumps(work.predict_fn, "predict_fn")
        code = _ship.dumps((list(work.scorers), work.predict_fn), "the scorers")
        cache = CACHE_ENABLED.get()
        ray = await asyncio.to_thread(self._connect)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        share = max(1, work.concurrency // cpus)  # what runs at once across the cluster stays ≤ concurrency
        size = self.partition_rows or RUNTIME.settings.ray_partition_rows or \
            _even_size(len(work.rows), share * ROUNDS_PER_PARTITION, cpus)
        remote = ray.remote(judge_partition).options(name="jurist_judge_partition", num_cpus=1,
                                                     max_retries=self.max_retries, retry_exceptions=False)
        env_ref = ray.put(_driver_env())
        code_ref = ray.put(code)

        n = len(work.rows)
        source = iter(work.rows)  # read as partitions are submitted: the driver never holds the whole file
        done_by_start: dict[int, dict[tuple[int, int], list[Feedback]]] = {}
        for (r, s_), f in work.done.items():
            done_by_start.setdefault(r // size * size, {})[(r % size, s_)] = f
        collected: list[list[Feedback]] | None = [] if work.on_row is None else None
        in_flight: dict[asyncio.Future[Any], tuple[int, list[Row], Any]] = {}
        #: Partitions back from the cluster, waiting for an earlier one so that rows are handed over in order.
        back: dict[int, tuple[list[Row], list[list[Feedback]]]] = {}
        limit = cpus * _IN_FLIGHT_PER_CPU
        self.partitions = self.peak_in_flight = 0
        next_start = handed = 0

        def submit() -> None:
            nonlocal next_start
            start = next_start
            rows = list(itertools.islice(source, size))
            next_start += len(rows)
            stop = start + len(rows)
            task = _Task(
                rows=_ship.dumps(rows, f"rows {start}-{stop - 1}"),
                done=done_by_start.pop(start, {}),
                outputs={r.index: work.outputs[r.index] for r in rows if r.index in work.outputs},
                concurrency=share, cache=cache)
            ref = remote.remote(env_ref, code_ref, task)
            in_flight[asyncio.wrap_future(ref.future())] = (start, rows, ref)
            self.partitions += 1
            self.peak_in_flight = max(self.peak_in_flight, len(in_flight))

        def fill() -> None:
            # Two partitions per CPU, counting those back and waiting for an earlier one: what the driver
            # holds is that many partitions' rows. A partition back early leaves its CPU to the one queued
            # behind it, so the cluster keeps working until the earlier one is back.
            while next_start < n and len(in_flight) + len(back) < limit:
                submit()

        def hand_over() -> None:
            nonlocal handed
            while handed in back:
                rows, part = back.pop(handed)
                handed += len(rows)
                for row, fbs in zip(rows, part, strict=True):
                    if work.on_row is not None:
                        work.on_row(row, fbs)
                    else:
                        assert collected is not None
                        collected.append(fbs)

        try:
            fill()
            while in_flight:
                finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for fut in finished:
                    start, rows, _ = in_flight.pop(fut)
                    try:
                        part_feedbacks, judged = fut.result()
                    except Exception as e:  # the task failed for good (its worker died on every try)
                        part_feedbacks, judged = _lost(work, start, start + len(rows), e, self.max_retries)
                    self._log(work, rows, judged)
                    back[start] = (rows, part_feedbacks)
                hand_over()
                fill()
        except BaseException:
            for fut, (_, _, ref) in in_flight.items():  # an interrupted run stops its tasks on the cluster too
                fut.cancel()
                try:
                    ray.cancel(ref)
                except Exception:
                    pass
            raise
        return collected

    @staticmethod
    def _log(work: Work, rows: list[Row], judged: list[_Judged]) -> None:
        if work.on_judged is None:
            return
        for pos, name, outputs, fbs, trace in judged:
            row = rows[pos]
            if trace is not None and row.predicted_trace is None:
                row.predicted_trace = trace
            work.on_judged(row, name, outputs, fbs)


def _lost(work: Work, start: int, stop: int, exc: BaseException,
          retries: int) -> tuple[list[list[Feedback]], list[_Judged]]:
    """An error feedback for every judgment of a partition Ray could not finish: one lost partition never
    ends the run."""
    from jurist.entities import AssessmentError, AssessmentSource, AssessmentSourceType

    message = (f"the Ray task judging rows {start}-{stop - 1} failed {retries + 1} times "
               f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    part: list[list[Feedback]] = []
    judged: list[_Judged] = []
    for pos in range(stop - start):
        row_fbs: list[Feedback] = []
        for s, scorer in enumerate(work.scorers):
            fbs = work.done.get((start + pos, s))
            if fbs is None:
                src = getattr(scorer, "source", None) or AssessmentSource(AssessmentSourceType.CODE, scorer.name)
                fbs = [Feedback(name=scorer.name, source=src, error=AssessmentError("WORKER_LOST", message))]
                judged.append((pos, scorer.name, None, fbs, None))
            row_fbs.extend(fbs)
        part.append(row_fbs)
    return part, judged


def _even_size(rows: int, target: int, cpus: int) -> int:
    """Rows per partition near ``target``, with a number of partitions that is a multiple of ``cpus``."""
    parts = -(-rows // max(1, target))
    parts = max(cpus, -(-parts // cpus) * cpus)
    return max(1, -(-rows // parts))


__all__ = ["ROUNDS_PER_PARTITION", "RayExecutor", "judge_partition"]
