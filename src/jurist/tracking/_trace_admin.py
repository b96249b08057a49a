"""Changing stored traces after the fact, as MLflow's client does: a trace's tags, deleting traces, and
reading, updating and deleting one assessment by its id.

Against a ``jurist server`` the same calls go over ``/api/traces/{trace_id}/tags``,
``/api/traces/delete`` and ``/api/traces/{trace_id}/assessments/{assessment_id}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import _engine
from jurist.tracking._entities import Assessment, assessment_from_dict, assessment_to_dict, dumps
from jurist.tracking._schema import assessments, spans, trace_tags, traces


def _remote(store: Any) -> bool:
    return getattr(store, "engine", None) is None and hasattr(store, "_call")


def _engine_of(store: Any) -> Any:
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ConfigError(f"changing stored traces needs a database or a jurist server; {store.uri} is neither")
    return engine


def _t(trace_id: str, *rest: str) -> str:
    return "/api/traces/" + "/".join(quote(str(p), safe="") for p in (trace_id, *rest))


def _require_trace(conn: Connection, store: Any, trace_id: str) -> None:
    if conn.execute(select(traces.c.trace_id).where(traces.c.trace_id == trace_id)).first() is None:
        raise NotFoundError(f"no trace with id {trace_id!r} in the store at {store.uri}")


def set_tag(store: Any, trace_id: str, key: str, value: Any) -> None:
    if not isinstance(key, str) or not key:
        raise ConfigError(f"a trace tag key is a non-empty string, got {key!r}")
    if _remote(store):
        store._call("PUT", _t(trace_id, "tags", key), {"value": str(value)})
        return

    def _do(conn: Connection) -> None:
        _require_trace(conn, store, trace_id)
        conn.execute(delete(trace_tags).where(trace_tags.c.trace_id == trace_id, trace_tags.c.key == key))
        conn.execute(trace_tags.insert().values(trace_id=trace_id, key=key, value=str(value)))

    _engine.write(_engine_of(store), _do, what="tag a trace", integrity_retry=True)


def delete_tag(store: Any, trace_id: str, key: str) -> None:
    if _remote(store):
        store._call("DELETE", _t(trace_id, "tags", key))
        return

    def _do(conn: Connection) -> int:
        _require_trace(conn, store, trace_id)
        return int(conn.execute(delete(trace_tags).where(trace_tags.c.trace_id == trace_id,
                                                         trace_tags.c.key == key)).rowcount)

    if not _engine.write(_engine_of(store), _do, what="delete a trace tag"):
        raise NotFoundError(f"trace {trace_id!r} has no tag {key!r}")


def delete_traces(store: Any, experiment_id: str, *, max_timestamp_millis: int | None = None,
                  max_traces: int | None = None, trace_ids: list[str] | None = None) -> int:
    """Delete traces of an experiment (with their spans, tags and assessments); returns how many.

    Either ``trace_ids``, or ``max_timestamp_millis`` (traces that started before it, oldest first, at most
    ``max_traces``), as MLflow's ``delete_traces``.
    """
    if (trace_ids is None) == (max_timestamp_millis is None):
        raise ConfigError("delete_traces takes trace_ids= or max_timestamp_millis= (with max_traces=), not both")
    if _remote(store):
        got = store._call("POST", "/api/traces/delete", {
            "experiment_id": str(experiment_id), "max_timestamp_millis": max_timestamp_millis,
            "max_traces": max_traces, "trace_ids": trace_ids}, idempotent=True)
        return int(got["deleted"])

    def _do(conn: Connection) -> int:
        q = select(traces.c.trace_id).where(traces.c.experiment_id == str(experiment_id))
        if trace_ids is not None:
            q = q.where(traces.c.trace_id.in_([str(t) for t in trace_ids]))
        else:
            q = q.where(traces.c.timestamp_ms < int(max_timestamp_millis or 0)).order_by(traces.c.timestamp_ms)
            if max_traces is not None:
                q = q.limit(int(max_traces))
        ids = list(conn.execute(q).scalars().all())
        if not ids:
            return 0
        for table in (assessments, spans, trace_tags):  # SQLite enforces no cascade without its pragma
            conn.execute(delete(table).where(table.c.trace_id.in_(ids)))
        return int(conn.execute(delete(traces).where(traces.c.trace_id.in_(ids))).rowcount)

    return int(_engine.write(_engine_of(store), _do, what="delete traces"))


def get_assessment(store: Any, trace_id: str, assessment_id: str) -> Assessment:
    if _remote(store):
        return assessment_from_dict(store._call("GET", _t(trace_id, "assessments", assessment_id)))
    for a in store.get_trace(trace_id).assessments:
        if a.assessment_id == assessment_id:
            return a  # type: ignore[no-any-return]
    raise NotFoundError(f"trace {trace_id!r} has no assessment {assessment_id!r}")


def update_assessment(store: Any, trace_id: str, assessment_id: str, changed: Assessment) -> Assessment:
    """Replace the name, value, rationale, error and metadata of one stored assessment (its source stays)."""
    if _remote(store):
        return assessment_from_dict(store._call("PATCH", _t(trace_id, "assessments", assessment_id),
                                                assessment_to_dict(changed)))
    d = assessment_to_dict(changed)
    err = d.get("error") or None
    values: dict[str, Any] = {"name": d["name"], "value": None if d.get("value") is None else dumps(d["value"]),
                              "rationale": d.get("rationale"), "metadata": dumps(d.get("metadata") or {}),
                              "error_code": err.get("error_code") if err else None,
                              "error_message": err.get("error_message") if err else None}

    def _do(conn: Connection) -> int:
        return int(conn.execute(update(assessments).where(
            assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id).values(**values)).rowcount)

    if not _engine.write(_engine_of(store), _do, what="update an assessment"):
        raise NotFoundError(f"trace {trace_id!r} has no assessment {assessment_id!r}")
    return get_assessment(store, trace_id, assessment_id)


def delete_assessment(store: Any, trace_id: str, assessment_id: str) -> None:
    if _remote(store):
        store._call("DELETE", _t(trace_id, "assessments", assessment_id))
        return

    def _do(conn: Connection) -> int:
        return int(conn.execute(delete(assessments).where(
            assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id)).rowcount)

    if not _engine.write(_engine_of(store), _do, what="delete an assessment"):
        raise NotFoundError(f"trace {trace_id!r} has no assessment {assessment_id!r}")
