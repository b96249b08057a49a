"""Comparing two evaluations of the same rows: paired tests per scorer, effect sizes, a CI gate.

``compare_evaluations(candidate, baseline)`` takes two results (or run ids) judged by the same scorers
and says, per scorer, whether the candidate is better: McNemar's exact test for pass/fail scorers,
Wilcoxon's signed-rank test and a bootstrap interval for numeric ones.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from jurist.errors import ConfigError
from jurist.evaluation._result import EvaluationResult, _pass_value
from jurist.evaluation._stats import bootstrap_ci, cohens_h, mcnemar, rank_biserial, wilcoxon

if TYPE_CHECKING:
    import pandas as pd


class NotImprovedError(AssertionError):
    """``assert_improved`` found a scorer on which the candidate is not significantly better."""


@dataclass
class ScorerComparison:
    """One scorer's verdicts on the rows both evaluations judged, candidate against baseline."""

    name: str
    #: ``pass`` (yes/no, true/false verdicts) or ``numeric``.
    kind: str
    #: Rows both evaluations judged without error.
    pairs: int
    candidate: float
    baseline: float
    #: candidate − baseline (pass rates, or means).
    difference: float
    #: A 95 % bootstrap interval of the paired mean difference.
    ci_low: float
    ci_high: float
    #: Two-sided p-value of the paired test (``mcnemar`` or ``wilcoxon``).
    p_value: float
    test: str
    #: Cohen's h for pass rates; the matched-pairs rank-biserial correlation for numbers.
    effect_size: float
    effect: str
    #: Rows where the candidate scored higher, lower, the same.
    better: int = 0
    worse: int = 0
    same: int = 0

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha

    def verdict(self, alpha: float = 0.05) -> str:
        if not self.pairs:
            return "no pairs"
        if not self.significant(alpha):
            return "no significant change"
        return "improved" if self.difference > 0 else "regressed"


@dataclass
class EvaluationComparison:
    """What :func:`compare_evaluations` returns.

    Example:
        >>> cmp = compare_evaluations(new_result, old_result)          # doctest: +SKIP
        >>> cmp.scorers["correctness"].verdict()                        # doctest: +SKIP
        'improved'
        >>> cmp.assert_improved(alpha=0.05, scorers=["correctness"])    # doctest: +SKIP
    """

    candidate: str
    baseline: str
    scorers: dict[str, ScorerComparison] = field(default_factory=dict)
    #: Rows in only one of the two evaluations (matched by row id, else by position).
    unmatched: int = 0
    #: Scorers in only one of the evaluations, or whose verdicts are neither pass/fail nor numbers.
    skipped: dict[str, str] = field(default_factory=dict)

    def assert_improved(self, alpha: float = 0.05, scorers: list[str] | None = None) -> None:
        """Raise :class:`NotImprovedError` (an ``AssertionError``) unless the candidate is significantly
        better on each of ``scorers`` (default: every compared scorer) at level ``alpha``: a CI gate."""
        names = scorers or list(self.scorers)
        unknown = [n for n in names if n not in self.scorers]
        if unknown:
            raise ConfigError(f"no comparison for scorer(s) {', '.join(unknown)}; compared: {', '.join(self.scorers)}")
        failing = [f"{n}: {self.scorers[n].verdict(alpha)} (difference {self.scorers[n].difference:+.3f}, "
                   f"p={self.scorers[n].p_value:.3g})" for n in names
                   if not (self.scorers[n].significant(alpha) and self.scorers[n].difference > 0)]
        if failing:
            raise NotImprovedError(f"{self.candidate} is not significantly better than {self.baseline} at "
                                   f"alpha={alpha}: " + "; ".join(failing))

    def assert_no_regression(self, alpha: float = 0.05, scorers: list[str] | None = None) -> None:
        """Raise :class:`NotImprovedError` if the candidate is significantly worse on any of ``scorers``."""
        names = scorers or list(self.scorers)
        worse = [f"{n}: difference {self.scorers[n].difference:+.3f}, p={self.scorers[n].p_value:.3g}"
                 for n in names if n in self.scorers and self.scorers[n].verdict(alpha) == "regressed"]
        if worse:
            raise NotImprovedError(f"{self.candidate} regressed against {self.baseline} at alpha={alpha}: "
                                   + "; ".join(worse))

    def to_dict(self) -> dict[str, Any]:
        return {"candidate": self.candidate, "baseline": self.baseline, "unmatched": self.unmatched,
                "skipped": dict(self.skipped),
                "scorers": {n: {**asdict(c), "verdict": c.verdict()} for n, c in self.scorers.items()}}

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{**asdict(c), "verdict": c.verdict()} for c in self.scorers.values()])

    def table(self) -> Any:
        """A rich Table of the comparison (what ``jurist compare`` prints)."""
        from rich.table import Table

        t = Table(title=f"{self.candidate} (candidate) vs {self.baseline} (baseline)")
        for col in ("scorer", "pairs", "candidate", "baseline", "diff", "95% CI", "test", "p", "effect",
                    "better/worse/same", "verdict"):
            t.add_column(col, justify="left" if col in ("scorer", "test", "verdict") else "right")
        for c in self.scorers.values():
            t.add_row(c.name, str(c.pairs), f"{c.candidate:.3f}", f"{c.baseline:.3f}", f"{c.difference:+.3f}",
                      f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}]", c.test, f"{c.p_value:.3g}",
                      f"{c.effect_size:+.2f} ({c.effect})", f"{c.better}/{c.worse}/{c.same}", c.verdict())
        return t


# -- reading the two sides ----------------------------------------------------------------------------
def _rows_of(side: Any) -> tuple[str, list[tuple[Any, dict[str, Any]]]]:
    """(label, [(row key, {scorer: value or None when it failed})]) of a result or a stored run."""
    if isinstance(side, EvaluationResult):
        label = side.run_id or "result"
        rows = [(r.id if r.id is not None else r.index,
                 {f.name: (None if f.error is not None else f.value) for f in reversed(r.feedbacks)})
                for r in side.rows]
        return label, rows
    if isinstance(side, str):
        from jurist.tracking._store import get_store

        stored = get_store().load_rows(side)
        if not stored:
            raise ConfigError(f"run {side!r} holds no judged rows")
        rows = []
        for s in stored:
            values: dict[str, Any] = {}
            for name, fbs in s.feedbacks.items():
                fb = fbs[0] if fbs else None
                values[name] = None if fb is None or fb.error is not None else fb.value
            key = s.data.row_id if s.data.row_id is not None else s.row_index
            rows.append((key, values))
        return side, rows
    raise ConfigError(f"compare_evaluations takes EvaluationResult objects or run ids, got {type(side).__name__}")


def _number(value: Any) -> float | None:
    p = _pass_value(value)
    if p is not None:
        return float(p)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def compare_evaluations(candidate: Any, baseline: Any, *, level: float = 0.95) -> EvaluationComparison:
    """Compare two evaluations of the same data, row by row, per scorer.

    Rows are matched by their ``id`` column when both have ids, else by position. For each scorer both
    evaluations ran, rows where either verdict is missing or failed are left out; on the rest:

    - pass/fail scorers (yes/no, true/false): pass rates, McNemar's exact test on the rows whose verdict
      changed, Cohen's h;
    - numeric scorers: means, Wilcoxon's signed-rank test, the matched-pairs rank-biserial correlation;

    and for both, a bootstrap interval (``level``) of the mean paired difference.

    Example:
        >>> cmp = compare_evaluations(new_result, "a1b2c3d4")   # a result, or a stored run's id  # doctest: +SKIP
        >>> cmp.assert_no_regression()                                                          # doctest: +SKIP
    """
    c_label, c_rows = _rows_of(candidate)
    b_label, b_rows = _rows_of(baseline)
    base = dict(b_rows)
    if len(base) != len(b_rows) or len(dict(c_rows)) != len(c_rows):
        raise ConfigError("row ids repeat within an evaluation; give each row a distinct 'id' to compare them")
    matched = [(cv, base[k]) for k, cv in c_rows if k in base]
    out = EvaluationComparison(candidate=c_label, baseline=b_label,
                               unmatched=len(c_rows) + len(b_rows) - 2 * len(matched))
    if not matched:
        raise ConfigError(f"{c_label} and {b_label} share no rows (matched by id, else by position)")
    names = list(dict.fromkeys(n for cv, _ in matched for n in cv))
    b_names = {n for _, bv in matched for n in bv}
    for n in [n for _, bv in matched for n in bv if n not in names]:
        out.skipped.setdefault(n, f"only in {b_label}")
    for name in names:
        if name not in b_names:
            out.skipped[name] = f"only in {c_label}"
            continue
        pairs = [(cv.get(name), bv.get(name)) for cv, bv in matched]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        kinds = {"pass" if _pass_value(v) is not None else "numeric" if _number(v) is not None else "other"
                 for p in pairs for v in p}
        if not pairs:
            out.skipped[name] = "no row judged without error by both"
            continue
        if "other" in kinds:
            out.skipped[name] = "its verdicts are neither pass/fail nor numbers"
            continue
        kind = "pass" if kinds == {"pass"} else "numeric"
        xs = [float(_number(x) or 0.0) for x, _ in pairs]
        ys = [float(_number(y) or 0.0) for _, y in pairs]
        diffs = [x - y for x, y in zip(xs, ys, strict=True)]
        mc, mb = sum(xs) / len(xs), sum(ys) / len(ys)
        low, high = bootstrap_ci(diffs, level=level)
        better = sum(1 for d in diffs if d > 0)
        worse = sum(1 for d in diffs if d < 0)
        if kind == "pass":
            p, test, effect, eff = mcnemar(better, worse), "mcnemar", cohens_h(mc, mb), "cohen_h"
        else:
            p, test, effect, eff = wilcoxon(diffs)[1], "wilcoxon", rank_biserial(diffs), "rank_biserial"
        out.scorers[name] = ScorerComparison(
            name=name, kind=kind, pairs=len(pairs), candidate=mc, baseline=mb, difference=mc - mb, ci_low=low,
            ci_high=high, p_value=p, test=test, effect_size=effect, effect=eff, better=better, worse=worse,
            same=len(diffs) - better - worse)
    return out
