"""Evaluation: ``evaluate()`` over data sets, its async engine, its results, and monitoring of live traces."""

from jurist.evaluation._dataset import COLUMNS, Row, load_rows
from jurist.evaluation._evaluate import aevaluate, evaluate
from jurist.evaluation._monitor import Monitor, MonitorStats, start_monitor
from jurist.evaluation._result import EvaluationResult, RowResult

__all__ = ["COLUMNS", "EvaluationResult", "Monitor", "MonitorStats", "Row", "RowResult", "aevaluate", "evaluate",
           "load_rows", "start_monitor"]
