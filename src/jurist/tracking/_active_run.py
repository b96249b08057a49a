"""MLflow's run API: ``start_run`` (a context manager or a plain call), ``active_run``, ``end_run``,
``log_param(s)``, ``log_metric(s)``, ``set_tag(s)``, ``delete_tag``, ``last_active_run``.

The active runs are one stack per process, as in MLflow: ``start_run(nested=True)`` pushes a child run
(tagged ``mlflow.parentRunId``), ``end_run()`` pops. ``evaluate()`` inside an active run logs into it.
Logging with no active run starts one, as MLflow does.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.tracking._entities import Run, RunEnd, RunStatus
from jurist.tracking._store import Store, get_store

PARENT_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"

_ADJECTIVES = ("amber", "bold", "brave", "calm", "clever", "crisp", "eager", "gentle", "keen", "lucid", "merry",
               "nimble", "quiet", "rapid", "sunny", "swift", "tidy", "vivid", "warm", "wise")
_NOUNS = ("badger", "crane", "dolphin", "falcon", "fox", "heron", "koala", "lark", "lynx", "otter", "owl", "panda",
          "raven", "seal", "sparrow", "stork", "tiger", "whale", "wolf", "wren")

def _m(name: str) -> Any:
    """A store module, imported on first use (importing jurist.tracking loads no SQLAlchemy)."""
    import importlib

    return importlib.import_module(f"jurist.tracking.{name}")



class _Runs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stack: list[tuple[Store, str]] = []
        self.last: tuple[Store, str] | None = None

    def close(self) -> None:
        with self.lock:
            self.stack.clear()


def _runs() -> _Runs:
    return RUNTIME.part("active_runs", _Runs)


def _random_name() -> str:
    rng = random.SystemRandom()
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randint(100, 999)}"


class ActiveRun:
    """The run ``start_run`` began: ``with jurist.start_run() as run: run.info.run_id``. Leaving the
    ``with`` block ends it (FINISHED, or FAILED when an exception left it).

    ``info`` and ``data`` are read from the store each time, so they show what was logged since.
    """

    def __init__(self, store: Store, run_id: str) -> None:
        self._store = store
        self.run_id = run_id

    def _run(self) -> Run:
        return self._store.get_run(self.run_id)

    @property
    def info(self) -> Any:
        return self._run().info

    @property
    def data(self) -> Any:
        return self._run().data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        status = RunStatus.FINISHED if exc_type is None else \
            RunStatus.KILLED if not issubclass(exc_type, Exception) else RunStatus.FAILED
        stack = _runs().stack
        if any(run_id == self.run_id for _, run_id in stack):
            end_run(status.value, _until=self.run_id)

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.run_id!r}>"


def start_run(run_id: str | None = None, experiment_id: str | None = None, run_name: str | None = None,
              nested: bool = False, parent_run_id: str | None = None, tags: dict[str, Any] | None = None,
              description: str | None = None, log_system_metrics: bool | None = None) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it the active one; use it as a context manager or end it
    with :func:`end_run`. In the active experiment unless ``experiment_id`` is given.

    Example:
        >>> with jurist.start_run(run_name="baseline") as run:            # doctest: +SKIP
        ...     jurist.log_param("model", "gpt-4o-mini")
        ...     jurist.genai.evaluate(data=rows, scorers=[Correctness()])
        >>> jurist.get_run(run.info.run_id).data.metrics                  # doctest: +SKIP
    """
    from jurist.tracking._fluent import active_experiment

    state = _runs()
    if state.stack and not nested and parent_run_id is None:
        raise ConfigError(f"run {state.stack[-1][1]} is active already: end it with end_run(), or start a child "
                          "run with start_run(nested=True)")
    store = get_store()
    if run_id is not None:
        run = store.get_run(run_id)
        if experiment_id is not None and str(experiment_id) != run.experiment_id:
            raise ConfigError(f"run {run_id} belongs to experiment {run.experiment_id}, not {experiment_id}")
        store.end_run(run_id, RunEnd(RunStatus.RUNNING, None, total_cost_usd=run.total_cost_usd))
        if tags:
            _m("_run_data").update(store, run_id, tags=tags)
    else:
        exp_id = str(experiment_id) if experiment_id is not None else active_experiment().experiment_id
        parent = parent_run_id or (state.stack[-1][1] if state.stack and nested else None)
        if parent is not None:
            store.get_run(parent)  # an unknown parent is an error, not a dangling tag
        name = run_name or _random_name()
        all_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        all_tags[RUN_NAME_TAG] = name
        if parent is not None:
            all_tags[PARENT_TAG] = parent
        if description:
            all_tags[NOTE_TAG] = description
        run = store.create_run(exp_id, name=name, tags=all_tags)
    with state.lock:
        state.stack.append((store, run.run_id))
        state.last = (store, run.run_id)
    return ActiveRun(store, run.run_id)


def active_run() -> ActiveRun | None:
    """The run ``start_run`` made active, or None."""
    state = _runs()
    with state.lock:
        top = state.stack[-1] if state.stack else None
    return None if top is None else ActiveRun(*top)


def last_active_run() -> Run | None:
    """The run that was active last (ended or not), read from the store; None when no run was started."""
    state = _runs()
    return None if state.last is None else state.last[0].get_run(state.last[1])


def active_run_id() -> str | None:
    state = _runs()
    with state.lock:
        return state.stack[-1][1] if state.stack else None


def end_run(status: str = "FINISHED", *, _until: str | None = None) -> None:
    """End the active run (``status`` FINISHED, FAILED or KILLED); nothing happens when none is active."""
    try:
        final = RunStatus(str(status).upper())
    except ValueError:
        raise ConfigError(f"status must be FINISHED, FAILED or KILLED, got {status!r}") from None
    state = _runs()
    while True:
        with state.lock:
            if not state.stack:
                return
            store, run_id = state.stack.pop()
        _terminate(store, run_id, final)
        if _until is None or run_id == _until:
            return


def _terminate(store: Store, run_id: str, status: RunStatus, end_time_ms: int | None = None) -> Run:
    run = store.get_run(run_id)
    return store.end_run(run_id, RunEnd(status, end_time_ms or int(time.time() * 1000),
                                        total_cost_usd=run.total_cost_usd))


def set_terminated(run_id: str, status: str = "FINISHED", end_time: int | None = None) -> Run:
    try:
        final = RunStatus(str(status).upper())
    except ValueError:
        raise ConfigError(f"status must be RUNNING, FINISHED, FAILED or KILLED, got {status!r}") from None
    return _terminate(get_store(), run_id, final, end_time)


def _target(run_id: str | None = None) -> tuple[Store, str]:
    if run_id is not None:
        return get_store(), run_id
    state = _runs()
    with state.lock:
        top = state.stack[-1] if state.stack else None
    if top is not None:
        return top
    started = start_run()  # MLflow starts a run when something is logged with none active
    return started._store, started.run_id


def log_param(key: str, value: Any) -> Any:
    """Log one parameter of the active run; returns the value. A parameter keeps the value first logged."""
    store, run_id = _target()
    _m("_run_data").update(store, run_id, params={key: value})
    return value


def log_params(params: dict[str, Any]) -> None:
    store, run_id = _target()
    _m("_run_data").update(store, run_id, params=params)


def log_metric(key: str, value: float, step: int | None = None, timestamp: int | None = None,
               synchronous: bool | None = None, run_id: str | None = None, **_ignored: Any) -> None:
    """Log a metric of the active run (or ``run_id``) at ``step`` (default 0); every value is kept in the
    metric's history, and ``run.data.metrics`` shows the latest."""
    store, rid = _target(run_id)
    _m("_run_data").update(store, rid, metrics={key: value}, step=step, timestamp_ms=timestamp)


def log_metrics(metrics: dict[str, float], step: int | None = None, synchronous: bool | None = None,
                run_id: str | None = None, timestamp: int | None = None, **_ignored: Any) -> None:
    store, rid = _target(run_id)
    _m("_run_data").update(store, rid, metrics=metrics, step=step, timestamp_ms=timestamp)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    store, run_id = _target()
    _m("_run_data").update(store, run_id, tags={key: value})


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> None:
    store, run_id = _target()
    _m("_run_data").update(store, run_id, tags=tags)


def delete_tag(key: str) -> None:
    store, run_id = _target()
    _m("_run_data").delete_tag(store, run_id, key)
