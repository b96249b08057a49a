"""``make_scorer_ensemble``: one scorer made of several, their verdicts combined into one Feedback.

The ensemble is a :class:`jurist.judges.Jury` whose ``ensemble_fn`` sees every member's Feedback.
"""

from __future__ import annotations

from jurist.judges._jury import ScorerEnsemble, default_ensemble, make_scorer_ensemble

__all__ = ["ScorerEnsemble", "default_ensemble", "make_scorer_ensemble"]
