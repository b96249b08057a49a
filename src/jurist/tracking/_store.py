"""Which store jurist talks to: the tracking URI, and the one Store interface both backends implement.

The URI is, first match wins: ``set_tracking_uri(...)``; ``$JURIST_TRACKING_URI``; else ``./jurist.db``
(SQLite in the current directory, like MLflow's ``./mlruns``). ``http://`` and ``https://`` URIs name a
``jurist server``; anything else a database (a plain path means SQLite).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from jurist._runtime import RUNTIME
from jurist.entities import Trace
from jurist.tracking._entities import (
    Assessment,
    Experiment,
    JudgeVersion,
    Judgment,
    Run,
    RunEnd,
    StoredRow,
    StoredTrace,
)

DEFAULT_DB = "jurist.db"


@runtime_checkable
class Store(Protocol):
    """What a tracking store does; :class:`SqlStore` and the REST client :class:`RestStore` both do it."""

    uri: str

    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> Experiment: ...
    def get_or_create_experiment(self, name: str) -> Experiment: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def search_experiments(self) -> list[Experiment]: ...

    def create_run(self, experiment_id: str, *, name: str | None = None, params: dict[str, Any] | None = None,
                   scorers: list[dict[str, Any]] | None = None, tags: dict[str, str] | None = None) -> Run: ...
    def get_run(self, run_id: str) -> Run: ...
    def search_runs(self, experiment_ids: Sequence[str] | None = None, status: str | None = None,
                    max_results: int = 100) -> list[Run]: ...
    def end_run(self, run_id: str, end: RunEnd) -> Run: ...
    def log_judgments(self, run_id: str, items: Sequence[Judgment]) -> None: ...
    def load_rows(self, run_id: str) -> list[StoredRow]: ...

    def log_traces(self, new: Sequence[Trace], experiment_id: str = ...) -> list[str]: ...
    def get_trace(self, trace_id: str) -> StoredTrace: ...
    def search_traces(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                      max_results: int = 100, order_by: Sequence[str] | None = None) -> list[StoredTrace]: ...
    def log_assessment(self, assessment: Assessment) -> Assessment: ...

    def register_judge(self, definition: dict[str, Any]) -> JudgeVersion: ...
    def get_judge(self, name: str, version: int | None = None) -> JudgeVersion: ...
    def list_judge_versions(self, name: str) -> list[JudgeVersion]: ...
    def search_judges(self) -> list[JudgeVersion]: ...

    def close(self) -> None: ...


class _State:
    """The tracking URI and experiment this process set, and the stores it has open: the tracking layer's
    part of the runtime (``jurist.reset()`` forgets it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uri: str | None = None
        self.experiment: str | None = None  # an experiment name
        self.stores: OrderedDict[str, Store] = OrderedDict()

    def close(self) -> None:
        with self.lock:
            stores, self.stores = list(self.stores.values()), OrderedDict()
        for store in stores:
            store.close()


def _state() -> _State:
    return RUNTIME.part("tracking", _State)


_MAX_OPEN = 4


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def default_uri() -> str:
    return f"sqlite:///{Path(DEFAULT_DB).resolve()}"


def set_tracking_uri(uri: str | Path | None) -> None:
    """Send what jurist logs to ``uri``: a database (``sqlite:///runs.db``, ``postgresql+psycopg://…``, a
    path) or a jurist server (``http://127.0.0.1:5000``). ``None`` goes back to the default.

    Example:
        >>> import jurist
        >>> jurist.set_tracking_uri("http://127.0.0.1:5000")          # doctest: +SKIP
    """
    state = _state()
    with state.lock:
        state.uri = None if uri is None else str(uri)


def tracking_uri_is_set() -> bool:
    return _state().uri is not None or bool(RUNTIME.settings.tracking_uri)


def get_tracking_uri() -> str:
    """The tracking URI in force: ``set_tracking_uri``'s, else ``$JURIST_TRACKING_URI``, else ``./jurist.db``."""
    uri = _state().uri or RUNTIME.settings.tracking_uri or ""
    if not uri:
        return default_uri()
    if "://" not in uri:
        return f"sqlite:///{Path(uri).expanduser().resolve()}"
    return uri


def get_store(uri: str | None = None) -> Store:
    """The store at ``uri`` (default: the tracking URI), opened once per process and kept."""
    key = uri or get_tracking_uri()
    state = _state()
    with state.lock:
        store = state.stores.get(key)
        if store is not None:
            state.stores.move_to_end(key)
            return store
    if is_remote(key):
        from jurist.tracking._client import RestStore

        store = RestStore(key)
    else:
        from jurist.tracking._sql import SqlStore

        store = SqlStore(key)
    with state.lock:
        kept = state.stores.setdefault(key, store)
        evicted = []
        while len(state.stores) > _MAX_OPEN:
            evicted.append(state.stores.popitem(last=False)[1])
    if kept is not store:
        store.close()
    for old in evicted:
        old.close()
    return kept


def set_active_experiment(name: str | None) -> None:
    state = _state()
    with state.lock:
        state.experiment = name


def active_experiment_name() -> str | None:
    return _state().experiment or RUNTIME.settings.experiment_name or None
