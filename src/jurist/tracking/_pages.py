"""Pages of traces for a UI: a page's traces as summaries (root span's inputs and outputs, feedback
names and values) and the count behind a filter, without reading whole traces or whole tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError
from jurist.tracking._entities import loads
from jurist.tracking._filter import parse_filter
from jurist.tracking._schema import assessments, spans, traces
from jurist.tracking._search import condition, order

#: The most traces one page holds.
MAX_PAGE = 500


@dataclass
class TraceSummary:
    """One line of a list of traces: the trace's own fields, its root span's inputs and outputs, and
    ``(name, value, source_type, error)`` of each feedback on it."""

    trace_id: str
    experiment_id: str
    name: str | None
    status: str
    timestamp_ms: int | None
    execution_time_ms: int | None
    inputs: Any = None
    outputs: Any = None
    feedback: list[tuple[str, Any, str, str | None]] = field(default_factory=list)


def _where(experiment_ids: Sequence[str] | None, filter_string: str | None) -> list[Any]:
    out: list[Any] = []
    if experiment_ids:
        out.append(traces.c.experiment_id.in_([str(e) for e in experiment_ids]))
    out.extend(condition(c) for c in parse_filter(filter_string))
    return out


def count(conn: Connection, experiment_ids: Sequence[str] | None, filter_string: str | None) -> int:
    q = select(func.count()).select_from(traces).where(*_where(experiment_ids, filter_string))
    return int(conn.execute(q).scalar_one())


def page(conn: Connection, experiment_ids: Sequence[str] | None, filter_string: str | None, offset: int,
         limit: int, order_by: Sequence[str] | None) -> list[TraceSummary]:
    if not isinstance(offset, int) or offset < 0:
        raise ConfigError(f"offset must be a whole number of at least 0, got {offset!r}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ConfigError(f"limit must be a whole number from 1 to {MAX_PAGE}, got {limit!r}")
    q = select(traces).where(*_where(experiment_ids, filter_string)).order_by(*order(order_by))
    rows = conn.execute(q.offset(offset).limit(limit)).all()
    out = {r.trace_id: TraceSummary(trace_id=r.trace_id, experiment_id=r.experiment_id, name=r.name,
                                    status=r.status, timestamp_ms=r.timestamp_ms,
                                    execution_time_ms=r.execution_time_ms) for r in rows}
    if not out:
        return []
    ids = list(out)
    roots = conn.execute(select(spans.c.trace_id, spans.c.inputs, spans.c.outputs).where(
        spans.c.trace_id.in_(ids), spans.c.parent_id.is_(None)).order_by(spans.c.seq)).all()
    for s in roots:
        summary = out[s.trace_id]
        if summary.inputs is None and summary.outputs is None:
            summary.inputs, summary.outputs = loads(s.inputs), loads(s.outputs)
    found = conn.execute(select(assessments.c.trace_id, assessments.c.name, assessments.c.value,
                                assessments.c.source_type, assessments.c.error_code).where(
        assessments.c.trace_id.in_(ids), assessments.c.kind == "feedback").order_by(
        assessments.c.create_time_ms)).all()
    for a in found:
        out[a.trace_id].feedback.append((a.name, loads(a.value), a.source_type, a.error_code))
    return [out[i] for i in ids]
