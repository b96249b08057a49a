"""Meta-evaluation: how often does a judge agree with people?

``meta_evaluate(judge, labelled)`` runs the judge over items a person labelled and reports accuracy,
balanced accuracy (the mean recall over the people's classes, the honest figure on imbalanced sets),
Cohen's κ and the confusion matrix, each with a percentile bootstrap confidence interval over items;
for a pairwise judge also the share of comparisons that gave the same verdict in both orders.

Example:
    >>> from jurist.evaluation._meta import agreement
    >>> r = agreement(["yes", "no", "yes", "no"], ["yes", "no", "no", "no"])
    >>> r.accuracy.value, r.balanced_accuracy.value
    (0.75, 0.75)
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jurist.entities import Feedback
from jurist.judges._reduce import cohen_kappa

#: Judgments of one meta-evaluation in flight at once, unless told otherwise.
DEFAULT_CONCURRENCY = 8
CI_LEVEL = 0.95
_RESAMPLES = 2000
_SEED = 0

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Estimate:
    """A figure and its confidence interval (``low``/``high`` are None when it cannot be estimated)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}

    def __str__(self) -> str:
        if self.value is None:
            return "n/a"
        ci = f" [{self.low:.3f}, {self.high:.3f}]" if self.low is not None and self.high is not None else ""
        return f"{self.value:.3f}{ci}"


@dataclass
class AgreementReport:
    """A judge's agreement with people over the items both gave a verdict on."""

    judge: str
    #: Items compared (a person's label and the judge's verdict), and items the judge failed on (left out).
    n: int
    errors: int
    accuracy: Estimate
    balanced_accuracy: Estimate
    kappa: Estimate
    #: ``confusion[human][judge]``: items a person labelled ``human`` and the judge called ``judge``.
    confusion: dict[str, dict[str, int]]
    #: The interval of each cell's share of all items, same shape as ``confusion``.
    confusion_ci: dict[str, dict[str, tuple[float, float]]]
    labels: list[str]
    pairwise: bool = False
    #: Pairwise judges: the share of comparisons whose verdict did not change with the order of the answers.
    position_consistency: Estimate | None = None
    feedbacks: list[Feedback] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "judge": self.judge, "n": self.n, "errors": self.errors, "labels": list(self.labels),
            "accuracy": self.accuracy.to_dict(), "balanced_accuracy": self.balanced_accuracy.to_dict(),
            "kappa": self.kappa.to_dict(), "confusion": self.confusion,
            "confusion_ci": {h: {j: list(ci) for j, ci in row.items()} for h, row in self.confusion_ci.items()},
            "ci_level": CI_LEVEL,
        }
        if self.pairwise:
            out["pairwise"] = True
            out["position_consistency"] = self.position_consistency.to_dict() if self.position_consistency else None
        return out

    def rows(self) -> list[tuple[str, Estimate]]:
        rows = [("accuracy", self.accuracy), ("balanced accuracy", self.balanced_accuracy), ("Cohen's κ", self.kappa)]
        if self.position_consistency is not None:
            rows.append(("position consistency", self.position_consistency))
        return rows

    def table(self) -> Any:
        """The figures and the confusion matrix as one rich Table."""
        from rich.table import Table

        t = Table(title=f"{self.judge}: agreement with people ({self.n} items"
                        f"{f', {self.errors} judge errors left out' if self.errors else ''})")
        t.add_column("metric")
        t.add_column("value", justify="right")
        t.add_column(f"{int(CI_LEVEL * 100)}% CI", justify="right")
        for name, est in self.rows():
            ci = f"{est.low:.3f} – {est.high:.3f}" if est.low is not None and est.high is not None else ""
            t.add_row(name, "n/a" if est.value is None else f"{est.value:.3f}", ci)
        judged = sorted({j for row in self.confusion.values() for j in row} | set(self.labels))
        for h in self.labels:
            cells = ", ".join(f"{j}: {self.confusion.get(h, {}).get(j, 0)}" for j in judged)
            t.add_row(f"people said {h}", "", f"judge said {cells}")
        return t


def _codes(values: Sequence[Any]) -> tuple[list[str], list[int]]:
    cats = sorted({str(v) for v in values})
    index = {c: i for i, c in enumerate(cats)}
    return cats, [index[str(v)] for v in values]


def _round(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def agreement(human: Sequence[Any], judged: Sequence[Any], *, consistent: Sequence[bool] | None = None,
              judge: str = "judge", errors: int = 0, pairwise: bool = False) -> AgreementReport:
    """Agreement of two raters' verdicts on the same items, with bootstrap intervals (seeded: repeatable)."""
    import numpy as np

    from jurist.evaluation._stats import bootstrap_ci

    if len(human) != len(judged):
        raise ValueError("human and judged verdicts must be of the same items")
    n = len(human)
    labels = sorted({str(v) for v in human})
    empty = Estimate(None)
    if n == 0:
        return AgreementReport(judge, 0, errors, empty, empty, empty, {}, {}, labels, pairwise,
                               empty if pairwise else None)
    cats, codes = _codes([*map(str, human), *map(str, judged)])
    h = np.asarray(codes[:n])
    j = np.asarray(codes[n:])
    rng = np.random.default_rng(_SEED)
    idx = rng.integers(0, n, size=(_RESAMPLES, n))
    hs, js = h[idx], j[idx]
    alpha = (1 - CI_LEVEL) / 2

    def interval(stats: Any) -> tuple[float | None, float | None]:
        finite = stats[np.isfinite(stats)]
        if finite.size == 0:
            return None, None
        lo, hi = np.quantile(finite, [alpha, 1 - alpha])
        return _round(lo), _round(hi)

    match = (h == j).astype(float)
    acc_lo, acc_hi = bootstrap_ci(match.tolist(), level=CI_LEVEL)
    accuracy = Estimate(_round(match.mean()), _round(acc_lo), _round(acc_hi))

    human_cats = sorted(set(h.tolist()))

    def balanced(hv: Any, jv: Any) -> Any:
        recalls = []
        for c in human_cats:
            is_c = hv == c
            count = is_c.sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                recalls.append(np.where(count > 0, (is_c & (jv == c)).sum(axis=-1) / np.maximum(count, 1), np.nan))
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmean(np.stack(recalls), axis=0)

    bal_lo, bal_hi = interval(balanced(hs, js))
    balanced_accuracy = Estimate(_round(float(balanced(h, j))), bal_lo, bal_hi)

    p_o = (hs == js).mean(axis=1)
    p_e = sum((hs == c).mean(axis=1) * (js == c).mean(axis=1) for c in range(len(cats)))
    with np.errstate(invalid="ignore", divide="ignore"):
        kappas = np.where(np.isclose(p_e, 1.0), np.nan, (p_o - p_e) / np.where(np.isclose(p_e, 1.0), 1.0, 1 - p_e))
    k_lo, k_hi = interval(kappas)
    kappa = Estimate(cohen_kappa([str(v) for v in human], [str(v) for v in judged]), k_lo, k_hi)

    confusion: dict[str, dict[str, int]] = {}
    confusion_ci: dict[str, dict[str, tuple[float, float]]] = {}
    for hc in labels:
        for jc in sorted({str(v) for v in judged} | set(labels)):
            cell = [1.0 if str(a) == hc and str(b) == jc else 0.0 for a, b in zip(human, judged, strict=True)]
            count = int(sum(cell))
            confusion.setdefault(hc, {})[jc] = count
            lo, hi = bootstrap_ci(cell, level=CI_LEVEL)
            confusion_ci.setdefault(hc, {})[jc] = (round(lo, 4), round(hi, 4))

    position = None
    if pairwise:
        flags = [1.0 if c else 0.0 for c in (consistent or [])]
        if flags:
            lo, hi = bootstrap_ci(flags, level=CI_LEVEL)
            position = Estimate(_round(sum(flags) / len(flags)), _round(lo), _round(hi))
        else:
            position = empty
    return AgreementReport(judge, n, errors, accuracy, balanced_accuracy, kappa, confusion, confusion_ci, labels,
                           pairwise, position)


def is_pairwise(judge: Any) -> bool:
    return "outputs_a" in tuple(getattr(judge, "arguments", ()) or ())


async def judge_examples(judge: Any, examples: Sequence[Any], *, concurrency: int | None = None,
                         on_progress: Progress | None = None) -> list[Feedback]:
    """The judge's feedback on each labelled example, in order (a failed judgment is a Feedback with an error)."""
    limit = asyncio.Semaphore(max(1, concurrency or DEFAULT_CONCURRENCY))
    done = 0

    async def one(ex: Any) -> Feedback:
        nonlocal done
        async with limit:
            result = await judge.ascore(**ex.args)
        fb = result[0] if isinstance(result, list) else result
        done += 1
        if on_progress is not None:
            on_progress(done, len(examples))
        return fb  # type: ignore[no-any-return]

    return list(await asyncio.gather(*(one(e) for e in examples)))


def report_of(judge: Any, examples: Sequence[Any], feedbacks: Sequence[Feedback]) -> AgreementReport:
    """The agreement report of feedback already made on ``examples``."""
    from jurist.evaluation._labelled import normalise_label

    pairwise = is_pairwise(judge)
    human, judged, consistent = [], [], []
    errors = 0
    for ex, fb in zip(examples, feedbacks, strict=True):
        if fb.error is not None or fb.value is None:
            errors += 1
            continue
        human.append(ex.label)
        judged.append(normalise_label(fb.value, pairwise))
        consistent.append(bool((fb.metadata or {}).get("position_consistent", True)))
    report = agreement(human, judged, consistent=consistent if pairwise else None, judge=str(judge.name),
                       errors=errors, pairwise=pairwise)
    report.feedbacks = list(feedbacks)
    return report


async def ameta_evaluate(judge: Any, labelled: Any, *, concurrency: int | None = None,
                         on_progress: Progress | None = None) -> AgreementReport:
    """The async form of :func:`meta_evaluate`."""
    from jurist.errors import ConfigError
    from jurist.evaluation._labelled import labelled_examples

    examples = labelled_examples(labelled, str(judge.name), pairwise=is_pairwise(judge))
    if not examples:
        raise ConfigError(f"no labelled examples found for judge {judge.name!r}: give rows with a 'label' column "
                          f"(or expectations={{'human_label': ...}}), or traces with HUMAN feedback named "
                          f"{judge.name!r}")
    feedbacks = await judge_examples(judge, examples, concurrency=concurrency, on_progress=on_progress)
    return report_of(judge, examples, feedbacks)


def meta_evaluate(judge: Any, labelled: Any, *, concurrency: int | None = None,
                  on_progress: Progress | None = None) -> AgreementReport:
    """How often ``judge`` agrees with the people who labelled ``labelled``.

    ``labelled`` is a list of rows with a person's ``label`` (and optional ``rationale``), or with
    ``expectations={"human_label": ...}``; traces carrying HUMAN feedback named like the judge; a
    DataFrame of rows; or a .jsonl/.json/.csv path. Labels are compared as the judge writes verdicts
    (``True``/``"pass"``/1 → ``"yes"``; for pairwise judges 1/2 → ``"A"``/``"B"``).

    Example:
        >>> from jurist.judges import Correctness
        >>> report = meta_evaluate(Correctness(model="openai:/gpt-4o-mini"), "labelled.jsonl")  # doctest: +SKIP
        >>> report.balanced_accuracy.value, report.kappa                                      # doctest: +SKIP
        (0.81, Estimate(value=0.62, low=0.48, high=0.75))
    """
    from jurist._runtime import RUNTIME

    return RUNTIME.run(ameta_evaluate(judge, labelled, concurrency=concurrency, on_progress=on_progress))
