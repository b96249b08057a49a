"""``search_traces`` filters and orderings, turned into SQL over the store's tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.sql.elements import ColumnElement

from jurist.errors import ConfigError
from jurist.tracking._entities import dumps
from jurist.tracking._filter import Clause
from jurist.tracking._schema import assessments, run_rows, trace_tags, traces


def compare(col: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "IN":
        return col.in_(list(value))  # type: ignore[no-any-return]
    if op == "LIKE":
        return col.like(value)  # type: ignore[no-any-return]
    if op == "ILIKE":
        return col.ilike(value)  # type: ignore[no-any-return]
    ops = {"=": col.__eq__, "!=": col.__ne__, "<": col.__lt__, "<=": col.__le__, ">": col.__gt__, ">=": col.__ge__}
    return ops[op](value)  # type: ignore[no-any-return]


def condition(c: Clause) -> ColumnElement[bool]:
    if c.kind == "trace":
        col = traces.c[c.key]
        if c.op in ("IS NULL", "IS NOT NULL"):
            return col.is_(None) if c.op == "IS NULL" else col.is_not(None)
        value = c.value
        if c.key == "status":
            value = tuple(str(v).upper() for v in value) if c.op == "IN" else str(value).upper()
        return compare(col, c.op, value)
    if c.kind == "run":
        if c.op not in ("=", "!=", "IN"):
            raise ConfigError("run_id takes =, != or IN in a filter_string")
        return exists().where(run_rows.c.trace_id == traces.c.trace_id, compare(run_rows.c.run_id, c.op, c.value))
    if c.kind == "tag":
        base = [trace_tags.c.trace_id == traces.c.trace_id, trace_tags.c.key == c.key]
        if c.op == "IS NULL":
            return ~exists().where(*base)
        if c.op == "IS NOT NULL":
            return exists().where(*base)
        value = tuple(str(v) for v in c.value) if c.op == "IN" else str(c.value)
        return exists().where(*base, compare(trace_tags.c.value, c.op, value))
    # An assessment clause is "the trace is among those with a matching assessment": one pass over the
    # assessments named so (their (name, kind) index), rather than a probe per trace, which a database may
    # plan over that same index once per trace (seconds at 10,000 traces).
    base = [assessments.c.kind == c.kind, assessments.c.name == c.key]

    def having(*more: Any) -> ColumnElement[bool]:
        return traces.c.trace_id.in_(select(assessments.c.trace_id).where(*base, *more))

    if c.op == "IS NULL":
        return ~having()
    if c.op == "IS NOT NULL":
        return having()
    if c.part in ("source_type", "source_id"):
        col = assessments.c[c.part]
        value = c.value
        if c.part == "source_type":
            value = tuple(str(v).upper() for v in value) if c.op == "IN" else str(value).upper()
        return having(compare(col, c.op, value))
    if c.op in ("=", "!=", "IN"):
        # 'true' / 'false' also match a boolean verdict (stored as JSON true / false), as MLflow's filters read.
        values = [v for x in (c.value if c.op == "IN" else [c.value]) for v in _spellings(x)]
        if len(values) == 1 and c.op != "IN":
            return having(compare(assessments.c.value, c.op, values[0]))
        col = assessments.c.value
        return having(col.not_in(values) if c.op == "!=" else col.in_(values))
    if c.op in ("LIKE", "ILIKE"):
        return having(compare(assessments.c.value, c.op, dumps(str(c.value))))
    raise ConfigError(f"{c.kind}.{c.key} takes =, !=, IN, LIKE or IS [NOT] NULL in a filter_string, not {c.op}")


def _spellings(value: Any) -> list[str]:
    out = [dumps(value)]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        out.append(value.lower())
    return out


_ORDER_FIELDS = {"timestamp_ms": traces.c.timestamp_ms, "timestamp": traces.c.timestamp_ms,
                 "execution_time_ms": traces.c.execution_time_ms, "name": traces.c.name, "status": traces.c.status,
                 "trace_id": traces.c.trace_id}


def order(order_by: Sequence[str] | None) -> list[Any]:
    if not order_by:
        return [traces.c.timestamp_ms.desc(), traces.c.start_time_ns.desc(), traces.c.trace_id]
    out: list[Any] = []
    for item in order_by:
        parts = str(item).split()
        key = parts[0].removeprefix("trace.").removeprefix("attributes.") if parts else ""
        col = _ORDER_FIELDS.get(key)
        direction = parts[1].upper() if len(parts) > 1 else "ASC"
        if col is None or len(parts) > 2 or direction not in ("ASC", "DESC"):
            raise ConfigError(f"cannot order traces by {item!r}; use e.g. 'timestamp_ms DESC' with one of "
                              f"{', '.join(_ORDER_FIELDS)}")
        out.append(col.desc() if direction == "DESC" else col.asc())
        if col is traces.c.timestamp_ms:  # traces started in the same millisecond: by their nanoseconds
            out.append(traces.c.start_time_ns.desc() if direction == "DESC" else traces.c.start_time_ns.asc())
    out.append(traces.c.trace_id)
    return out
