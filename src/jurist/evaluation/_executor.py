"""Executors: where the judgments of one ``evaluate()`` run: local (this process's event loop) or Ray
(:mod:`jurist.evaluation._ray`, a cluster's workers).

An executor receives the :class:`Work` of a run (rows, scorers, what is already done) and calls
``work.on_judged`` on the event loop as each judgment finishes, so that the run logger stores it. It hands
back each row's feedback in one of two ways: when ``work.on_row`` is set (``evaluate()`` sets it), by
calling it for each row in row order as the row is done, and returning ``None``, so that nothing holds
every row; or by returning every row's feedback in row order (an executor that knows nothing of
``on_row``, and the built-in ones when it is not set). ``Work.rows`` may be read lazily from a file
(:class:`~jurist.evaluation._dataset.RowSource`): iterate it rather than index it.
``Work.split`` cuts a run into partitions that can run anywhere and be put back together with
``Work.merge``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.evaluation._dataset import Row
from jurist.evaluation._runner import OnJudged, OnRow, Runner
from jurist.scorers._scorer import Scorer


@dataclass
class Work:
    """The judgments of one evaluation: every (row, scorer) pair not in ``done``."""

    rows: Sequence[Row]
    scorers: Sequence[Scorer]
    predict_fn: Callable[..., Any] | None = None
    concurrency: int = 32
    progress: bool | None = None
    #: Feedback already stored for (row position, scorer position): a resumed run.
    done: Mapping[tuple[int, int], list[Feedback]] = field(default_factory=dict)
    #: Outputs already predicted, by row index (a resumed run).
    outputs: Mapping[int, Any] = field(default_factory=dict)
    on_judged: OnJudged | None = None
    #: Called with each row and its feedback as the row is done, in row order (see the module's docstring).
    on_row: OnRow | None = None

    def split(self, parts: int) -> list[Work]:
        """The work cut into at most ``parts`` partitions of whole rows, each with its share of the
        concurrency (at least 1); ``merge`` puts their results back in row order."""
        if parts < 1:
            raise ConfigError(f"a run splits into at least one partition, got {parts}")
        rows = list(self.rows)
        parts = min(parts, len(rows)) or 1
        out = []
        for p in range(parts):
            positions = list(range(p, len(rows), parts))
            where = {pos: k for k, pos in enumerate(positions)}
            out.append(replace(
                self, rows=[rows[pos] for pos in positions], on_row=None,
                concurrency=max(1, self.concurrency // parts),
                done={(where[r], s): fbs for (r, s), fbs in self.done.items() if r in where},
            ))
        return out

    def merge(self, parts: Sequence[Work], results: Sequence[list[list[Feedback]]]) -> list[list[Feedback]]:
        """Every row's feedback, in this work's row order, from the partitions' results."""
        position = {row.index: pos for pos, row in enumerate(self.rows)}
        merged: list[list[Feedback]] = [[] for _ in position]
        for part, result in zip(parts, results, strict=True):
            for row, fbs in zip(part.rows, result, strict=True):
                merged[position[row.index]] = fbs
        return merged


@runtime_checkable
class Executor(Protocol):
    """Runs the judgments of one evaluation: hands each row's feedback to ``work.on_row`` in row order and
    returns ``None``, or returns every row's feedback in row order."""

    async def run(self, work: Work) -> list[list[Feedback]] | None: ...


class LocalExecutor:
    """On this process's event loop: bounded concurrency, one error per failed judgment."""

    def __init__(self) -> None:
        #: The most rows the last run held at once.
        self.peak_rows = 0

    async def run(self, work: Work) -> list[list[Feedback]] | None:
        runner = Runner(work.scorers, work.predict_fn, work.concurrency, work.progress,
                        done=work.done, outputs=work.outputs, on_judged=work.on_judged)
        try:
            if work.on_row is None:
                return await runner.run(work.rows)
            await runner.stream(work.rows, work.on_row, len(work.rows))
            return None
        finally:
            self.peak_rows = runner.peak_rows


def resolve_executor(executor: Any, ray_address: str | None = None) -> Executor:
    """``None`` or ``"local"`` → the local executor; ``"ray"`` → the Ray executor on ``ray_address`` (else
    ``JURIST_RAY_ADDRESS``); an :class:`Executor` object → itself."""
    if ray_address is not None and executor is None:
        executor = "ray"
    if ray_address is not None and executor != "ray":
        raise ConfigError("ray_address= is for executor='ray'; drop one of them")
    if executor is None or executor == "local":
        return LocalExecutor()
    if executor == "ray":
        from jurist._runtime import RUNTIME
        from jurist.evaluation._ray import RayExecutor

        return RayExecutor(ray_address or RUNTIME.settings.ray_address)
    if isinstance(executor, str):
        raise ConfigError(f"unknown executor {executor!r}; use 'local', 'ray' or pass an object with an async "
                          "run(work) method (see jurist.evaluation.Executor)")
    if not isinstance(executor, Executor):
        raise ConfigError(f"executor must be 'local', 'ray' or an object with an async run(work) method, got "
                          f"{type(executor).__name__}")
    return executor
