"""Pages of a run's rows for a UI: the rows that match a filter (a scorer's value, a failed judgment), one
page at a time with their feedback, the count behind the filter, and the run's verdicts without its rows'
data (for charts) — without reading the whole run.

Over a :class:`~jurist.tracking.SqlStore` these are a few indexed queries; over another store (a remote
one) the run is read whole and filtered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, join, select
from sqlalchemy.engine import Connection

from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.tracking._entities import RowData, StoredRow, dumps, loads
from jurist.tracking._schema import assessments, run_rows, traces
from jurist.tracking._store import Store

#: The most rows one page holds.
MAX_PAGE = 500


@dataclass(frozen=True)
class RowFilter:
    """Rows whose feedback ``name`` has ``value`` (the value as stored: JSON text; None: any value), and/or
    rows with at least one failed judgment (``errors``)."""

    name: str | None = None
    value: str | None = None
    errors: bool = False

    def matches(self, row: StoredRow) -> bool:
        fbs = [f for fs in row.feedbacks.values() for f in fs]
        if self.errors and not any(f.error is not None for f in fbs):
            return False
        if self.name is not None:
            named = [f for f in fbs if str(f.name) == self.name]
            if not named:
                return False
            if self.value is not None and not any(f.error is None and dumps(f.value) == self.value for f in named):
                return False
        return True


@dataclass(frozen=True)
class Verdict:
    """One feedback of a run without its row: what charts and counts need."""

    row_index: int
    name: str
    value: Any
    error_code: str | None
    source_type: str
    metadata: dict[str, Any]


def _check(offset: int, limit: int) -> None:
    if not isinstance(offset, int) or offset < 0:
        raise ConfigError(f"offset must be a whole number of at least 0, got {offset!r}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ConfigError(f"limit must be a whole number from 1 to {MAX_PAGE}, got {limit!r}")


def _where(run_id: str, f: RowFilter) -> list[Any]:
    out: list[Any] = [run_rows.c.run_id == run_id]
    same_row = and_(assessments.c.run_id == run_rows.c.run_id, assessments.c.row_index == run_rows.c.row_index)
    if f.errors:
        out.append(exists().where(same_row, assessments.c.error_code.is_not(None)))
    if f.name is not None:
        cond = [same_row, assessments.c.name == f.name]
        if f.value is not None:
            cond += [assessments.c.value == f.value, assessments.c.error_code.is_(None)]
        out.append(exists().where(*cond))
    return out


def _with_feedback(conn: Connection, run_id: str, q: Any) -> list[StoredRow]:
    """The run's rows that ``q`` selects, each with its feedback by scorer."""
    from jurist.tracking._sql import _assessment

    out = {r.row_index: StoredRow(r.row_index, RowData(
        row_hash=r.row_hash, trace_id=r.trace_id, inputs=loads(r.inputs), outputs=loads(r.outputs),
        expectations=loads(r.expectations), tags=loads(r.tags) or {}, row_id=loads(r.row_id)))
        for r in conn.execute(q)}
    if not out:
        return []
    found = conn.execute(select(assessments).where(
        assessments.c.run_id == run_id, assessments.c.row_index.in_(list(out))).order_by(
        assessments.c.row_index, assessments.c.scorer, assessments.c.position))
    for a in found:
        fb = _assessment(a)
        if isinstance(fb, Feedback):
            out[a.row_index].feedbacks.setdefault(a.scorer, []).append(fb)
    return list(out.values())


def _sql(store: Store) -> Any:
    from jurist.tracking._sql import SqlStore

    return store if isinstance(store, SqlStore) else None


def row_page(store: Store, run_id: str, where: RowFilter | None = None, *, offset: int = 0,
             limit: int = 50) -> list[StoredRow]:
    """One page of the run's rows that match ``where``, in row order, each with its feedback by scorer."""
    _check(offset, limit)
    f = where or RowFilter()
    store.get_run(run_id)  # an unknown run is a NotFoundError, not an empty page
    sql = _sql(store)
    if sql is None:
        return [r for r in store.load_rows(run_id) if f.matches(r)][offset:offset + limit]

    def _do(conn: Connection) -> list[StoredRow]:
        q = select(run_rows).where(*_where(run_id, f)).order_by(run_rows.c.row_index).offset(offset).limit(limit)
        return _with_feedback(conn, run_id, q)

    result: list[StoredRow] = sql._read(_do, "read a page of a run's rows")
    return result


def count_rows(store: Store, run_id: str, where: RowFilter | None = None) -> int:
    """How many of the run's rows match ``where``."""
    f = where or RowFilter()
    sql = _sql(store)
    if sql is None:
        return sum(1 for r in store.load_rows(run_id) if f.matches(r))
    q = select(func.count()).select_from(run_rows).where(*_where(run_id, f))
    n: int = sql._read(lambda c: int(c.execute(q).scalar_one()), "count a run's rows")
    return n


def verdicts(store: Store, run_id: str) -> list[Verdict]:
    """Every feedback of the run (value, error code, source, metadata), without the rows' data or rationales."""
    sql = _sql(store)
    if sql is None:
        return [Verdict(r.row_index, str(fb.name), fb.value, fb.error.error_code if fb.error else None,
                        fb.source.source_type.value, dict(fb.metadata or {}))
                for r in store.load_rows(run_id) for fbs in r.feedbacks.values() for fb in fbs]
    q = select(assessments.c.row_index, assessments.c.name, assessments.c.value, assessments.c.error_code,
               assessments.c.source_type, assessments.c.metadata).where(
        assessments.c.run_id == run_id, assessments.c.kind == "feedback").order_by(
        assessments.c.row_index, assessments.c.scorer, assessments.c.position)
    rows = sql._read(lambda c: c.execute(q).all(), "read a run's verdicts")
    return [Verdict(int(r.row_index), r.name, loads(r.value), r.error_code, r.source_type, loads(r.metadata) or {})
            for r in rows]


@dataclass(frozen=True)
class NamedFeedback:
    """One feedback of a given name on a trace of an experiment, without the trace."""

    trace_id: str
    value: Any
    source_type: str
    error_code: str | None
    create_time_ms: int


def named_feedback(store: Store, experiment_id: str, name: str, limit: int = 100_000, *,
                   labelled_only: bool = False) -> list[NamedFeedback]:
    """Every feedback named ``name`` on the experiment's traces (people's and judges'), oldest first.

    One query by the assessments' name index; it reads no spans (what a labelling queue's agreement figures
    need, and faster than a ``feedback.<name>.source_type`` trace filter on SQLite). ``labelled_only``: only
    on the traces a person gave such feedback.
    """
    sql = _sql(store)
    if sql is None:
        found = store.search_traces([experiment_id], f"feedback.`{name}` IS NOT NULL", max_results=limit)
        if labelled_only:
            found = [t for t in found if any(str(f.name) == name and f.source.source_type.value == "HUMAN"
                                             for f in t.feedbacks)]
        return sorted((NamedFeedback(t.trace_id, f.value, f.source.source_type.value,
                                     f.error.error_code if f.error else None, f.create_time_ms)
                       for t in found for f in t.feedbacks if str(f.name) == name),
                      key=lambda x: x.create_time_ms)
    q = select(assessments.c.trace_id, assessments.c.value, assessments.c.source_type, assessments.c.error_code,
               assessments.c.create_time_ms).select_from(
        join(assessments, traces, assessments.c.trace_id == traces.c.trace_id)).where(
        assessments.c.name == name, assessments.c.kind == "feedback",
        traces.c.experiment_id == str(experiment_id)).order_by(assessments.c.create_time_ms).limit(limit)
    if labelled_only:
        q = q.where(assessments.c.trace_id.in_(select(assessments.c.trace_id).where(
            assessments.c.name == name, assessments.c.kind == "feedback", assessments.c.source_type == "HUMAN")))
    rows = sql._read(lambda c: c.execute(q).all(), "read feedback by name")
    return [NamedFeedback(r.trace_id, loads(r.value), r.source_type, r.error_code, int(r.create_time_ms))
            for r in rows]


@dataclass(frozen=True)
class ValueCount:
    """How many feedbacks named ``name`` of a run had ``value`` (JSON text as stored; None when it failed)."""

    name: str
    value: str | None
    failed: bool
    source_type: str
    count: int


@dataclass(frozen=True)
class Call:
    """A judge call behind one feedback of a run: its latency and cost (None when the price is unknown)."""

    name: str
    latency_ms: float
    cost_usd: float | None


def _meta_number(dialect: str, key: str) -> Any:
    """The number under ``key`` in the metadata JSON text, read by the database (no JSON parsing here)."""
    from sqlalchemy import Float, cast

    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(cast(assessments.c.metadata, JSONB)[key].astext, Float)
    return func.json_extract(assessments.c.metadata, f"$.{key}")


def value_counts(store: Store, run_id: str) -> tuple[list[ValueCount], list[Call]]:
    """A run's verdicts grouped by (name, value, failed, source), and its judge calls' latency and cost:
    what a run's charts and filters need, in two grouped or narrow queries instead of every feedback."""
    sql = _sql(store)
    if sql is None:
        counts: dict[tuple[str, str | None, bool, str], int] = {}
        calls: list[Call] = []
        for v in verdicts(store, run_id):
            k = (v.name, None if v.error_code or v.value is None else dumps(v.value), v.error_code is not None,
                 v.source_type)
            counts[k] = counts.get(k, 0) + 1
            lat, cost = v.metadata.get("latency_ms"), v.metadata.get("cost_usd")
            if "input_tokens" in v.metadata and isinstance(lat, (int, float)):
                calls.append(Call(v.name, float(lat), float(cost) if isinstance(cost, (int, float)) else None))
        return [ValueCount(*k, n) for k, n in counts.items()], calls
    failed = assessments.c.error_code.is_not(None)
    where = [assessments.c.run_id == run_id, assessments.c.kind == "feedback"]
    grouped = select(assessments.c.name, assessments.c.value, failed.label("failed"), assessments.c.source_type,
                     func.count().label("n")).where(*where).group_by(
        assessments.c.name, assessments.c.value, failed, assessments.c.source_type).order_by(assessments.c.name)
    latency, cost = _meta_number(sql.dialect, "latency_ms"), _meta_number(sql.dialect, "cost_usd")
    narrow = select(assessments.c.name, latency.label("latency"), cost.label("cost")).where(
        *where, _meta_number(sql.dialect, "input_tokens").is_not(None), latency.is_not(None))

    def _do(conn: Connection) -> tuple[list[ValueCount], list[Call]]:
        vc = [ValueCount(r.name, None if r.failed else r.value, bool(r.failed), r.source_type, int(r.n))
              for r in conn.execute(grouped)]
        calls = [Call(r.name, float(r.latency), None if r.cost is None else float(r.cost))
                 for r in conn.execute(narrow)]
        return vc, calls

    result: tuple[list[ValueCount], list[Call]] = sql._read(_do, "summarise a run")
    return result


def feedback_stamp(store: Store, experiment_id: str, name: str) -> tuple[int, int]:
    """(how many, newest create time) of the feedback named ``name`` in the experiment: it changes whenever
    such feedback is added, so what is computed from that feedback can be kept until it does."""
    sql = _sql(store)
    if sql is None:
        found = named_feedback(store, experiment_id, name)
        return len(found), max((f.create_time_ms for f in found), default=0)
    q = select(func.count(), func.max(assessments.c.create_time_ms)).select_from(
        join(assessments, traces, assessments.c.trace_id == traces.c.trace_id)).where(
        assessments.c.name == name, assessments.c.kind == "feedback", traces.c.experiment_id == str(experiment_id))
    n, newest = sql._read(lambda c: c.execute(q).one(), "count feedback by name")
    return int(n), int(newest or 0)


def row_ids(store: Store, run_id: str) -> dict[int, Any]:
    """Each row's id (None when it has none), by row index: how two runs' rows are matched."""
    sql = _sql(store)
    if sql is None:
        return {r.row_index: r.data.row_id for r in store.load_rows(run_id)}
    q = select(run_rows.c.row_index, run_rows.c.row_id).where(run_rows.c.run_id == run_id)
    rows = sql._read(lambda c: c.execute(q).all(), "read a run's row ids")
    return {int(r.row_index): loads(r.row_id) for r in rows}


def rows_at(store: Store, run_id: str, indexes: list[int]) -> list[StoredRow]:
    """The rows of a run at these indexes (at most one page), with their feedback, in row order."""
    if len(indexes) > MAX_PAGE:
        raise ConfigError(f"at most {MAX_PAGE} rows at once, got {len(indexes)}")
    if not indexes:
        return []
    sql = _sql(store)
    if sql is None:
        wanted = set(indexes)
        return [r for r in store.load_rows(run_id) if r.row_index in wanted]

    def _do(conn: Connection) -> list[StoredRow]:
        q = select(run_rows).where(run_rows.c.run_id == run_id, run_rows.c.row_index.in_(indexes)).order_by(
            run_rows.c.row_index)
        return _with_feedback(conn, run_id, q)

    result: list[StoredRow] = sql._read(_do, "read rows of a run")
    return result
