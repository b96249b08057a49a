"""``MlflowClient``: MLflow's lower-level client, with the methods MLflow's GenAI docs use.

Every method is a thin call into jurist's fluent functions or the store they use, on the store at the
tracking URI (or the ``tracking_uri`` given). Methods take ids explicitly, as MLflow's client does,
and never depend on an active run or experiment.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jurist.errors import ConfigError
from jurist.tracking import _active_run, _prompt_api
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Assessment,
    Experiment,
    Run,
    RunEnd,
    RunStatus,
    StoredTrace,
)
from jurist.tracking._store import Store, get_store


def _m(name: str) -> Any:
    """A store module, imported on first use (importing jurist.tracking loads no SQLAlchemy)."""
    import importlib

    return importlib.import_module(f"jurist.tracking.{name}")



@dataclass(frozen=True)
class Metric:
    """One logged value of a run metric (MLflow's ``mlflow.entities.Metric``)."""

    key: str
    value: float
    timestamp: int = 0
    step: int = 0


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


class MlflowClient:
    """A client of the tracking store at ``tracking_uri`` (default: the tracking URI in force).

    Example:
        >>> client = MlflowClient()                                              # doctest: +SKIP
        >>> exp_id = client.create_experiment("support-bot")                     # doctest: +SKIP
        >>> run = client.create_run(exp_id, run_name="baseline")                 # doctest: +SKIP
        >>> client.log_metric(run.info.run_id, "accuracy", 0.91)                 # doctest: +SKIP
        >>> client.set_terminated(run.info.run_id)                               # doctest: +SKIP
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._uri = tracking_uri

    @property
    def store(self) -> Store:
        return get_store(self._uri) if self._uri else get_store()

    def __repr__(self) -> str:
        return f"MlflowClient({self.store.uri!r})"

    # -- experiments --------------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, str] | None = None) -> str:
        return self.store.create_experiment(name, {str(k): str(v) for k, v in (tags or {}).items()}).experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:  # MLflow's Default experiment always exists
            return self.store.get_or_create_experiment(DEFAULT_EXPERIMENT_NAME)
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        if name == DEFAULT_EXPERIMENT_NAME:
            return self.store.get_or_create_experiment(name)
        return self.store.get_experiment_by_name(name)

    def search_experiments(self, view_type: Any = None, max_results: int | None = None,
                           filter_string: str | None = None, order_by: Sequence[str] | None = None,
                           page_token: str | None = None) -> list[Experiment]:
        """Experiments, newest first; ``filter_string`` takes ``name = '…'``, ``name LIKE '…'``, ``tags.<key>``."""
        from jurist.tracking._run_search import _compare, _unquote

        found = sorted(self.store.search_experiments(), key=lambda e: (-e.creation_time_ms, e.name))
        import re

        for part in [p for p in re.split(r"\s+AND\s+", (filter_string or "").strip(), flags=re.IGNORECASE) if p]:
            m = re.fullmatch(r"\s*(?:attributes\.)?(name|tags\.`?[\w.\-]+`?)\s*(!=|=|(?:NOT\s+)?I?LIKE)\s*"
                             r"('(?:[^']|'')*'|\"[^\"]*\")\s*", part, re.IGNORECASE)
            if m is None:
                raise ConfigError(f"cannot read {part!r} in a search_experiments filter; write e.g. "
                                  "\"name LIKE 'support%'\" or \"tags.team = 'qa'\"")
            key, op, want = m.group(1), m.group(2), _unquote(m.group(3))
            if key.lower() == "name":
                found = [e for e in found if _compare(op, e.name, want)]
            else:
                tag = key.split(".", 1)[1].strip("`")
                found = [e for e in found if _compare(op, e.tags.get(tag), want)]
        for item in reversed(list(order_by or [])):
            words = item.split()
            field = words[0].removeprefix("attributes.")
            key = {"name": lambda e: e.name, "creation_time": lambda e: e.creation_time_ms,
                   "experiment_id": lambda e: e.experiment_id}.get(field)
            if key is None:
                raise ConfigError(f"search_experiments orders by name, creation_time or experiment_id, not {field!r}")
            found.sort(key=key, reverse=len(words) > 1 and words[1].upper() == "DESC")
        return found[:max_results] if max_results is not None else found

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        raise ConfigError("jurist sets an experiment's tags when it is created: create_experiment(name, tags={...})")

    # -- runs -----------------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, start_time: int | None = None, tags: dict[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        """A new RUNNING run (not made the active one, as in MLflow)."""
        name = run_name or (tags or {}).get(_active_run.RUN_NAME_TAG) or _active_run._random_name()
        all_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        all_tags[_active_run.RUN_NAME_TAG] = str(name)
        return self.store.create_run(str(experiment_id), name=str(name), tags=all_tags)

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(run_id)

    def search_runs(self, experiment_ids: Sequence[str] | str, filter_string: str = "", run_view_type: Any = None,
                    max_results: int = 1000, order_by: Sequence[str] | None = None,
                    page_token: str | None = None) -> list[Run]:
        from jurist.tracking import _run_search

        ids = [experiment_ids] if isinstance(experiment_ids, str) else [str(e) for e in experiment_ids]
        keep = _run_search.parse(filter_string)
        found = [r for r in self.store.search_runs(ids, max_results=50_000) if keep(r)]
        return _run_search.sort(found, order_by)[:max_results]

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None,
                   step: int | None = None, synchronous: bool | None = None) -> None:
        _m("_run_data").update(self.store, run_id, metrics={key: value}, step=step, timestamp_ms=timestamp)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for ``key`` in run ``run_id``, in the order logged."""
        return [Metric(d["key"], float(d["value"]), int(d["timestamp"] or 0), int(d["step"]))
                for d in _m("_run_data").metric_history(self.store, run_id, key)]

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        _m("_run_data").update(self.store, run_id, params={key: value})
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        _m("_run_data").update(self.store, run_id, tags={key: value})

    def delete_tag(self, run_id: str, key: str) -> None:
        _m("_run_data").delete_tag(self.store, run_id, key)

    def log_batch(self, run_id: str, metrics: Sequence[Any] = (), params: Sequence[Any] = (),
                  tags: Sequence[Any] = (), synchronous: bool | None = None) -> None:
        """Metrics, parameters and tags at once: :class:`Metric`, :class:`Param` and :class:`RunTag` (or any
        object with ``key`` and ``value``, or a ``(key, value)`` pair)."""
        def pairs(items: Sequence[Any]) -> dict[str, Any]:
            return dict((i.key, i.value) if hasattr(i, "key") else tuple(i) for i in items)

        run_data = _m("_run_data")
        run_data.update(self.store, run_id, params=pairs(params), tags=pairs(tags))
        for item in metrics:  # each metric at its own step and time
            key, value = (item.key, item.value) if hasattr(item, "key") else tuple(item)
            run_data.update(self.store, run_id, metrics={key: value}, step=getattr(item, "step", None),
                            timestamp_ms=getattr(item, "timestamp", None) or None)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        if name is not None:
            _m("_run_data").update(self.store, run_id, name=name, tags={_active_run.RUN_NAME_TAG: name})
        if status is not None:
            self.set_terminated(run_id, status) if status.upper() != "RUNNING" else \
                self.store.end_run(run_id, RunEnd(RunStatus.RUNNING, None,
                                                  total_cost_usd=self.store.get_run(run_id).total_cost_usd))

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        try:
            final = RunStatus(str(status or "FINISHED").upper())
        except ValueError:
            raise ConfigError(f"status must be FINISHED, FAILED or KILLED, got {status!r}") from None
        _active_run._terminate(self.store, run_id, final, end_time or int(time.time() * 1000))

    # -- traces ---------------------------------------------------------------------------------------
    def search_traces(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                      max_results: int = 100, order_by: Sequence[str] | None = None, page_token: str | None = None,
                      run_id: str | None = None, include_spans: bool = True,
                      locations: Sequence[str] | None = None, model_id: str | None = None) -> list[StoredTrace]:
        """Traces (a list, as MLflow's client returns), newest first."""
        from jurist.tracking._fluent import search_traces

        found: list[StoredTrace] = search_traces(
            experiment_ids=list(experiment_ids) if experiment_ids is not None else None, filter_string=filter_string,
            max_results=max_results, order_by=order_by, run_id=run_id, include_spans=include_spans,
            locations=locations, model_id=model_id, return_type="list")
        return found

    def get_trace(self, trace_id: str) -> StoredTrace:
        from jurist.tracking._fluent import flush_traces

        flush_traces()
        return self.store.get_trace(trace_id)

    def set_trace_tag(self, trace_id: str, key: str, value: Any) -> None:
        set_trace_tag(trace_id, key, value, store=self.store)

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        delete_trace_tag(trace_id, key, store=self.store)

    def delete_traces(self, experiment_id: str, max_timestamp_millis: int | None = None,
                      max_traces: int | None = None, trace_ids: Sequence[str] | None = None) -> int:
        from jurist.tracking._fluent import flush_traces

        flush_traces()
        deleted: int = _m("_trace_admin").delete_traces(self.store, str(experiment_id), max_timestamp_millis=max_timestamp_millis,
                                          max_traces=max_traces, trace_ids=list(trace_ids) if trace_ids else None)
        return deleted

    # -- assessments ----------------------------------------------------------------------------------
    def log_assessment(self, trace_id: str, assessment: Assessment) -> Assessment:
        from jurist.tracking._fluent import log_assessment

        return log_assessment(trace_id, assessment)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        return get_assessment(trace_id, assessment_id, store=self.store)

    def update_assessment(self, trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
        return update_assessment(trace_id, assessment_id, assessment, store=self.store)

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        delete_assessment(trace_id, assessment_id, store=self.store)

    # -- prompts --------------------------------------------------------------------------------------
    def register_prompt(self, name: str, template: Any, commit_message: str | None = None,
                        tags: dict[str, str] | None = None, **kwargs: Any) -> _prompt_api.PromptVersion:
        return _prompt_api.register_prompt(name, template, commit_message, tags, store=self.store, **kwargs)

    def load_prompt(self, name_or_uri: str, version: int | str | None = None,
                    allow_missing: bool = False) -> _prompt_api.PromptVersion | None:
        return _prompt_api.load_prompt(name_or_uri, version, allow_missing, store=self.store)

    def search_prompts(self, filter_string: str | None = None,
                       max_results: int | None = None) -> list[_prompt_api.Prompt]:
        return _prompt_api.search_prompts(filter_string, max_results, store=self.store)

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        _prompt_api.set_prompt_alias(name, alias, version, store=self.store)

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        _prompt_api.delete_prompt_alias(name, alias, store=self.store)


# -- the fluent trace functions the client's methods share -------------------------------------------
def _store(store: Store | None) -> Store:
    from jurist.tracking._fluent import flush_traces

    flush_traces()
    return store or get_store()


def set_trace_tag(trace_id: str, key: str, value: Any, *, store: Store | None = None) -> None:
    """Set one tag of a stored trace (``mlflow.set_trace_tag``)."""
    _m("_trace_admin").set_tag(_store(store), trace_id, key, value)


def delete_trace_tag(trace_id: str, key: str, *, store: Store | None = None) -> None:
    _m("_trace_admin").delete_tag(_store(store), trace_id, key)


def get_assessment(trace_id: str, assessment_id: str, *, store: Store | None = None) -> Assessment:
    """One assessment of a trace by its id (``feedback.assessment_id`` of what ``log_feedback`` returned)."""
    found: Assessment = _m("_trace_admin").get_assessment(_store(store), trace_id, assessment_id)
    return found


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment, *,
                      store: Store | None = None) -> Assessment:
    """Replace one stored assessment's value, rationale, error and metadata (a nameless Feedback keeps the
    stored name)."""
    from jurist.entities._assessment import is_default_name

    if is_default_name(assessment.name):
        assessment.name = _m("_trace_admin").get_assessment(_store(store), trace_id, assessment_id).name
    updated: Assessment = _m("_trace_admin").update_assessment(_store(store), trace_id, assessment_id, assessment)
    return updated


def delete_assessment(trace_id: str, assessment_id: str, *, store: Store | None = None) -> None:
    _m("_trace_admin").delete_assessment(_store(store), trace_id, assessment_id)
