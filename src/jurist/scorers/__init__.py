"""Scorers: judges and code, with aggregations over a run."""

from jurist.scorers._aggregations import NAMES as AGGREGATIONS
from jurist.scorers._aggregations import aggregate
from jurist.scorers._scorer import SCORER_ARGS, FunctionScorer, Scorer, scorer, to_feedbacks

__all__ = ["AGGREGATIONS", "SCORER_ARGS", "FunctionScorer", "Scorer", "aggregate", "scorer", "to_feedbacks"]
