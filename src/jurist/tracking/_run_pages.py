"""Pages of a run's rows for a UI: the rows that match a filter (a scorer's value, a failed judgment), one
page at a time with their feedback, the count behind the filter, and the run's verdicts without its rows'
data (for charts) — without reading the whole run.

Over a :class:`~jurist.tracking.SqlStore` these are a few indexed queries; over another store (a remote
one) the run is read whole and filtered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Connection

from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.tracking._entities import RowData, StoredRow, dumps, loads
from jurist.tracking._schema import assessments, run_rows
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
        out = {r.row_index: StoredRow(r.row_index, RowData(
            row_hash=r.row_hash, trace_id=r.trace_id, inputs=loads(r.inputs), outputs=loads(r.outputs),
            expectations=loads(r.expectations), tags=loads(r.tags) or {}, row_id=loads(r.row_id)))
            for r in conn.execute(q)}
        if not out:
            return []
        from jurist.tracking._sql import _assessment

        found = conn.execute(select(assessments).where(
            assessments.c.run_id == run_id, assessments.c.row_index.in_(list(out))).order_by(
            assessments.c.row_index, assessments.c.scorer, assessments.c.position))
        for a in found:
            fb = _assessment(a)
            if isinstance(fb, Feedback):
                out[a.row_index].feedbacks.setdefault(a.scorer, []).append(fb)
        return list(out.values())

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
