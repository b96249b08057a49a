"""``make_scorer_ensemble``: one scorer made of several, their verdicts combined into one Feedback.

The scorers run side by side on the same row. ``ensemble_fn`` receives their Feedback objects and
returns a Feedback or a plain value; the default takes the majority verdict of yes/no and true/false
judges and the mean of numeric ones. Each member's feedback is kept in the result's metadata.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from jurist.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.scorers._scorer import Scorer, to_feedbacks


def default_ensemble(feedbacks: list[Feedback]) -> Any:
    """Majority of the verdicts (ties go to the first verdict given), or the mean of numeric ones."""
    values: list[Any] = [f.value for f in feedbacks if f.error is None and f.value is not None]
    if not values:
        return Feedback(error=AssessmentError("ENSEMBLE_EMPTY", "no member of the ensemble gave a verdict"))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sum(float(v) for v in values) / len(values)
    counts = Counter(str(v) if not isinstance(v, bool) else v for v in values)
    best = max(counts.values())
    return next(v for v in values if counts[str(v) if not isinstance(v, bool) else v] == best)


class ScorerEnsemble(Scorer):
    """Several scorers judged as one; see :func:`make_scorer_ensemble`."""

    def __init__(self, name: str, scorers: Sequence[Scorer],
                 ensemble_fn: Callable[[list[Feedback]], Any] | None = None) -> None:
        if not scorers or not all(isinstance(s, Scorer) for s in scorers):
            raise ConfigError("make_scorer_ensemble needs scorers= as a non-empty list of judges or scorers")
        self.name = name
        self.scorers = list(scorers)
        self.ensemble_fn = ensemble_fn or default_ensemble
        self.source = AssessmentSource(AssessmentSourceType.LLM_JUDGE if any(
            getattr(getattr(s, "source", None), "source_type", None) is AssessmentSourceType.LLM_JUDGE
            for s in self.scorers) else AssessmentSourceType.CODE, f"ensemble:{name}")

    def check_ready(self) -> None:
        for s in self.scorers:
            s.check_ready()

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        async def one(s: Scorer) -> list[Feedback]:
            try:
                src = getattr(s, "source", None) or AssessmentSource(AssessmentSourceType.CODE, s.name)
                return to_feedbacks(await s.ascore(**kwargs), s.name, src)
            except Exception as e:  # one member failing is an error on its verdict, not on the ensemble
                return [Feedback(name=s.name, error=AssessmentError.from_exception(e))]

        members = [f for fbs in await asyncio.gather(*(one(s) for s in self.scorers)) for f in fbs]
        combined = to_feedbacks(self.ensemble_fn(members), self.name, self.source)
        for f in combined:
            f.name = self.name
            f.metadata = {**f.metadata, "members": [m.to_dict() for m in members]}
            if f.rationale is None:
                f.rationale = "; ".join(f"{m.name}: {m.value}" for m in members)
        return combined


def make_scorer_ensemble(*, name: str, scorers: Sequence[Scorer],
                         ensemble_fn: Callable[[list[Feedback]], Any] | None = None) -> ScorerEnsemble:
    """One scorer named ``name`` that runs ``scorers`` and combines their feedback with ``ensemble_fn``.

    Example:
        >>> from jurist.judges import Correctness, Equivalence
        >>> panel = make_scorer_ensemble(name="agree", scorers=[Correctness(), Equivalence()])
        >>> [s.name for s in panel.scorers]
        ['correctness', 'equivalence']
    """
    return ScorerEnsemble(name, scorers, ensemble_fn)
