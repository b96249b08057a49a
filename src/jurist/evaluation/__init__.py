"""Evaluation: ``evaluate()`` over data sets, its async engine, and its results."""

from jurist.evaluation._dataset import COLUMNS, Row, load_rows
from jurist.evaluation._evaluate import aevaluate, evaluate
from jurist.evaluation._result import EvaluationResult, RowResult

__all__ = ["COLUMNS", "EvaluationResult", "Row", "RowResult", "aevaluate", "evaluate", "load_rows"]
