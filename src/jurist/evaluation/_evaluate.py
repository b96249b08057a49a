"""``evaluate()``: run scorers over a data set, concurrently, cached, and never dying of one bad row."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.evaluation._dataset import open_rows
from jurist.evaluation._executor import Work, resolve_executor
from jurist.evaluation._result import EvaluationResult
from jurist.evaluation._result_builder import ResultBuilder
from jurist.models._client import CACHE_ENABLED, flush_cache
from jurist.scorers._scorer import SCORER_ARGS, Scorer

DEFAULT_CONCURRENCY = 32


def _concurrency(value: int | None) -> int:
    if value is None:
        return RUNTIME.settings.max_concurrency
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"concurrency must be a whole number of at least 1, got {value!r}")
    return value


def _check_scorers(scorers: Any) -> list[Scorer]:
    if isinstance(scorers, Scorer):
        scorers = [scorers]
    if not isinstance(scorers, (list, tuple)) or not scorers:
        raise ConfigError("scorers must be a non-empty list of judges or @scorer functions")
    out: list[Scorer] = []
    for s in scorers:
        if isinstance(s, type) and issubclass(s, Scorer):
            raise ConfigError(f"pass an instance, not the class: {s.__name__}() instead of {s.__name__}")
        if not isinstance(s, Scorer):
            raise ConfigError(f"{s!r} is not a scorer; wrap functions with @jurist.scorer")
        out.append(s)
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"two scorers share the name(s) {', '.join(dup)}; give each a distinct name=")
    for s in out:
        s.check_ready()  # a missing key fails here, before any row is judged
    return out


def extra_columns(scorers: Any) -> tuple[str, ...]:
    """The row columns the scorers take beyond the standard five (a pairwise judge's two responses)."""
    listed = scorers if isinstance(scorers, (list, tuple)) else [scorers]
    return tuple(dict.fromkeys(a for s in listed if isinstance(s, Scorer) for a in s.arguments
                               if a not in SCORER_ARGS))


async def aevaluate(
    data: Any,
    scorers: Sequence[Scorer] | Scorer,
    predict_fn: Callable[..., Any] | None = None,
    *,
    concurrency: int | None = None,
    cache: bool = True,
    progress: bool | None = None,
    experiment: str | None = None,
    resume: str | None = None,
    log: bool = True,
    executor: Any = None,
    ray_address: str | None = None,
) -> EvaluationResult:
    """The async form of :func:`evaluate`."""
    rows = open_rows(data, extra_columns(scorers))  # every row read and checked: bad data fails here
    checked = _check_scorers(scorers)
    runner = resolve_executor(executor, ray_address)
    limit = _concurrency(concurrency)
    if predict_fn is not None and not callable(predict_fn):
        raise ConfigError("predict_fn must be a function taking the row's inputs as keyword arguments")
    if not log and (experiment is not None or resume is not None):
        raise ConfigError("experiment= and resume= need the tracking store; drop log=False")

    async def _go() -> EvaluationResult:
        logger = None
        if log:
            from jurist.tracking._run_logger import RunLogger

            params = {"rows": len(rows), "concurrency": limit, "cache": bool(cache),
                      "predict_fn": getattr(predict_fn, "__name__", None) if predict_fn else None}
            if isinstance(data, (str, os.PathLike)):
                params["data"] = str(data)
            logger = await asyncio.to_thread(RunLogger.open, rows, checked, experiment=experiment, resume=resume,
                                             predict_fn=predict_fn, params=params)
        # predict_fn's outputs of the rows being judged, for the result's rows (what MLflow's result_df shows
        # as "response"); each is let go when its row is done.
        predicted: dict[int, Any] = dict(logger.resume.outputs) if logger else {}
        built = ResultBuilder(checked)

        def on_judged(row: Any, scorer_name: str, outputs: Any, fbs: list[Any]) -> None:
            if predict_fn is not None and outputs is not None:
                predicted.setdefault(row.index, outputs)
            if logger is not None:
                logger.on_judged(row, scorer_name, outputs, fbs)

        def on_row(row: Any, fbs: list[Any]) -> None:
            built.add(row, predicted.pop(row.index, row.outputs), fbs,
                      logger.row_done(row.index) if logger else None)

        work = Work(rows, checked, predict_fn, limit, progress,
                    done=logger.resume.done if logger else {},
                    outputs=logger.resume.outputs if logger else {},
                    on_judged=on_judged, on_row=on_row)
        token = CACHE_ENABLED.set(bool(cache))
        try:
            start = time.perf_counter()
            returned = await runner.run(work)
            if returned is not None:  # an executor that returns every row's feedback instead of streaming it
                for row, fbs in zip(rows, returned, strict=True):
                    on_row(row, fbs)
            duration = time.perf_counter() - start
        except BaseException as e:
            if logger is not None:
                from jurist.tracking._entities import RunStatus

                logger.abort(RunStatus.FAILED if isinstance(e, Exception) else RunStatus.KILLED)
            raise
        finally:
            CACHE_ENABLED.reset(token)
            flush_cache()
        result = built.build(duration)
        if logger is not None:
            await asyncio.to_thread(logger.finish, result)
            result.run_id = logger.run_id
        return result

    return await RUNTIME.arun(_go())


def evaluate(
    data: Any,
    scorers: Sequence[Scorer] | Scorer,
    predict_fn: Callable[..., Any] | None = None,
    *,
    concurrency: int | None = None,
    cache: bool = True,
    progress: bool | None = None,
    experiment: str | None = None,
    resume: str | None = None,
    log: bool = True,
    executor: Any = None,
    ray_address: str | None = None,
) -> EvaluationResult:
    """Run ``scorers`` over every row of ``data`` and return per-row feedback and metrics.

    Each judgment is logged to the tracking store as it finishes, as one run (``result.run_id``) of the
    active experiment: the store at ``set_tracking_uri``/``$JURIST_TRACKING_URI``, else ``./jurist.db``,
    as MLflow logs to ``./mlruns``. A run that was interrupted, even by ``kill -9``, goes on with
    ``resume=run_id``: what is stored is not judged again.

    Args:
        data: a list of dicts, a pandas DataFrame, or a path to a .jsonl/.json/.csv file (or a folder of
            them), with columns ``inputs``, ``outputs``, ``expectations``, ``trace``, ``tags``. A JSON
            Lines or CSV file is read as a stream: checked once through before anything is judged, then
            judged a window of rows at a time, so a run holds the same memory whatever the file's size
            (``result.rows`` moves to a temporary file past 1,000 rows and is read back as it is used).
        scorers: judges (``Correctness()``, ``make_judge(...)``) and ``@scorer`` functions.
        predict_fn: called as ``predict_fn(**inputs)`` to produce each row's outputs.
        concurrency: judgments in flight at once, the spans a judge fans out to included (default 32, or
            ``JURIST_MAX_CONCURRENCY``).
        cache: reuse cached answers of identical temperature-0 requests (on by default).
        progress: show a progress bar (default: when stderr is a terminal).
        experiment: the experiment (by name, created if new) to log the run to; default the active one
            (``jurist.set_experiment``), else ``Default``.
        resume: the id of a run to finish: its stored judgments are kept, only the missing ones are made.
            The data and scorers must be those of the run; a changed row is an error naming it.
        log: ``False`` logs nothing to the tracking store.
        executor: where the judgments run: ``"local"`` (the default, this process's event loop),
            ``"ray"`` (partitions of rows as tasks on a Ray cluster, ``pip install 'jurist[ray]'``; see
            docs/cluster.md), or an object with an async ``run(work)`` method
            (:class:`jurist.evaluation.Executor`).
        ray_address: the Ray cluster to run on (``ray://head:10001``, ``head:6379``, ``auto``); implies
            ``executor="ray"``. Default ``JURIST_RAY_ADDRESS``, else the cluster ``ray.init()`` finds.

    Example:
        >>> from jurist.judges import Correctness, Safety
        >>> result = evaluate(                                    # doctest: +SKIP
        ...     data=[{"inputs": {"question": "Capital of France?"}, "outputs": "Paris",
        ...            "expectations": {"expected_response": "Paris"}}],
        ...     scorers=[Correctness(), Safety()])
        >>> result.metrics["correctness/pass_rate"]              # doctest: +SKIP
        1.0
    """
    coro = aevaluate(data, scorers, predict_fn, concurrency=concurrency, cache=cache, progress=progress,
                     experiment=experiment, resume=resume, log=log, executor=executor,
                     ray_address=ray_address)
    future = RUNTIME.submit(coro) if not RUNTIME.in_runtime() else None
    if future is None:
        coro.close()
        raise RuntimeError("evaluate() was called from inside jurist's event loop; use await aevaluate(...)")
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        raise
