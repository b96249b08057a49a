"""The result of ``evaluate()`` built as rows finish: each row's feedback folded into running metrics
(:class:`FeedbackStats`) and the row put in :class:`~jurist.evaluation._result_rows.ResultRows`, so that
the driver holds no list of every feedback of the run.

The metrics are those a whole list of a name's feedback gives (``tests/evaluation/test_streaming.py``
keeps that reference), to the last bit: counts are counted, a mean is the exactly rounded sum (as ``statistics.fmean``'s
``math.fsum``) over the count, and only aggregations that need every value (median, percentiles, a
callable) keep the values, as 8-byte floats.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Any

from jurist.entities import AssessmentSourceType, Feedback
from jurist.evaluation._dataset import Row
from jurist.evaluation._result import EvaluationResult, RowResult, _pass_value
from jurist.evaluation._result_rows import SPILL_AFTER, ResultRows
from jurist.judges._reduce import cohen_kappa, fleiss_kappa
from jurist.scorers._aggregations import Aggregation, aggregate
from jurist.scorers._scorer import Scorer


class _ExactSum:
    """A running sum of floats with no rounding error (Shewchuk's partials, as ``math.fsum`` keeps them);
    ``value()`` is what ``math.fsum`` of every added float returns."""

    def __init__(self) -> None:
        self._partials: list[float] = []
        self._special: list[float] = []  # infinities and NaNs: math.fsum's own rules for them

    def add(self, x: float) -> None:
        if not math.isfinite(x):
            self._special.append(x)
            return
        kept = 0
        for y in self._partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                self._partials[kept] = lo
                kept += 1
            x = hi
        del self._partials[kept:]
        self._partials.append(x)

    def value(self) -> float:
        return math.fsum(self._partials + self._special)


class FeedbackStats:
    """The running metrics of one feedback name, fed one :class:`Feedback` at a time."""

    def __init__(self, aggregations: Sequence[Aggregation] | None) -> None:
        self.aggregations: list[Aggregation] = list(aggregations or ["mean"])
        self.count = 0
        self.error_count = 0
        self.values = 0
        self._passes: int | None = 0  # None once a value is not yes/no
        self._numeric = True
        self._sum = _ExactSum()
        # Every value, only when an aggregation needs more than their sum.
        self._numbers: array[float] | None = None if self.aggregations == ["mean"] else array("d")
        self._strings: dict[str, int] | None = {}
        self._flags = self._consistent = 0
        self._jurors: list[list[Any]] = []
        self._agreement = 0.0
        self._agreements = 0

    def add(self, f: Feedback) -> None:
        self.count += 1
        meta = f.metadata
        if f.error is not None:
            self.error_count += 1
        elif meta:
            flag = meta.get("position_consistent")
            if isinstance(flag, bool):
                self._flags += 1
                self._consistent += flag
        if meta:
            jurors = meta.get("juror_values")
            if isinstance(jurors, list) and jurors and all(v is not None for v in jurors):
                self._jurors.append(jurors)
            if "agreement" in meta:
                self._agreement += meta["agreement"]
                self._agreements += 1
        if f.error is not None or f.value is None:
            return
        v = f.value
        self.values += 1
        if self._passes is not None:
            p = _pass_value(v)
            if p is None:
                self._passes = None
            elif p:
                self._passes += 1
        if self._numeric:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                x = float(v)
                self._sum.add(x)
                if self._numbers is not None:
                    self._numbers.append(x)
            else:
                self._numeric = False
                self._numbers = None
        if self._strings is not None:
            if isinstance(v, str):
                self._strings[v] = self._strings.get(v, 0) + 1
            else:
                self._strings = None

    def metrics(self) -> dict[str, Any]:
        """count, error_count, what judges of judges add (position consistency, jurors' agreement), then
        pass_rate (yes/no, bool), the aggregations of numbers, or the distribution of strings."""
        out: dict[str, Any] = {"count": self.count, "error_count": self.error_count}
        if self._flags:
            out["position_consistency"] = self._consistent / self._flags
            out["pairs_judged"] = self._flags
        if self._jurors:
            if self._agreements:
                out["agreement"] = self._agreement / self._agreements
            complete = self._jurors
            kappa = cohen_kappa([r[0] for r in complete], [r[1] for r in complete]) if len(complete[0]) == 2 \
                else fleiss_kappa(complete)
            if kappa is not None:
                out["agreement_kappa"] = kappa
        if not self.values:
            return out
        if self._passes is not None:
            out["pass_rate"] = self._passes / self.values
        elif self._numeric:
            if self._numbers is None:
                out["mean"] = self._sum.value() / self.values
            else:
                out.update(aggregate(self._numbers.tolist(), self.aggregations))
        elif self._strings is not None:
            out["distribution"] = {k: n / self.values for k, n in sorted(self._strings.items())}
        return out


class ResultBuilder:
    """Builds an :class:`EvaluationResult` from rows given one at a time, in row order."""

    def __init__(self, scorers: Sequence[Scorer], *, spill_after: int = SPILL_AFTER) -> None:
        self._scorers = list(scorers)
        self._aggregations = {s.name: s.aggregations for s in self._scorers}
        self.rows = ResultRows(spill_after=spill_after)
        self.stats: dict[str, FeedbackStats] = {}
        self.input_tokens = self.output_tokens = self.judge_calls = self.cached = 0
        self.cost: float | None = 0.0

    def add(self, row: Row, outputs: Any, feedbacks: list[Feedback], trace_id: str | None = None) -> None:
        self.rows.append(RowResult(index=row.index, inputs=row.inputs, outputs=outputs,
                                   expectations=row.expectations, tags=row.tags, feedbacks=feedbacks, id=row.id,
                                   trace_id=trace_id))
        for f in feedbacks:
            stats = self.stats.get(f.name)
            if stats is None:
                stats = self.stats[f.name] = FeedbackStats(self._aggregations.get(f.name))
            stats.add(f)
            if f.source.source_type is AssessmentSourceType.LLM_JUDGE:
                self._usage(f.metadata)

    def _usage(self, m: dict[str, Any]) -> None:
        if m.get("cached"):
            self.cached += 1
            return
        if "input_tokens" not in m:
            return
        self.judge_calls += 1
        self.input_tokens += m.get("input_tokens") or 0
        self.output_tokens += m.get("output_tokens") or 0
        if m.get("cost_usd") is None and (m.get("input_tokens") or m.get("output_tokens")):
            self.cost = None
        elif self.cost is not None:
            self.cost += m.get("cost_usd") or 0.0

    def build(self, duration_s: float) -> EvaluationResult:
        # Metrics per feedback name: the scorers' names in scorer order, then any other name as first seen.
        names = [s.name for s in self._scorers if s.name in self.stats]
        names += [n for n in self.stats if n not in self._aggregations]
        return EvaluationResult(
            rows=self.rows, scorer_metrics={n: self.stats[n].metrics() for n in names}, duration_s=duration_s,
            total_input_tokens=self.input_tokens, total_output_tokens=self.output_tokens,
            total_cost_usd=self.cost, judge_calls=self.judge_calls, cached_judgments=self.cached,
        )
