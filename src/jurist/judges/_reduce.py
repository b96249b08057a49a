"""Reducing several answers to one verdict: votes of sampled answers, jury verdicts, agreement (κ)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from jurist.entities import AssessmentError, AssessmentSource, Feedback
from jurist.errors import ConfigError

#: The named ways a jury turns its jurors' values into one.
REDUCERS = ("majority", "mean", "median", "min", "max", "all", "any")

Reducer = str | Callable[[list[Feedback]], Any]

_TRUE = {"yes", "pass", "true"}
_FALSE = {"no", "fail", "false"}


def as_pass(value: Any) -> bool | None:
    """A yes/no, pass/fail or boolean verdict as a bool; None when the value is not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def _key(value: Any) -> Hashable:
    """A value as something countable: lists and dicts by their JSON-ish repr."""
    if isinstance(value, Hashable):
        return value
    return repr(value)


def sum_usage(feedbacks: Sequence[Feedback]) -> dict[str, Any]:
    """Tokens, cost and model time of several answers added up; a count is None when one answer that
    called a model does not know it. Answers that called no model (code scorers) add nothing."""
    out: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "latency_ms": 0.0, "cost_usd": 0.0}
    called = [f.metadata or {} for f in feedbacks if "input_tokens" in (f.metadata or {})]
    for m in called:
        for k in out:
            v = m.get(k)
            out[k] = None if v is None or out[k] is None else out[k] + v
    if out["latency_ms"] is not None:
        out["latency_ms"] = round(out["latency_ms"], 3)
    if called and all(m.get("cached") for m in called):
        out["cached"] = True
    return out


def vote(name: str, source: AssessmentSource, feedbacks: Sequence[Feedback], *, trace_id: str | None = None,
         span_id: str | None = None) -> Feedback:
    """The majority verdict of sampled answers to one question, with its vote share as the confidence.

    A tie goes to the value the earliest answer gave. Answers that failed do not vote; when all failed the
    verdict is the first error.
    """
    meta = sum_usage(feedbacks)
    good = [f for f in feedbacks if f.error is None and f.value is not None]
    meta["samples"] = len(feedbacks)
    if not good:
        first = next((f for f in feedbacks if f.error is not None), None)
        error = first.error if first is not None else AssessmentError("NO_VERDICT", "no sampled answer had a verdict")
        meta["sample_errors"] = sum(1 for f in feedbacks if f.error is not None)
        return Feedback(name=name, source=source, error=error, metadata=meta, trace_id=trace_id, span_id=span_id)
    counts = Counter(_key(f.value) for f in good)
    order = {k: i for i, k in reversed(list(enumerate(_key(f.value) for f in good)))}
    best = max(counts, key=lambda k: (counts[k], -order[k]))
    winner = next(f for f in good if _key(f.value) == best)
    meta["votes"] = {str(k): n for k, n in counts.most_common()}
    meta["confidence"] = round(counts[best] / len(good), 4)
    meta["confidence_method"] = "vote"
    errors = sum(1 for f in feedbacks if f.error is not None)
    if errors:
        meta["sample_errors"] = errors
    return Feedback(name=name, value=winner.value, rationale=winner.rationale, source=source, metadata=meta,
                    trace_id=trace_id, span_id=span_id)


def check_reducer(reduce: Any) -> Reducer:
    if callable(reduce):
        return reduce  # type: ignore[no-any-return]
    if reduce not in REDUCERS:
        raise ConfigError(f"reduce must be one of {', '.join(REDUCERS)} or a function of the jurors' feedback list, "
                          f"got {reduce!r}")
    return str(reduce)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    p = as_pass(value)
    return None if p is None else float(p)


def reduce_values(reduce: str, feedbacks: Sequence[Feedback]) -> tuple[Any, str | None]:
    """The jury's value by a named reducer, and why it could not be made (None when it was)."""
    values = [f.value for f in feedbacks]
    if reduce == "majority":
        counts = Counter(_key(v) for v in values)
        top = counts.most_common()
        if len(top) > 1 and top[0][1] == top[1][1]:
            return None, (f"the jurors are split evenly ({', '.join(f'{k!r}: {n}' for k, n in top)}); use an odd "
                          "number of jurors or another reduce")
        return next(v for v in values if _key(v) == top[0][0]), None
    if reduce in ("all", "any"):
        passes = [as_pass(v) for v in values]
        if any(p is None for p in passes):
            return None, f"reduce={reduce!r} needs yes/no or true/false verdicts, got {values!r}"
        ok = all(passes) if reduce == "all" else any(passes)
        yes_no = all(isinstance(v, str) for v in values)
        return ("yes" if ok else "no") if yes_no else ok, None
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        return None, f"reduce={reduce!r} needs numeric (or yes/no) verdicts, got {values!r}"
    nums = [float(n) for n in numbers if n is not None]
    if reduce == "mean":
        return sum(nums) / len(nums), None
    if reduce == "median":
        s = sorted(nums)
        mid = len(s) // 2
        return (s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2), None
    return (min(nums) if reduce == "min" else max(nums)), None


def fleiss_kappa(ratings: Sequence[Sequence[Any]]) -> float | None:
    """Fleiss' κ of items each rated by the same number of raters (Cohen-like chance correction).

    ``ratings[i]`` holds the values the raters gave item ``i``. None when there is too little to tell
    (fewer than 2 items or raters) or when every rating is the same value (κ is undefined).
    """
    items = [list(r) for r in ratings if len(r) >= 2]
    if len(items) < 2:
        return None
    n = len(items[0])
    items = [r for r in items if len(r) == n]
    if len(items) < 2:
        return None
    cats = sorted({_key(v) for r in items for v in r}, key=repr)
    if len(cats) < 2:
        return None
    totals = Counter[Hashable]()
    p_items = []
    for r in items:
        c = Counter(_key(v) for v in r)
        totals.update(c)
        p_items.append((sum(k * k for k in c.values()) - n) / (n * (n - 1)))
    p_bar = sum(p_items) / len(items)
    p_e = sum((totals[c] / (len(items) * n)) ** 2 for c in cats)
    if math.isclose(p_e, 1.0):
        return None
    return round((p_bar - p_e) / (1 - p_e), 4)


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's κ of two raters over the same items (None when undefined)."""
    pairs = [(_key(x), _key(y)) for x, y in zip(a, b, strict=True)]
    if len(pairs) < 2:
        return None
    cats = {c for p in pairs for c in p}
    n = len(pairs)
    p_o = sum(1 for x, y in pairs if x == y) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    p_e = sum(ca[c] * cb[c] for c in cats) / (n * n)
    if math.isclose(p_e, 1.0):
        return None
    return round((p_o - p_e) / (1 - p_e), 4)
