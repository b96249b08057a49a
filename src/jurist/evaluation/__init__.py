"""Evaluation: ``evaluate()`` over data sets, its async engine, its results, and comparisons of two."""

from jurist.evaluation._compare import (
           EvaluationComparison,
           NotImprovedError,
           ScorerComparison,
           compare_evaluations,
)
from jurist.evaluation._dataset import COLUMNS, Row, load_rows
from jurist.evaluation._evaluate import aevaluate, evaluate
from jurist.evaluation._executor import Executor, LocalExecutor, Work
from jurist.evaluation._pairwise import PairwiseResult, evaluate_pairwise
from jurist.evaluation._result import EvaluationResult, RowResult

__all__ = [
           "COLUMNS",
           "EvaluationComparison",
           "EvaluationResult",
           "Executor",
           "LocalExecutor",
           "NotImprovedError",
           "PairwiseResult",
           "Row",
           "RowResult",
           "ScorerComparison",
           "Work",
           "aevaluate",
           "compare_evaluations",
           "evaluate",
           "evaluate_pairwise",
           "load_rows",
]
