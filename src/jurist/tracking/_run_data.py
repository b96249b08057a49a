"""What MLflow's run API writes to a run after it was created: parameters, metrics, tags, its name, the
judges an ``evaluate()`` inside it used. One read-merge-write per call, in one transaction (the row is
locked on PostgreSQL), so two writers to one run do not lose each other's keys.

A parameter, once logged, keeps its value: logging another value for it is an error, as in MLflow.
Every logged metric value is kept in ``run_metric_history`` with its step and time; the run's
``metrics`` hold each key's latest (the value at the highest step, then the latest time), as MLflow's
``run.data.metrics`` do. Against a ``jurist server`` the same calls go over
``PATCH /api/runs/{run_id}/data`` and ``GET /api/runs/{run_id}/metric-history?key=…``.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import _engine
from jurist.tracking._entities import Run, dumps, loads
from jurist.tracking._schema import run_metric_history, runs

_KEY_MAX = 250


def _check_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > _KEY_MAX:
        raise ConfigError(f"a {what} key is a non-empty string of at most {_KEY_MAX} characters, got {key!r}")
    return key


def metric_value(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"metric {key!r} must be a number, got {value!r}") from None
    out = float(value)
    if math.isnan(out):
        raise ConfigError(f"metric {key!r} is NaN; log a number")
    return out


def update(store: Any, run_id: str, *, params: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
           tags: dict[str, Any] | None = None, drop_tags: list[str] | None = None, name: str | None = None,
           scorers: list[dict[str, Any]] | None = None, step: int | None = None,
           timestamp_ms: int | None = None) -> Run:
    """Merge ``params``, ``metrics`` and ``tags`` into run ``run_id`` (``drop_tags`` removed); returns the run.

    Each metric value is also added to the key's history at ``step`` (default 0) and ``timestamp_ms``
    (default now)."""
    p = {_check_key(k, "parameter"): str(v) for k, v in (params or {}).items()}
    m = {_check_key(k, "metric"): metric_value(k, v) for k, v in (metrics or {}).items()}
    t = {_check_key(k, "tag"): str(v) for k, v in (tags or {}).items()}
    drop = list(drop_tags or [])
    if getattr(store, "engine", None) is None and hasattr(store, "_call"):
        body = {"params": p, "metrics": m, "tags": t, "drop_tags": drop, "name": name, "scorers": scorers,
                "step": step, "timestamp_ms": timestamp_ms}
        # A metric value sent twice would be two points of its history: resend only what never left.
        return Run.from_dict(store._call("PATCH", f"/api/runs/{quote(run_id, safe='')}/data", body,
                                         idempotent=not m))
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ConfigError(f"runs need a database or a jurist server; {store.uri} is neither")

    def _do(conn: Connection) -> None:
        q = select(runs.c.params, runs.c.metrics, runs.c.tags).where(runs.c.run_id == run_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r} in the store at {store.uri}; search_runs() lists the "
                                "runs it holds")
        values: dict[str, Any] = {}
        if p:
            current = loads(row.params) or {}
            for k, v in p.items():
                if k in current and str(current[k]) != v:
                    raise ConfigError(f"parameter {k!r} of run {run_id} is {current[k]!r} already; a parameter is "
                                      f"logged once (log {v!r} under another key, or as a tag)")
            values["params"] = dumps({**current, **p})
        if m:
            latest = dict(loads(row.metrics) or {})
            at, when = int(step or 0), int(timestamp_ms or time.time() * 1000)
            for key, number in m.items():
                seq = conn.execute(select(func.max(run_metric_history.c.seq)).where(
                    run_metric_history.c.run_id == run_id, run_metric_history.c.key == key)).scalar()
                top = conn.execute(select(func.max(run_metric_history.c.step)).where(
                    run_metric_history.c.run_id == run_id, run_metric_history.c.key == key)).scalar()
                conn.execute(run_metric_history.insert().values(
                    run_id=run_id, key=key, seq=0 if seq is None else seq + 1, value=number, step=at, timestamp_ms=when))
                if top is None or at >= int(top):  # a value logged for an earlier step is history, not the latest
                    latest[key] = number
            values["metrics"] = dumps(latest)
        if t or drop:
            merged = {**(loads(row.tags) or {}), **t}
            for k in drop:
                merged.pop(k, None)
            values["tags"] = dumps(merged)
        if name is not None:
            values["name"] = name
        if scorers is not None:
            values["scorers"] = dumps(list(scorers))
        if values:
            conn.execute(runs.update().where(runs.c.run_id == run_id).values(**values))

    _engine.write(engine, _do, what="update a run", integrity_retry=True)
    return store.get_run(run_id)  # type: ignore[no-any-return]


def delete_tag(store: Any, run_id: str, key: str) -> Run:
    run = store.get_run(run_id)
    if key not in run.tags:
        raise NotFoundError(f"run {run_id} has no tag {key!r}")
    return update(store, run_id, drop_tags=[key])


def metric_history(store: Any, run_id: str, key: str) -> list[dict[str, Any]]:
    """Every value logged for metric ``key`` of a run, in the order logged: ``key``, ``value``, ``step``,
    ``timestamp``. A metric only ``evaluate()`` wrote (no history) is its one final value at step 0."""
    if getattr(store, "engine", None) is None and hasattr(store, "_call"):
        # The key goes in the query: metric names hold "/" ("correctness/mean").
        return store._call("GET", f"/api/runs/{quote(run_id, safe='')}/metric-history",  # type: ignore[no-any-return]
                           query={"key": key})
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ConfigError(f"runs need a database or a jurist server; {store.uri} is neither")
    rows = _engine.read(engine, lambda c: c.execute(
        select(run_metric_history).where(run_metric_history.c.run_id == run_id, run_metric_history.c.key == key)
        .order_by(run_metric_history.c.seq)).all(), what="read a metric's history")
    if rows:
        return [{"key": r.key, "value": r.value, "step": r.step, "timestamp": r.timestamp_ms} for r in rows]
    run = store.get_run(run_id)
    if key in run.metrics:
        return [{"key": key, "value": run.metrics[key], "step": 0, "timestamp": run.end_time_ms or run.start_time_ms}]
    return []
