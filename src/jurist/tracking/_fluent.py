"""The tracking functions of the public API (``jurist.log_feedback``, ``jurist.search_traces`` …), in the
shape of MLflow's: each acts on the store at the tracking URI and the active experiment."""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from typing import Any

from jurist.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
    Trace,
)
from jurist.errors import ConfigError
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Assessment,
    Experiment,
    JudgeVersion,
    NotFoundError,
    Run,
    StoredTrace,
    judge_definition,
)
from jurist.tracking._store import active_experiment_name, get_store, set_active_experiment


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "default"


def _source(source: Any, default: AssessmentSourceType) -> AssessmentSource:
    if source is None:
        return AssessmentSource(default, _user() if default is AssessmentSourceType.HUMAN else "default")
    if isinstance(source, AssessmentSource):
        return source
    if isinstance(source, dict):
        return AssessmentSource.from_dict(source)
    kind = AssessmentSource(source_type=source).source_type  # "HUMAN", AssessmentSourceType.HUMAN …
    return AssessmentSource(kind, _user() if kind is AssessmentSourceType.HUMAN else "default")


# -- experiments ------------------------------------------------------------------------------------
def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None, *,
                   name: str | None = None) -> Experiment:
    """Make an experiment the active one: runs and traces are logged to it. By name (created if new),
    as ``set_experiment("support-bot")``, or by id, as MLflow's ``set_experiment(experiment_id=...)``.

    Example:
        >>> jurist.set_experiment("support-bot")                       # doctest: +SKIP
        Experiment(experiment_id='3f2a…', name='support-bot', …)
    """
    given = [v for v in (experiment_name, name) if v is not None]
    if len(given) + (experiment_id is not None) != 1:
        raise ConfigError("set_experiment takes one of experiment_name= (or a name) and experiment_id=")
    store = get_store()
    exp = store.get_experiment(str(experiment_id)) if experiment_id is not None \
        else store.get_or_create_experiment(given[0])
    set_active_experiment(exp.name)
    return exp


def create_experiment(name: str, artifact_location: str | None = None,
                      tags: dict[str, str] | None = None) -> str:
    """Create an experiment and return its id, as MLflow's does; a name already in use is a ConfigError.

    ``artifact_location`` is accepted for MLflow's signature; jurist keeps no artifacts.
    """
    if isinstance(artifact_location, dict) and tags is None:  # create_experiment(name, {"team": ...})
        artifact_location, tags = None, artifact_location
    return get_store().create_experiment(name, tags).experiment_id


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment named ``name``, or None (``Default`` always exists, as MLflow's does)."""
    if name == DEFAULT_EXPERIMENT_NAME:
        return get_store().get_or_create_experiment(name)
    return get_store().get_experiment_by_name(name)


def get_experiment(experiment_id: str) -> Experiment:
    """An experiment by id (``"0"`` is ``Default``, as in MLflow); an unknown id is a NotFoundError."""
    if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
        return get_store().get_or_create_experiment(DEFAULT_EXPERIMENT_NAME)
    return get_store().get_experiment(str(experiment_id))


def search_experiments(view_type: Any = None, max_results: int | None = None, filter_string: str | None = None,
                       order_by: Sequence[str] | None = None) -> list[Experiment]:
    """Experiments, newest first; ``filter_string`` takes ``name = '…'``, ``name LIKE '…'``, ``tags.<key> = '…'``."""
    from jurist.tracking._mlflow_client import MlflowClient

    return MlflowClient().search_experiments(view_type, max_results, filter_string, order_by)


def active_experiment() -> Experiment:
    """The experiment runs and traces go to now: ``set_experiment``'s, else ``Default``."""
    return get_store().get_or_create_experiment(active_experiment_name() or DEFAULT_EXPERIMENT_NAME)


def _experiment_ids(experiment: str | Experiment | Sequence[str | Experiment] | None) -> list[str]:
    if experiment is None:
        return [active_experiment().experiment_id]
    items = [experiment] if isinstance(experiment, (str, Experiment)) else list(experiment)
    store = get_store()
    out = []
    for e in items:
        if isinstance(e, Experiment):
            out.append(e.experiment_id)
            continue
        found = store.get_experiment_by_name(e)
        if found is None and e == DEFAULT_EXPERIMENT_NAME:
            found = store.get_or_create_experiment(e)
        if found is None:
            try:
                found = store.get_experiment(e)
            except NotFoundError:
                raise NotFoundError(f"no experiment named {e!r} (or with that id) in the store at {store.uri}") from None
        out.append(found.experiment_id)
    return out


# -- runs -------------------------------------------------------------------------------------------
def get_run(run_id: str) -> Run:
    """A run by id: status, parameters, judges, metrics and totals."""
    return get_store().get_run(run_id)


def search_runs(experiment: str | Sequence[str] | None = None, status: str | None = None,
                max_results: int | None = None, *, experiment_ids: Sequence[str] | None = None,
                filter_string: str | None = None, order_by: Sequence[str] | None = None,
                output_format: str | None = None, experiment_names: Sequence[str] | None = None,
                search_all_experiments: bool | None = None, run_view_type: Any = None) -> Any:
    """Runs of an experiment (default: the active one), newest first; ``status="RUNNING"`` finds killed ones.

    Called in jurist's shape (``experiment``, ``status``, ``max_results``) it returns a list of runs. Called
    in MLflow's (``experiment_ids=``, ``experiment_names=``, ``filter_string=``, ``order_by=``,
    ``output_format=``, ``search_all_experiments=``) it returns MLflow's DataFrame (``run_id``, ``status``,
    ``metrics.<key>``, ``params.<key>``, ``tags.<key>`` …), or the list with ``output_format="list"``.

    Example:
        >>> jurist.search_runs(experiment_ids=[exp_id], filter_string="metrics.accuracy > 0.8",   # doctest: +SKIP
        ...                    order_by=["metrics.accuracy DESC"])
    """
    mlflow_shape = any(v is not None for v in (experiment_ids, filter_string, order_by, output_format,
                                                 experiment_names, search_all_experiments, run_view_type))
    if output_format not in (None, "pandas", "list"):
        raise ConfigError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    store = get_store()
    if not mlflow_shape:
        return store.search_runs(_experiment_ids(experiment), status=status, max_results=max_results or 100)
    from jurist.tracking import _run_search

    given = [w for w in (experiment, experiment_ids, experiment_names) if w is not None]
    if len(given) > 1:
        raise ConfigError("give the experiments once: experiment, experiment_ids= or experiment_names=")
    ids = None if search_all_experiments and not given else _experiment_ids(given[0] if given else None)
    limit = max_results if max_results is not None else 50_000
    keep = _run_search.parse(filter_string)
    found = [r for r in store.search_runs(ids, status=status, max_results=50_000) if keep(r)]
    found = _run_search.sort(found, order_by)[:limit]
    return found if output_format == "list" else _run_search.frame(found)


# -- traces and assessments -------------------------------------------------------------------------
def log_trace(trace: Trace | dict[str, Any], experiment: str | None = None) -> str:
    """Store a trace (a :class:`Trace` or its dict form) in an experiment; returns its id."""
    (exp_id,) = _experiment_ids(experiment) if experiment else [active_experiment().experiment_id]
    return get_store().log_traces([Trace.coerce(trace)], exp_id)[0]


def get_trace(trace_id: str) -> StoredTrace:
    """A stored trace with its spans, tags and assessments."""
    flush_traces()
    return get_store().get_trace(trace_id)


def search_traces(
    experiment: str | Experiment | Sequence[str | Experiment] | None = None,
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
    *,
    experiment_ids: Sequence[str] | None = None,
    locations: Sequence[str] | None = None,
    run_id: str | None = None,
    return_type: str | None = None,
    include_spans: bool = True,
    extract_fields: Sequence[str] | None = None,
    model_id: str | None = None,
) -> Any:
    """Traces of an experiment (a name or id; default the active one), with their assessments, newest first.

    Called in jurist's shape (``experiment``, ``filter_string``, ``max_results``, ``order_by``) it returns
    a list of traces (at most 100 by default) that also reads as MLflow's DataFrame: ``found["trace"]``,
    ``found.iterrows()``, ``found.to_pandas()``. Called in MLflow's (``experiment_ids=``, ``locations=``, ``run_id=`` or
    ``return_type=``) it returns what MLflow's does: a pandas DataFrame, one row per trace, or the list
    with ``return_type="list"``; ``max_results`` then defaults to every trace (up to 50,000).

    ``filter_string`` takes clauses joined by ``AND``: ``trace.status = 'OK'``, ``tags.env = 'prod'``,
    ``run_id = '…'``, ``feedback.correctness = 'no'``, ``feedback.tone.source_type = 'HUMAN'``,
    ``expectation.expected_response IS NOT NULL``, ``trace.timestamp_ms > 1700000000000``.

    Example:
        >>> labelled = jurist.search_traces("support-bot",                 # doctest: +SKIP
        ...     filter_string="feedback.tone.source_type = 'HUMAN'", max_results=500)
        >>> [(t.trace_id, t.search_assessments("tone")) for t in labelled]  # doctest: +SKIP
    """
    if filter_string is None and _looks_like_filter(experiment):  # MLflow's search_traces("attributes.status = 'OK'")
        experiment, filter_string = None, str(experiment)
    mlflow_shape = any(v is not None for v in (experiment_ids, locations, run_id, return_type, extract_fields))
    if return_type not in (None, "pandas", "list"):
        raise ConfigError(f"return_type must be 'pandas' or 'list', got {return_type!r}")
    if model_id is not None:
        raise ConfigError("jurist has no logged models: search_traces(model_id=...) is not supported; "
                          "filter on a tag instead (filter_string=\"tags.model = '...'\")")
    where = [experiment_ids, locations]
    if experiment is not None and any(w is not None for w in where):
        raise ConfigError("give the experiment once: experiment, experiment_ids= or locations=")
    chosen = next((w for w in where if w is not None), experiment)
    if run_id is not None:
        get_store().get_run(run_id)  # an unknown run is an error, not an empty answer
        clause = f"run_id = '{_quote(run_id)}'"
        filter_string = f"{filter_string} AND {clause}" if filter_string else clause
    flush_traces()
    limit = max_results if max_results is not None else (50_000 if mlflow_shape else 100)
    # A run's traces may live in other experiments (a run that judged stored traces): by run, search them all.
    ids = None if run_id is not None and chosen is None else _experiment_ids(chosen)
    found = get_store().search_traces(ids, filter_string=filter_string, max_results=limit, order_by=order_by)
    if not include_spans:
        for t in found:
            t.spans = []
    if return_type == "list":
        return found
    if not mlflow_shape:
        from jurist.tracking._trace_list import TraceList

        return TraceList(found)
    from jurist.tracking._frames import traces_frame

    return traces_frame(found)


_FILTER_OPERATOR = re.compile(r"\s*(=|!=|<>|<=|>=|<|>)\s*|\s+(LIKE|ILIKE|IN|IS)\s+", re.IGNORECASE)


def _looks_like_filter(experiment: Any) -> bool:
    """A string with a comparison in it, naming no experiment, is a filter given in the first place."""
    if not isinstance(experiment, str) or _FILTER_OPERATOR.search(experiment) is None:
        return False
    return get_store().get_experiment_by_name(experiment) is None


def _quote(value: str) -> str:
    return str(value).replace("'", "''")


def flush_traces() -> None:
    """Store the traces this process has finished recording before reading or writing the store."""
    from jurist.tracing._export import flush_traces as flush

    flush()


def log_assessment(trace_id: str, assessment: Assessment) -> Assessment:
    """Attach a :class:`Feedback` or :class:`Expectation` to a stored trace."""
    if not isinstance(assessment, (Feedback, Expectation)):
        raise ConfigError(f"log_assessment takes a Feedback or an Expectation, got {type(assessment).__name__}")
    assessment.trace_id = trace_id
    flush_traces()
    assessment.assessment_id = get_store().log_assessment(assessment).assessment_id
    return assessment


def log_feedback(
    trace_id: str,
    name: str = "feedback",
    value: Any = None,
    rationale: str | None = None,
    source: AssessmentSource | AssessmentSourceType | str | None = None,
    *,
    error: AssessmentError | BaseException | None = None,
    metadata: dict[str, Any] | None = None,
    span_id: str | None = None,
) -> Feedback:
    """Record a verdict on a stored trace — by default a person's (``source`` HUMAN, the current user).

    Example:
        >>> jurist.log_feedback(trace_id, name="correctness", value="no",          # doctest: +SKIP
        ...                     rationale="Paris, not Lyon.", source="HUMAN")
    """
    if value is None and error is None:
        raise ConfigError("log_feedback needs a value (or an error saying why there is none)")
    fb = Feedback(name=name, value=value, rationale=rationale, source=_source(source, AssessmentSourceType.HUMAN),
                  error=error, metadata=dict(metadata or {}), trace_id=trace_id, span_id=span_id)
    flush_traces()
    fb.assessment_id = get_store().log_assessment(fb).assessment_id
    return fb


def log_expectation(
    trace_id: str,
    name: str,
    value: Any,
    source: AssessmentSource | AssessmentSourceType | str | None = None,
    *,
    metadata: dict[str, Any] | None = None,
    span_id: str | None = None,
) -> Expectation:
    """Record the expected answer (ground truth) for a stored trace, by default from a person.

    Example:
        >>> jurist.log_expectation(trace_id, name="expected_response", value="Paris")   # doctest: +SKIP
    """
    exp = Expectation(name=name, value=value, source=_source(source, AssessmentSourceType.HUMAN),
                      metadata=dict(metadata or {}), trace_id=trace_id, span_id=span_id)
    flush_traces()
    exp.assessment_id = get_store().log_assessment(exp).assessment_id
    return exp


# -- judges -----------------------------------------------------------------------------------------
def register_judge(judge: Any, name: str | None = None) -> JudgeVersion:
    """Store a judge as data (name, instructions, output type, model, parameters) under a new version.

    Versions are numbered 1, 2, … per name and never change. No key or header is stored.

    Example:
        >>> v = jurist.register_judge(make_judge(name="tone", instructions="…{{ outputs }}…"))  # doctest: +SKIP
        >>> v.version, jurist.get_judge("tone").instructions                                    # doctest: +SKIP
        (1, '…{{ outputs }}…')
    """
    definition = judge_definition(judge)
    if name is not None:
        definition["name"] = name
    return get_store().register_judge(definition)


def get_judge(name: str, version: int | None = None) -> Any:
    """The registered judge ``name`` (its latest version, or ``version``), rebuilt from its data."""
    return get_store().get_judge(name, version).to_judge()


def list_judge_versions(name: str) -> list[JudgeVersion]:
    """Every stored version of a judge, oldest first."""
    return get_store().list_judge_versions(name)
