"""``evaluate_pairwise``: two systems' answers to the same inputs, judged side by side in both orders."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.evaluation._dataset import load_rows
from jurist.evaluation._evaluate import evaluate
from jurist.evaluation._result import EvaluationResult
from jurist.evaluation._stats import binomial_two_sided, bootstrap_ci

_SCORE = {"A": 1.0, "tie": 0.5, "B": 0.0}


@dataclass
class PairwiseResult:
    """Win, tie and loss counts of system A against system B, and how sure they are.

    ``preference_a`` is A's share of the comparisons, a tie counting half, with a bootstrap interval;
    ``p_value`` is the two-sided sign test of A's wins against B's (ties left out).
    """

    name_a: str
    name_b: str
    judge: str
    wins_a: int
    wins_b: int
    ties: int
    errors: int
    preference_a: float
    ci_low: float
    ci_high: float
    p_value: float
    #: The share of comparisons whose verdict held when the two answers swapped places.
    position_consistency: float | None
    result: EvaluationResult = field(repr=False)
    #: Rows left out because a ``predict_fn`` failed on them: (row index, which side, the error).
    failed_predictions: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.wins_a + self.wins_b + self.ties

    @property
    def win_rate_a(self) -> float:
        return self.wins_a / self.judged if self.judged else 0.0

    @property
    def win_rate_b(self) -> float:
        return self.wins_b / self.judged if self.judged else 0.0

    @property
    def tie_rate(self) -> float:
        return self.ties / self.judged if self.judged else 0.0

    def summary(self) -> str:
        pc = "" if self.position_consistency is None else f"; verdicts held under the swap for " \
                                                            f"{self.position_consistency:.0%} of the pairs"
        return (f"{self.name_a} vs {self.name_b} ({self.judge}, {self.judged} pairs): {self.wins_a} wins, "
                f"{self.ties} ties, {self.wins_b} losses; preference for {self.name_a} {self.preference_a:.3f} "
                f"[{self.ci_low:.3f}, {self.ci_high:.3f}], sign test p={self.p_value:.3g}{pc}"
                + (f"; {self.errors} errors" if self.errors else ""))

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.name_a, "b": self.name_b, "judge": self.judge, "wins_a": self.wins_a, "wins_b": self.wins_b,
                "ties": self.ties, "errors": self.errors, "win_rate_a": self.win_rate_a, "win_rate_b": self.win_rate_b,
                "tie_rate": self.tie_rate, "preference_a": self.preference_a, "ci": [self.ci_low, self.ci_high],
                "p_value": self.p_value, "position_consistency": self.position_consistency,
                "run_id": self.result.run_id, "failed_predictions": [list(f) for f in self.failed_predictions]}


def _side_rows(side: Any, label: str) -> list[dict[str, Any]] | None:
    """The rows (inputs, expectations, outputs, id) of a result or stored run; None for a predict_fn."""
    if callable(side) and not isinstance(side, (str, EvaluationResult)):
        return None
    if isinstance(side, EvaluationResult):
        return [{"index": r.index, "id": r.id, "inputs": r.inputs, "expectations": r.expectations,
                 "outputs": r.outputs} for r in side.rows]
    if isinstance(side, str):
        from jurist.tracking._store import get_store

        return [{"index": s.row_index, "id": s.data.row_id, "inputs": s.data.inputs,
                 "expectations": s.data.expectations, "outputs": s.data.outputs}
                for s in get_store().load_rows(side)]
    raise ConfigError(f"{label} must be a predict_fn, an EvaluationResult or a run id, got {type(side).__name__}")


async def _predict_all(fn: Callable[..., Any], inputs: list[Any], limit: int) -> list[tuple[Any, str | None]]:
    sem = asyncio.Semaphore(limit)

    async def one(x: Any) -> tuple[Any, str | None]:
        if not isinstance(x, dict):
            return None, f"predict_fn(**inputs) needs 'inputs' to be an object, got {type(x).__name__}"
        async with sem:
            try:
                out = await fn(**x) if inspect.iscoroutinefunction(fn) else await asyncio.to_thread(fn, **x)
                if inspect.isawaitable(out):
                    out = await out
                return out, None
            except Exception as e:
                return None, f"{type(e).__name__}: {e}"

    return list(await asyncio.gather(*(one(x) for x in inputs)))


def evaluate_pairwise(a: Any, b: Any, judge: Any = None, *, data: Any = None, names: tuple[str, str] | None = None,
                      concurrency: int | None = None, cache: bool = True, progress: bool | None = None,
                      experiment: str | None = None, log: bool = True) -> PairwiseResult:
    """Judge system A against system B on the same inputs, each pair in both orders.

    ``a`` and ``b`` are each a ``predict_fn`` (called as ``predict_fn(**inputs)`` on every row of
    ``data``), an :class:`EvaluationResult`, or the id of a stored run; results and runs are matched
    with each other by row id, else by position. ``judge`` is a pairwise judge (default
    :class:`~jurist.judges.PairwisePreference`). The judgments are logged as one run, like
    :func:`evaluate`'s.

    Example:
        >>> res = evaluate_pairwise(new_app, old_app, data="qa.jsonl")      # doctest: +SKIP
        >>> print(res.summary())                                            # doctest: +SKIP
        new_app vs old_app (pairwise_preference, 40 pairs): 21 wins, 9 ties, 10 losses; ...
    """
    from jurist.judges._pairwise import PairwiseJudge, PairwisePreference

    judge = judge if judge is not None else PairwisePreference()
    if not isinstance(judge, PairwiseJudge):
        raise ConfigError("evaluate_pairwise needs a pairwise judge (make_pairwise_judge or PairwisePreference); "
                          f"got {type(judge).__name__}")
    rows_a, rows_b = _side_rows(a, "a"), _side_rows(b, "b")
    label_a = names[0] if names else (getattr(a, "__name__", None) or (a if isinstance(a, str) else None)
                                      or getattr(a, "run_id", None) or "a")
    label_b = names[1] if names else (getattr(b, "__name__", None) or (b if isinstance(b, str) else None)
                                      or getattr(b, "run_id", None) or "b")
    if data is not None:
        base = [{"index": r.index, "id": r.id, "inputs": r.inputs, "expectations": r.expectations}
                for r in load_rows(data)]
    elif rows_a is not None:
        base = rows_a
    elif rows_b is not None:
        base = rows_b
    else:
        raise ConfigError("two predict_fns need data= with the inputs to call them on")
    limit = concurrency or 32
    failed: list[tuple[int, str, str]] = []

    def outputs_of(side: Any, rows: list[dict[str, Any]] | None, which: str) -> list[Any]:
        if rows is None:
            answers = RUNTIME.run(_predict_all(side, [r["inputs"] for r in base], limit))
            for r, (_, err) in zip(base, answers, strict=True):
                if err is not None:
                    failed.append((r["index"], which, err))
            return [out for out, _ in answers]
        by_id = {r["id"]: r for r in rows if r["id"] is not None}
        by_index = {r["index"]: r for r in rows}
        use_id = all(r["id"] is not None for r in base) and len(by_id) == len(rows)
        picked = []
        for r in base:
            other = by_id.get(r["id"]) if use_id else by_index.get(r["index"])
            picked.append(None if other is None else other["outputs"])
            if other is None:
                failed.append((r["index"], which, f"no row with this {'id' if use_id else 'position'} in {which}"))
        return picked

    out_a, out_b = outputs_of(a, rows_a, label_a), outputs_of(b, rows_b, label_b)
    skip = {i for i, _, _ in failed}
    rows = [{"inputs": r["inputs"], "expectations": r["expectations"], "outputs_a": oa, "outputs_b": ob,
             **({"id": r["id"]} if r["id"] is not None else {}), "tags": {"pairwise": f"{label_a} vs {label_b}"}}
            for r, oa, ob in zip(base, out_a, out_b, strict=True) if r["index"] not in skip]
    if not rows:
        raise ConfigError("no row has both answers to compare: " + "; ".join(f"row {i} ({w}): {e}"
                                                                            for i, w, e in failed[:5]))
    result = evaluate(rows, [judge], concurrency=concurrency, cache=cache, progress=progress, experiment=experiment,
                      log=log)
    values = [r.feedback(judge.name) for r in result.rows]
    scores = [_SCORE[str(f.value)] for f in values if f is not None and f.error is None and str(f.value) in _SCORE]
    wins_a = sum(1 for s in scores if s == 1.0)
    wins_b = sum(1 for s in scores if s == 0.0)
    ties = len(scores) - wins_a - wins_b
    low, high = bootstrap_ci(scores) if scores else (float("nan"), float("nan"))
    pc = result.scorer_metrics.get(judge.name, {}).get("position_consistency")
    return PairwiseResult(
        name_a=str(label_a), name_b=str(label_b), judge=judge.name, wins_a=wins_a, wins_b=wins_b, ties=ties,
        errors=len(values) - len(scores), preference_a=sum(scores) / len(scores) if scores else float("nan"),
        ci_low=low, ci_high=high, p_value=binomial_two_sided(wins_a, wins_a + wins_b), position_consistency=pc,
        result=result, failed_predictions=failed)
