"""The tracking store: experiments, evaluation runs with their rows and feedback, traces with their
assessments, and registered judge versions.

SQLite is the default (``./jurist.db``); PostgreSQL through ``postgresql+psycopg://…``; a
``jurist server`` through ``http://host:port``. Importing this package loads no database driver:
SQLAlchemy comes in when a store is first opened.

Example:
    >>> import jurist
    >>> jurist.set_tracking_uri("sqlite:///runs.db")                          # doctest: +SKIP
    >>> result = jurist.evaluate(data, scorers=[Correctness()])              # doctest: +SKIP
    >>> jurist.log_feedback(result.rows[0].trace_id, "correctness", "no",     # doctest: +SKIP
    ...                     rationale="It names the wrong city.")
    >>> jurist.search_traces(filter_string="feedback.correctness = 'no'")    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jurist.tracking._active_run import (
    ActiveRun,
    active_run,
    delete_tag,
    end_run,
    last_active_run,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tag,
    set_tags,
    start_run,
)
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Experiment,
    JudgeVersion,
    Judgment,
    NotFoundError,
    RowData,
    Run,
    RunEnd,
    RunStatus,
    StoredRow,
    StoredTrace,
)
from jurist.tracking._filter import parse_filter
from jurist.tracking._fluent import (
    active_experiment,
    create_experiment,
    get_experiment,
    get_experiment_by_name,
    get_judge,
    get_run,
    get_trace,
    list_judge_versions,
    log_assessment,
    log_expectation,
    log_feedback,
    log_trace,
    register_judge,
    search_experiments,
    search_runs,
    search_traces,
    set_experiment,
)
from jurist.tracking._mlflow_client import (
    Metric,
    MlflowClient,
    Param,
    RunTag,
    delete_assessment,
    delete_trace_tag,
    get_assessment,
    set_trace_tag,
    update_assessment,
)
from jurist.tracking._prompt_api import Prompt, PromptVersion
from jurist.tracking._store import Store, get_store, get_tracking_uri, set_tracking_uri

if TYPE_CHECKING:
    from jurist.evaluation._monitor import Monitor, MonitorStats, start_monitor
    from jurist.tracking._client import RestStore
    from jurist.tracking._sql import SqlStore


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from jurist.tracking._sql import SqlStore

        return SqlStore
    if name == "RestStore":
        from jurist.tracking._client import RestStore

        return RestStore
    if name in ("Monitor", "MonitorStats", "start_monitor"):  # monitoring judges: it lives in evaluation/
        import importlib

        return getattr(importlib.import_module("jurist.evaluation._monitor"), name)
    raise AttributeError(f"module 'jurist.tracking' has no attribute {name!r}")


__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "ActiveRun",
    "Experiment",
    "JudgeVersion",
    "Judgment",
    "Metric",
    "MlflowClient",
    "Monitor",
    "MonitorStats",
    "NotFoundError",
    "Param",
    "Prompt",
    "PromptVersion",
    "RestStore",
    "RowData",
    "Run",
    "RunEnd",
    "RunStatus",
    "RunTag",
    "SqlStore",
    "Store",
    "StoredRow",
    "StoredTrace",
    "active_experiment",
    "active_run",
    "create_experiment",
    "delete_assessment",
    "delete_tag",
    "delete_trace_tag",
    "end_run",
    "get_assessment",
    "get_experiment",
    "get_experiment_by_name",
    "get_judge",
    "get_run",
    "get_store",
    "get_trace",
    "get_tracking_uri",
    "last_active_run",
    "list_judge_versions",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_trace",
    "parse_filter",
    "register_judge",
    "search_experiments",
    "search_runs",
    "search_traces",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_trace_tag",
    "set_tracking_uri",
    "start_monitor",
    "start_run",
    "update_assessment",
]
