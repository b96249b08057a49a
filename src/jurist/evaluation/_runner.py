"""The async engine of ``evaluate()``: bounded concurrency, one error per failed judgment, never a dead run."""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from jurist.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.evaluation._dataset import Row
from jurist.judges._base import JUDGMENT_SLOTS
from jurist.scorers._scorer import Scorer, to_feedbacks


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar: Any = None
        if enabled and total:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("[bold]judging"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                transient=False,
            )
            self._task = self._bar.add_task("judging", total=total)
            self._bar.start()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _error_feedback(scorer: Scorer, exc: BaseException, row: Row | None = None) -> Feedback:
    src = getattr(scorer, "source", None) or AssessmentSource(AssessmentSourceType.CODE, scorer.name)
    return Feedback(name=scorer.name, source=src, error=AssessmentError.from_exception(exc))


async def judge_one(scorer: Scorer, *, inputs: Any, outputs: Any, expectations: Any, trace: Any,
                    session: Any = None, **extra: Any) -> list[Feedback]:
    """The unit of work of every runner (``evaluate()``'s, a monitor's): one scorer on one row; ``extra``
    are the row's other columns the scorer takes by name (``outputs_a``, ``outputs_b`` ...).

    Returns the scorer's feedback, or one error feedback when it fails: it never raises. A list of Feedback
    is kept as it is; an empty one means the scorer had nothing to judge on this row (a conversation judge
    on a turn that is not its session's first).
    """
    try:
        result = await scorer.ascore(inputs=inputs, outputs=outputs, expectations=expectations, trace=trace,
                                     session=session, **extra)
    except Exception as e:  # one bad row never ends the run
        return [_error_feedback(scorer, e)]
    if isinstance(result, list) and all(isinstance(f, Feedback) for f in result):
        return result
    src = getattr(scorer, "source", None) or AssessmentSource(AssessmentSourceType.CODE, scorer.name)
    try:
        return to_feedbacks(result, scorer.name, src)
    except Exception as e:
        return [_error_feedback(scorer, e)]


def _leave_to_run(span: Any) -> None:
    """The run logger stores a predict_fn trace with its run: it is not written again as a loose trace."""
    if span.parent_id is None:
        from jurist.tracing import _otel

        _otel.store().exporter.skip(span.trace_id)


#: Called on the event loop as each (row, scorer) judgment finishes: row, scorer name, outputs, feedback.
OnJudged = Callable[[Row, str, Any, list[Feedback]], None]


class Runner:
    """Judges every (row, scorer) pair not in ``done``; ``outputs`` are predictions already made (a resumed run)."""

    def __init__(self, rows: list[Row], scorers: Sequence[Scorer], predict_fn: Callable[..., Any] | None,
                 concurrency: int, progress: bool | None, *,
                 done: Mapping[tuple[int, int], list[Feedback]] | None = None,
                 outputs: Mapping[int, Any] | None = None, on_judged: OnJudged | None = None) -> None:
        self.rows = rows
        self.scorers = list(scorers)
        self.predict_fn = predict_fn
        self.concurrency = concurrency
        self.progress_enabled = progress
        self.feedbacks: list[list[list[Feedback]]] = [[[] for _ in self.scorers] for _ in rows]
        self._predictions: dict[int, asyncio.Future[Any]] = {}
        self.done = dict(done or {})
        for (r, s), fbs in self.done.items():
            self.feedbacks[r][s] = list(fbs)
        self.known_outputs = dict(outputs or {})
        self.on_judged = on_judged

    def _jobs(self) -> Iterator[tuple[int, int]]:
        # Scorer-major: all rows of one judge, then the next. Judgments sharing instructions run back to
        # back, which is what a prefix cache (local models, provider prompt caching) rewards.
        for s in range(len(self.scorers)):
            for r in range(len(self.rows)):
                if (r, s) not in self.done:
                    yield r, s

    async def _outputs(self, row: Row) -> Any:
        if self.predict_fn is None:
            return row.outputs
        fut = self._predictions.get(row.index)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._predictions[row.index] = fut
            if row.index in self.known_outputs:  # predicted before a resume
                fut.set_result(self.known_outputs[row.index])
                return fut.result()
            try:
                fut.set_result(await self._predict(row))
            except Exception as e:
                fut.set_exception(e)
        return await asyncio.shield(fut)

    async def _predict(self, row: Row) -> Any:
        fn = self.predict_fn
        assert fn is not None
        if not isinstance(row.inputs, dict):
            raise ConfigError(f"row {row.index}: predict_fn(**inputs) needs 'inputs' to be an object, got "
                              f"{type(row.inputs).__name__}")
        from jurist.tracing import capture, start_span

        name = getattr(fn, "__name__", None) or "predict_fn"
        inputs = row.inputs

        # predict_fn is traced: a root span around the call, with whatever spans the app records inside.
        with capture() as cap:
            if inspect.iscoroutinefunction(fn):
                with start_span(name, span_type="CHAIN") as span:
                    _leave_to_run(span)
                    span.set_inputs(inputs)
                    out = await fn(**inputs)
                    span.set_outputs(out)
            else:
                def call() -> Any:
                    with start_span(name, span_type="CHAIN") as span:
                        _leave_to_run(span)
                        span.set_inputs(inputs)
                        result = fn(**inputs)
                        span.set_outputs(result)
                        return result

                out = await asyncio.to_thread(call)  # to_thread copies the context: the capture sees it
        row.predicted_trace = cap.trace
        return out

    async def _one(self, r: int, s: int) -> None:
        row, scorer = self.rows[r], self.scorers[s]
        try:
            outputs = await self._outputs(row)
        except Exception as e:
            fb = _error_feedback(scorer, e, row)
            fb.error = AssessmentError("PREDICT_ERROR", f"predict_fn failed: {type(e).__name__}: {e}")
            self.feedbacks[r][s] = [fb]
            if self.on_judged is not None:
                self.on_judged(row, scorer.name, None, [fb])
            return
        extra = {k: row.extra.get(k) for k in getattr(scorer, "arguments", ()) if k in row.extra}
        fbs = await judge_one(scorer, inputs=row.inputs, outputs=outputs, expectations=row.expectations,
                              trace=row.judged_trace, session=row.session, **extra)
        self.feedbacks[r][s] = fbs
        if self.on_judged is not None:
            self.on_judged(row, scorer.name, outputs, fbs)

    async def run(self) -> list[list[Feedback]]:
        jobs = self._jobs()
        todo = len(self.rows) * len(self.scorers) - len(self.done)
        progress = _Progress(todo, self.progress_enabled)

        async def worker() -> None:
            for r, s in jobs:  # a shared iterator: each job is taken by exactly one worker
                await self._one(r, s)
                progress.advance()

        # Every judgment in flight, a row's or one span of a row's, takes one of these: the bound holds even
        # when a judge fans out over the spans of a trace.
        token = JUDGMENT_SLOTS.set(asyncio.Semaphore(self.concurrency))
        try:
            workers = min(self.concurrency, todo) or 1
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            JUDGMENT_SLOTS.reset(token)
            progress.close()
        return [[fb for per_scorer in row for fb in per_scorer] for row in self.feedbacks]
