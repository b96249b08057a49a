"""Evaluation: ``evaluate()`` over data sets, its async engine, its results, comparisons of two, and
monitoring of live traces.

Comparison, pairwise evaluation and probes (which load numpy), and monitoring, are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jurist.evaluation._dataset import COLUMNS, Row, RowSource, load_rows, open_rows
from jurist.evaluation._evaluate import aevaluate, evaluate
from jurist.evaluation._executor import Executor, LocalExecutor, Work
from jurist.evaluation._result import EvaluationResult, RowResult
from jurist.evaluation._result_rows import ResultRows

_LAZY = {
    "EvaluationComparison": "_compare", "NotImprovedError": "_compare", "ScorerComparison": "_compare",
    "compare_evaluations": "_compare", "PairwiseResult": "_pairwise", "evaluate_pairwise": "_pairwise",
    "ProbeReport": "_probes", "ProbeResult": "_probes", "probe": "_probes",
    "AgreementReport": "_meta", "meta_evaluate": "_meta", "ameta_evaluate": "_meta",
    "Monitor": "_monitor", "MonitorStats": "_monitor", "start_monitor": "_monitor",
    "RayExecutor": "_ray",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jurist.evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"jurist.evaluation.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from jurist.evaluation._compare import (
        EvaluationComparison,
        NotImprovedError,
        ScorerComparison,
        compare_evaluations,
    )
    from jurist.evaluation._meta import AgreementReport, ameta_evaluate, meta_evaluate
    from jurist.evaluation._monitor import Monitor, MonitorStats, start_monitor
    from jurist.evaluation._pairwise import PairwiseResult, evaluate_pairwise
    from jurist.evaluation._probes import ProbeReport, ProbeResult, probe
    from jurist.evaluation._ray import RayExecutor

__all__ = ["COLUMNS", "AgreementReport", "EvaluationComparison", "EvaluationResult", "Executor", "LocalExecutor",
           "Monitor", "MonitorStats", "NotImprovedError", "PairwiseResult", "ProbeReport", "ProbeResult", "RayExecutor",
           "ResultRows", "Row", "RowResult", "RowSource", "ScorerComparison", "Work", "aevaluate", "ameta_evaluate", "compare_evaluations", "evaluate",
           "evaluate_pairwise", "load_rows", "meta_evaluate", "open_rows", "probe", "start_monitor"]
