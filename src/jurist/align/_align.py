"""``judge.align(examples, optimizer)``: split the labelled examples by prompt, let the optimizer learn on
one part, and measure the judge before and after on the part it never saw."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jurist._runtime import RUNTIME
from jurist.align._optimizers import AlignmentError, AlignmentOptimizer, InstructionOptimizer, Progress
from jurist.errors import ConfigError, JuristError
from jurist.evaluation._labelled import FEW_EXAMPLES, check_examples, labelled_examples, split_by_prompt

log = logging.getLogger("jurist.align")

#: The share of prompts kept out of alignment to measure it on.
DEFAULT_HELD_OUT = 0.3


@dataclass
class AlignmentReport:
    """Agreement with people on the held-out split, before and after alignment, and what it cost."""

    judge: str
    optimizer: str
    train: int
    held_out: int
    before: Any
    after: Any
    usage: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def gain(self) -> float | None:
        """Balanced accuracy gained on the held-out split (points of a fraction: 0.1 is ten points)."""
        b, a = self.before.balanced_accuracy.value, self.after.balanced_accuracy.value
        return None if a is None or b is None else round(a - b, 4)

    def to_dict(self) -> dict[str, Any]:
        return {"judge": self.judge, "optimizer": self.optimizer, "train": self.train, "held_out": self.held_out,
                "before": self.before.to_dict(), "after": self.after.to_dict(), "gain": self.gain,
                "usage": dict(self.usage), "seconds": round(self.seconds, 2)}

    def table(self) -> Any:
        from rich.table import Table

        t = Table(title=f"{self.judge}: agreement with people on {self.held_out} held-out items "
                        f"({self.optimizer}, trained on {self.train})")
        t.add_column("metric")
        t.add_column("before", justify="right")
        t.add_column("after", justify="right")
        for (name, b), (_, a) in zip(self.before.rows(), self.after.rows(), strict=False):
            t.add_row(name, str(b), str(a))
        t.add_row("judge errors", str(self.before.errors), str(self.after.errors))
        if self.usage:
            t.add_row("optimizer calls", "", str(self.usage.get("optimizer_calls", "")))
            t.add_row("judge calls while aligning", "", str(self.usage.get("judge_calls", "")))
        return t


def _optimizer_name(optimizer: Any) -> str:
    """The optimizer's own ``name`` when it has one (``InstructionOptimizer+CalibrationOptimizer``), else its
    class's."""
    name = getattr(optimizer, "name", None)
    return name if isinstance(name, str) and name else type(optimizer).__name__


def align_judge(judge: Any, examples: Any, optimizer: AlignmentOptimizer | None = None, *,
                held_out: float = DEFAULT_HELD_OUT, concurrency: int | None = None,
                on_progress: Progress | None = None) -> Any:
    """A new judge aligned on ``examples`` by ``optimizer`` (default: :class:`InstructionOptimizer` on the
    judge's own model), with its :class:`AlignmentReport` as ``.alignment``; see :meth:`Judge.align`."""
    from jurist.evaluation._meta import is_pairwise, judge_examples, report_of

    if optimizer is None:
        optimizer = InstructionOptimizer(model=judge.model)
    if not callable(getattr(optimizer, "align", None)):
        raise ConfigError(f"optimizer must be an AlignmentOptimizer (an object with align(judge, examples)), "
                          f"got {type(optimizer).__name__}")
    found = labelled_examples(examples, str(judge.name), pairwise=is_pairwise(judge))
    check_examples(found)
    if len(found) < FEW_EXAMPLES:
        msg = (f"aligning judge {judge.name!r} on {len(found)} labelled examples: with fewer than {FEW_EXAMPLES} "
               f"the held-out figures have wide intervals and the judge may fit the few it saw")
        warnings.warn(msg, UserWarning, stacklevel=3)
        log.warning(msg)
    train, test = split_by_prompt(found, held_out)
    if not train or not test:
        raise ConfigError(f"the {len(found)} labelled examples share too few prompts to keep some out for "
                          f"measuring; label items of more prompts")
    started = time.perf_counter()

    def progress(what: str, done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(what, done, total)

    before_fb = RUNTIME.run(judge_examples(judge, test, concurrency=concurrency,
                                           on_progress=lambda d, t: progress("measuring before", d, t)))
    before = report_of(judge, test, before_fb)
    if on_progress is not None and hasattr(optimizer, "on_progress"):
        optimizer.on_progress = on_progress
    try:
        aligned = optimizer.align(judge, train)
    except (ConfigError, AlignmentError):
        raise
    except JuristError as e:
        raise AlignmentError(f"the {_optimizer_name(optimizer)} optimizer failed ({e}); judge {judge.name!r} is "
                             f"unchanged") from e
    if aligned is None or not hasattr(aligned, "ascore"):
        raise AlignmentError(f"the {_optimizer_name(optimizer)} optimizer returned {type(aligned).__name__}, not a "
                             f"judge; judge {judge.name!r} is unchanged")
    after_fb = RUNTIME.run(judge_examples(aligned, test, concurrency=concurrency,
                                          on_progress=lambda d, t: progress("measuring after", d, t)))
    after = report_of(aligned, test, after_fb)
    usage = optimizer.usage() if isinstance(optimizer, AlignmentOptimizer) else {}
    aligned.alignment = AlignmentReport(str(judge.name), _optimizer_name(optimizer), len(train), len(test), before,
                                        after, usage, time.perf_counter() - started)
    return aligned


def progress_printer(write: Callable[[str], None]) -> Progress:
    """A progress callback that writes a line each time a phase starts."""
    seen: set[str] = set()

    def show(what: str, done: int, total: int) -> None:
        if what not in seen:
            seen.add(what)
            write(f"{what} ({total})")

    return show
