"""The async engine of ``evaluate()``: bounded concurrency, one error per failed judgment, never a dead run."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
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
#: Called on the event loop as each row's last judgment finishes, in row order: the row and its feedback
#: (every scorer's, in scorer order).
OnRow = Callable[[Row, list[Feedback]], None]

#: Rows in flight at once (read, being judged, or judged and waiting for an earlier row to finish), as a
#: multiple of the concurrency: enough that a slow row does not idle the others, few enough that a run
#: holds the same number of rows whatever its size.
WINDOW_PER_SLOT = 4


class _Slot:
    """One row in the window: its feedback per scorer, and how many of its judgments are left."""

    __slots__ = ("feedbacks", "left", "position", "row")

    def __init__(self, row: Row, position: int, feedbacks: list[list[Feedback] | None]) -> None:
        self.row = row
        self.position = position
        self.feedbacks = feedbacks
        self.left = sum(1 for f in feedbacks if f is None)


class Runner:
    """Judges every (row, scorer) pair not in ``done`` (keyed by the row's position in the rows given and
    the scorer's); ``outputs`` are predictions already made, by row index (a resumed run)."""

    def __init__(self, scorers: Sequence[Scorer], predict_fn: Callable[..., Any] | None, concurrency: int,
                 progress: bool | None, *, done: Mapping[tuple[int, int], list[Feedback]] | None = None,
                 outputs: Mapping[int, Any] | None = None, on_judged: OnJudged | None = None) -> None:
        self.scorers = list(scorers)
        self.predict_fn = predict_fn
        self.concurrency = concurrency
        self.progress_enabled = progress
        self._predictions: dict[int, asyncio.Future[Any]] = {}
        self.done = done or {}
        self.known_outputs = outputs or {}
        self.on_judged = on_judged
        #: The most rows held at once by the last run (read and not yet handed to ``on_row``).
        self.peak_rows = 0

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

    async def _one(self, slot: _Slot, s: int) -> None:
        row, scorer = slot.row, self.scorers[s]
        try:
            outputs = await self._outputs(row)
        except Exception as e:
            fb = _error_feedback(scorer, e, row)
            fb.error = AssessmentError("PREDICT_ERROR", f"predict_fn failed: {type(e).__name__}: {e}")
            slot.feedbacks[s] = [fb]
            if self.on_judged is not None:
                self.on_judged(row, scorer.name, None, [fb])
            return
        extra = {k: row.extra.get(k) for k in getattr(scorer, "arguments", ()) if k in row.extra}
        fbs = await judge_one(scorer, inputs=row.inputs, outputs=outputs, expectations=row.expectations,
                              trace=row.judged_trace, session=row.session, **extra)
        slot.feedbacks[s] = fbs
        if self.on_judged is not None:
            self.on_judged(row, scorer.name, outputs, fbs)

    async def stream(self, rows: Iterable[Row], on_row: OnRow, total: int | None = None) -> None:
        """Judge ``rows`` as they are read, handing each row to ``on_row`` as its last judgment finishes, in
        row order. At most ``WINDOW_PER_SLOT × concurrency`` rows are held at once; ``total`` (the number
        of rows) sizes the progress bar and the number of workers."""
        n_scorers = len(self.scorers)
        block = max(1, self.concurrency)
        window = WINDOW_PER_SLOT * block
        if total is None and isinstance(rows, Sized):
            total = len(rows)
        todo = None if total is None else total * n_scorers - len(self.done)
        progress = _Progress(todo or 0, self.progress_enabled)
        room = asyncio.Semaphore(window)
        held: deque[_Slot] = deque()
        jobs: asyncio.Queue[tuple[_Slot, int] | None] = asyncio.Queue(maxsize=block)
        workers = max(1, min(self.concurrency, todo if todo is not None else self.concurrency))
        self.peak_rows = 0

        def hand_over() -> None:
            while held and held[0].left == 0:
                slot = held.popleft()
                self._predictions.pop(slot.row.index, None)
                on_row(slot.row, [fb for per_scorer in slot.feedbacks for fb in per_scorer or ()])
                room.release()

        async def feed() -> None:
            it = iter(rows)
            position = 0
            while True:
                taken: list[_Slot] = []
                for row in itertools.islice(it, block):
                    await room.acquire()
                    slot = _Slot(row, position, [self.done.get((position, s)) for s in range(n_scorers)])
                    position += 1
                    held.append(slot)
                    taken.append(slot)
                    self.peak_rows = max(self.peak_rows, len(held))
                if not taken:
                    break
                hand_over()  # rows with nothing left to judge (a resumed run)
                # Scorer-major within a block: judgments sharing instructions run back to back, which is
                # what a prefix cache (local models, provider prompt caching) rewards.
                for s in range(n_scorers):
                    for slot in taken:
                        if slot.feedbacks[s] is None:
                            await jobs.put((slot, s))
            for _ in range(workers):
                await jobs.put(None)

        async def work() -> None:
            while (job := await jobs.get()) is not None:
                slot, s = job
                await self._one(slot, s)
                slot.left -= 1
                progress.advance()
                if slot.left == 0:
                    hand_over()

        # Every judgment in flight, a row's or one span of a row's, takes one of these: the bound holds even
        # when a judge fans out over the spans of a trace.
        token = JUDGMENT_SLOTS.set(asyncio.Semaphore(self.concurrency))
        tasks = [asyncio.ensure_future(feed()), *(asyncio.ensure_future(work()) for _ in range(workers))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:  # the first error ends the run: nothing is left judging behind it
                t.cancel()
            await asyncio.wait(tasks)
            raise
        finally:
            JUDGMENT_SLOTS.reset(token)
            progress.close()
        hand_over()

    async def run(self, rows: Sequence[Row]) -> list[list[Feedback]]:
        """Every row's feedback, in row order (all held: for a partition, or a caller that wants a list)."""
        out: list[list[Feedback]] = []
        await self.stream(rows, lambda _row, fbs: out.append(fbs), len(rows))
        return out
