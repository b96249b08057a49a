"""Paired statistics for comparing two evaluations of the same rows: McNemar, Wilcoxon, the bootstrap.

Small and exact where it matters (few discordant pairs, few non-zero differences), normal
approximations with the usual corrections otherwise; numpy does the resampling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: Resamples of a bootstrap confidence interval, and the seed that makes them repeatable.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
#: Up to this many non-zero differences without ties, Wilcoxon's p-value is exact.
WILCOXON_EXACT_MAX = 50


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def binomial_two_sided(k: int, n: int) -> float:
    """Exact two-sided p-value of ``k`` successes in ``n`` fair trials (the smaller tail, doubled)."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    # Integer true division: exact for any n (2 ** n as a float overflows past 1,023 discordant pairs).
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def mcnemar(b: int, c: int) -> float:
    """Exact McNemar p-value: ``b`` pairs passed only in the candidate, ``c`` only in the baseline."""
    return binomial_two_sided(b, b + c)


def _ranks(values: Sequence[float]) -> list[float]:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def wilcoxon(diffs: Sequence[float]) -> tuple[float, float]:
    """Wilcoxon signed-rank test of paired differences: (W+, two-sided p-value).

    Zero differences are dropped (Wilcoxon's method). Exact distribution for up to 50 non-zero
    differences without ties; otherwise the normal approximation with tie and continuity corrections.
    """
    d = [float(x) for x in diffs if x != 0]
    n = len(d)
    if n == 0:
        return 0.0, 1.0
    ranks = _ranks([abs(x) for x in d])
    w_plus = sum(r for r, x in zip(ranks, d, strict=True) if x > 0)
    ties = len(set(abs(x) for x in d)) < n
    if n <= WILCOXON_EXACT_MAX and not ties:
        # The number of sign assignments giving each rank sum (ranks 1..n): a subset-sum count.
        top = n * (n + 1) // 2
        counts = [0] * (top + 1)
        counts[0] = 1
        for r in range(1, n + 1):
            for s in range(top, r - 1, -1):
                counts[s] += counts[s - r]
        w = round(min(w_plus, top - w_plus))
        p = 2 * sum(counts[: w + 1]) / 2 ** n
        return w_plus, min(1.0, p)
    mean = n * (n + 1) / 4
    tie_term = 0.0
    for v in set(abs(x) for x in d):
        t = sum(1 for x in d if abs(x) == v)
        tie_term += t ** 3 - t
    var = n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48
    if var <= 0:
        return w_plus, 1.0
    z = (abs(w_plus - mean) - 0.5) / math.sqrt(var)
    return w_plus, min(1.0, 2 * _normal_sf(max(z, 0.0)))


def bootstrap_ci(values: Sequence[float], statistic: Callable[[np.ndarray], float] | None = None,
                 level: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
                 seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """A percentile bootstrap confidence interval of ``statistic`` (the mean by default) over ``values``."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(resamples, arr.size))
    samples = arr[idx]
    stats = samples.mean(axis=1) if statistic is None else np.apply_along_axis(statistic, 1, samples)
    alpha = (1 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(low), float(high)


def cohens_h(p1: float, p2: float) -> float:
    """Effect size of a difference between two proportions."""
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def rank_biserial(diffs: Sequence[float]) -> float:
    """Effect size of paired differences (matched-pairs rank-biserial correlation, from −1 to 1)."""
    d = [float(x) for x in diffs if x != 0]
    if not d:
        return 0.0
    ranks = _ranks([abs(x) for x in d])
    total = sum(ranks)
    plus = sum(r for r, x in zip(ranks, d, strict=True) if x > 0)
    return (plus - (total - plus)) / total
