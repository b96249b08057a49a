"""The tracking store on SQLAlchemy: SQLite (the default, ``./jurist.db``) or PostgreSQL.

Writes go through SQLAlchemy Core in batches (one transaction, one ``executemany`` per table), so that
logging a judgment costs microseconds; every insert that a retry could repeat is an
``INSERT … ON CONFLICT DO NOTHING``, so that nothing is stored twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from jurist.entities import AssessmentError, AssessmentSource, Expectation, Feedback, Span, Trace
from jurist.errors import AlreadyExistsError, ConfigError, NotFoundError, StoreError
from jurist.tracking import _engine
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Assessment,
    Experiment,
    JudgeVersion,
    Judgment,
    RowData,
    Run,
    RunEnd,
    RunStatus,
    StoredRow,
    StoredTrace,
    dumps,
    loads,
)
from jurist.tracking._filter import parse_filter
from jurist.tracking._schema import (
    assessments,
    experiments,
    judges,
    run_rows,
    runs,
    spans,
    trace_tags,
    traces,
)
from jurist.tracking._search import condition, order


def now_ms() -> int:
    return int(time.time() * 1000)


def _ms(ns: int | None) -> int | None:
    return None if ns is None else int(ns) // 1_000_000


class SqlStore:
    """The store in a SQL database. ``uri``: ``sqlite:///path``, a plain path, or ``postgresql+psycopg://…``.

    Example:
        >>> store = SqlStore("sqlite:///jurist.db")                       # doctest: +SKIP
        >>> store.get_or_create_experiment("qa").experiment_id            # doctest: +SKIP
        '5f0c…'
    """

    def __init__(self, uri: str) -> None:
        self.db_uri = _engine.normalise_db_uri(uri)
        self.uri = _engine.safe_uri(self.db_uri)
        self.engine = _engine.make_engine(self.db_uri)
        self.dialect = self.engine.dialect.name
        _engine.migrate(self.engine, self.uri)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.uri!r})"

    # -- plumbing ---------------------------------------------------------------------------------
    def _insert_ignore(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()

    def _upsert_tags(self, conn: Connection, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(trace_tags)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(trace_tags)
        stmt = stmt.on_conflict_do_update(index_elements=["trace_id", "key"], set_={"value": stmt.excluded.value})
        conn.execute(stmt, records)

    def _write(self, fn: Any, what: str, integrity_retry: bool = False) -> Any:
        return _engine.write(self.engine, fn, what=what, integrity_retry=integrity_retry)

    def _read(self, fn: Any, what: str) -> Any:
        return _engine.read(self.engine, fn, what=what)

    # -- experiments ------------------------------------------------------------------------------
    @staticmethod
    def _experiment(row: Row[Any]) -> Experiment:
        return Experiment(row.experiment_id, row.name, row.creation_time_ms, loads(row.tags) or {})

    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> Experiment:
        """A new experiment; a name already taken is a ConfigError."""
        _check_name(name, "experiment")
        exp = Experiment(DEFAULT_EXPERIMENT_ID if name == DEFAULT_EXPERIMENT_NAME else uuid.uuid4().hex, name,
                         now_ms(), dict(tags or {}))

        def _do(conn: Connection) -> None:
            conn.execute(experiments.insert().values(**exp.to_dict() | {"tags": dumps(exp.tags)}))

        try:
            self._write(_do, "create an experiment")
        except StoreError as e:
            if isinstance(e.__cause__, IntegrityError):
                raise AlreadyExistsError(f"an experiment named {name!r} already exists; use set_experiment({name!r}) "
                                  "to log to it") from None
            raise
        return exp

    def get_or_create_experiment(self, name: str) -> Experiment:
        found = self.get_experiment_by_name(name)
        if found is not None:
            return found
        _check_name(name, "experiment")
        exp_id = DEFAULT_EXPERIMENT_ID if name == DEFAULT_EXPERIMENT_NAME else uuid.uuid4().hex

        def _do(conn: Connection) -> None:
            conn.execute(self._insert_ignore(experiments).values(
                experiment_id=exp_id, name=name, creation_time_ms=now_ms(), tags="{}"))

        self._write(_do, "create an experiment")
        found = self.get_experiment_by_name(name)
        if found is None:  # pragma: no cover - the insert above or a racing one made it
            raise StoreError(f"experiment {name!r} could not be created")
        return found

    def get_experiment(self, experiment_id: str) -> Experiment:
        row = self._read(lambda c: c.execute(
            select(experiments).where(experiments.c.experiment_id == str(experiment_id))).first(),
            "read an experiment")
        if row is None:
            if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
                return self.get_or_create_experiment(DEFAULT_EXPERIMENT_NAME)
            raise NotFoundError(f"no experiment with id {experiment_id!r} in the store at {self.uri}")
        return self._experiment(row)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        row = self._read(lambda c: c.execute(select(experiments).where(experiments.c.name == name)).first(),
                         "read an experiment")
        return None if row is None else self._experiment(row)

    def search_experiments(self) -> list[Experiment]:
        found = self._read(lambda c: c.execute(select(experiments).order_by(experiments.c.creation_time_ms)).all(),
                           "list experiments")
        return [self._experiment(r) for r in found]

    # -- runs -------------------------------------------------------------------------------------
    @staticmethod
    def _run(row: Row[Any]) -> Run:
        return Run(
            run_id=row.run_id, experiment_id=row.experiment_id, status=row.status, name=row.name,
            start_time_ms=row.start_time_ms, end_time_ms=row.end_time_ms, params=loads(row.params) or {},
            scorers=loads(row.scorers) or [], metrics=loads(row.metrics) or {}, tags=loads(row.tags) or {},
            row_count=row.row_count, total_input_tokens=row.total_input_tokens,
            total_output_tokens=row.total_output_tokens, total_cost_usd=row.total_cost_usd,
            judge_calls=row.judge_calls, cached_judgments=row.cached_judgments,
        )

    def create_run(self, experiment_id: str, *, name: str | None = None, params: dict[str, Any] | None = None,
                   scorers: list[dict[str, Any]] | None = None, tags: dict[str, str] | None = None) -> Run:
        self.get_experiment(experiment_id)
        run = Run(run_id=uuid.uuid4().hex, experiment_id=str(experiment_id), name=name, start_time_ms=now_ms(),
                  params=dict(params or {}), scorers=list(scorers or []), tags=dict(tags or {}))
        record = run.to_dict()
        for k in ("params", "scorers", "metrics", "tags"):
            record[k] = dumps(record[k])
        self._write(lambda c: c.execute(runs.insert().values(**record)), "create a run")
        return run

    def get_run(self, run_id: str) -> Run:
        row = self._read(lambda c: c.execute(select(runs).where(runs.c.run_id == str(run_id))).first(), "read a run")
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r} in the store at {self.uri}; "
                                "search_runs() lists the runs it holds")
        return self._run(row)

    def search_runs(self, experiment_ids: Sequence[str] | None = None, status: str | None = None,
                    max_results: int = 100) -> list[Run]:
        q = select(runs)
        if experiment_ids:
            q = q.where(runs.c.experiment_id.in_([str(e) for e in experiment_ids]))
        if status:
            try:
                q = q.where(runs.c.status == RunStatus(status.upper()).value)
            except ValueError:
                raise ConfigError(f"status must be one of {', '.join(s.value for s in RunStatus)}, got {status!r}") \
                    from None
        q = q.order_by(runs.c.start_time_ms.desc(), runs.c.run_id).limit(max_results)
        return [self._run(r) for r in self._read(lambda c: c.execute(q).all(), "search runs")]

    def end_run(self, run_id: str, end: RunEnd) -> Run:
        values: dict[str, Any] = {"status": RunStatus(end.status).value, "end_time_ms": end.end_time_ms}
        if end.metrics is not None:
            values["metrics"] = dumps(end.metrics)
        for k in ("row_count", "total_input_tokens", "total_output_tokens", "judge_calls", "cached_judgments"):
            if getattr(end, k) is not None:
                values[k] = getattr(end, k)
        if end.status is RunStatus.FINISHED or end.total_cost_usd is not None:
            values["total_cost_usd"] = end.total_cost_usd

        def _do(conn: Connection) -> bool:
            return conn.execute(runs.update().where(runs.c.run_id == run_id).values(**values).returning(
                runs.c.run_id)).first() is not None

        if not self._write(_do, "end a run"):
            raise NotFoundError(f"no run with id {run_id!r} in the store at {self.uri}")
        return self.get_run(run_id)

    # -- a run's rows and feedback ----------------------------------------------------------------
    def log_judgments(self, run_id: str, items: Sequence[Judgment]) -> None:
        """Store finished judgments of a run in one transaction: new rows (with their traces) and feedback."""
        if not items:
            return

        def _do(conn: Connection) -> None:
            experiment_id = conn.execute(select(runs.c.experiment_id).where(runs.c.run_id == run_id)).scalar()
            if experiment_id is None:
                raise NotFoundError(f"no run with id {run_id!r} in the store at {self.uri}")
            new_traces: list[Trace] = []
            row_records: list[dict[str, Any]] = []
            trace_of: dict[int, str] = {}
            for it in items:
                _check_judgment(it)
                if it.row is not None:
                    d = it.row
                    trace_of[it.row_index] = d.trace_id
                    if d.trace is not None:
                        new_traces.append(_check_trace(d.trace))
                    row_records.append({
                        "run_id": run_id, "row_index": it.row_index, "row_hash": d.row_hash,
                        "trace_id": d.trace_id, "row_id": None if d.row_id is None else dumps(d.row_id),
                        "inputs": dumps(d.inputs), "outputs": dumps(d.outputs),
                        "expectations": dumps(d.expectations), "tags": dumps(d.tags),
                    })
            missing = {it.row_index for it in items if it.row_index not in trace_of
                       and any(f.trace_id is None for f in it.feedbacks)}
            if missing:
                for r in conn.execute(select(run_rows.c.row_index, run_rows.c.trace_id).where(
                        run_rows.c.run_id == run_id, run_rows.c.row_index.in_(missing))):
                    trace_of[r.row_index] = r.trace_id
            if new_traces:
                self._insert_new_traces(conn, new_traces, experiment_id)
            if row_records:
                conn.execute(self._insert_ignore(run_rows), row_records)
            records = []
            for it in items:
                for pos, fb in enumerate(it.feedbacks):
                    trace_id = fb.trace_id or trace_of.get(it.row_index)
                    if trace_id is None:
                        raise ConfigError(f"row {it.row_index} of run {run_id} has no stored trace")
                    records.append(_assessment_record(fb, trace_id, run_id, it.row_index, it.scorer, pos))
            if records:
                # A judgment made again (on resume, after a provider failure) replaces the one stored.
                by_scorer: dict[str, set[int]] = {}
                for it in items:
                    by_scorer.setdefault(it.scorer, set()).add(it.row_index)
                for sc, idx in by_scorer.items():
                    conn.execute(delete(assessments).where(assessments.c.run_id == run_id,
                                                           assessments.c.scorer == sc,
                                                           assessments.c.row_index.in_(sorted(idx))))
                conn.execute(self._insert_ignore(assessments), records)

        self._write(_do, "store judged rows")

    def load_rows(self, run_id: str) -> list[StoredRow]:
        """Every stored row of a run with its feedback by scorer (what ``resume`` reads)."""
        self.get_run(run_id)

        def _do(conn: Connection) -> list[StoredRow]:
            out: dict[int, StoredRow] = {}
            for r in conn.execute(select(run_rows).where(run_rows.c.run_id == run_id).order_by(run_rows.c.row_index)):
                out[r.row_index] = StoredRow(r.row_index, RowData(
                    row_hash=r.row_hash, trace_id=r.trace_id, inputs=loads(r.inputs), outputs=loads(r.outputs),
                    expectations=loads(r.expectations), tags=loads(r.tags) or {},
                    row_id=loads(r.row_id)))
            q = select(assessments).where(assessments.c.run_id == run_id).order_by(
                assessments.c.row_index, assessments.c.scorer, assessments.c.position)
            for a in conn.execute(q):
                row = out.get(a.row_index)
                if row is not None:
                    fb = _assessment(a)
                    if isinstance(fb, Feedback):
                        row.feedbacks.setdefault(a.scorer, []).append(fb)
            return list(out.values())

        result: list[StoredRow] = self._read(_do, "read a run's rows")
        return result

    # -- traces -----------------------------------------------------------------------------------
    def _insert_new_traces(self, conn: Connection, new: Iterable[Trace], experiment_id: str) -> None:
        """Insert traces (and their spans and tags) that may already be there; existing ones are kept."""
        created = now_ms()
        trace_records, span_records, tag_records = [], [], []
        for t in new:
            trace_records.append(_trace_record(t, experiment_id, created))
            span_records += [_span_record(s, t.trace_id, i) for i, s in enumerate(t.spans)]
            tag_records += [{"trace_id": t.trace_id, "key": _text(k), "value": _text(str(v))} for k, v in t.tags.items()]
        conn.execute(self._insert_ignore(traces), trace_records)
        if span_records:
            conn.execute(self._insert_ignore(spans), span_records)
        if tag_records:
            conn.execute(self._insert_ignore(trace_tags), tag_records)

    def log_traces(self, new: Sequence[Trace], experiment_id: str = DEFAULT_EXPERIMENT_ID) -> list[str]:
        """Store traces; spans of a trace already stored are added to it (OTLP sends a trace in parts)."""
        checked = [_check_trace(t) for t in new]
        if not checked:
            return []
        self.get_experiment(experiment_id)

        def _do(conn: Connection) -> None:
            created = now_ms()
            for t in checked:
                record = _trace_record(t, experiment_id, created)
                inserted = conn.execute(self._insert_ignore(traces).values(**record).returning(
                    traces.c.trace_id)).first() is not None
                base = 0
                if not inserted:
                    base = self._merge_trace(conn, t, record)
                span_records = [_span_record(s, t.trace_id, base + i) for i, s in enumerate(t.spans)]
                if span_records:
                    conn.execute(self._insert_ignore(spans), span_records)
                self._upsert_tags(conn, [{"trace_id": t.trace_id, "key": _text(k), "value": _text(str(v))}
                                         for k, v in t.tags.items()])

        self._write(_do, "store traces", integrity_retry=True)
        return [t.trace_id for t in checked]

    def _merge_trace(self, conn: Connection, t: Trace, record: dict[str, Any]) -> int:
        old = conn.execute(select(traces).where(traces.c.trace_id == t.trace_id).with_for_update()).one()
        starts = [v for v in (old.start_time_ns, record["start_time_ns"]) if v is not None]
        ends = [v for v in (old.end_time_ns, record["end_time_ns"]) if v is not None]
        start, end = (min(starts) if starts else None), (max(ends) if ends else None)
        values: dict[str, Any] = {"start_time_ns": start, "end_time_ns": end}
        if start is not None:
            values["timestamp_ms"] = _ms(start)
        if start is not None and end is not None:
            values["execution_time_ms"] = _ms(end - start)
        root = next((s for s in t.spans if not s.parent_id), None)
        if root is not None:
            values.update(name=root.name, status=_status(root.status))
        conn.execute(traces.update().where(traces.c.trace_id == t.trace_id).values(**values))
        seq = conn.execute(select(func.max(spans.c.seq)).where(spans.c.trace_id == t.trace_id)).scalar()
        return 0 if seq is None else int(seq) + 1

    def get_trace(self, trace_id: str) -> StoredTrace:
        found = self._hydrate(self._read(lambda c: c.execute(
            select(traces).where(traces.c.trace_id == str(trace_id))).all(), "read a trace"))
        if not found:
            raise NotFoundError(f"no trace with id {trace_id!r} in the store at {self.uri}")
        return found[0]

    def search_traces(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                      max_results: int = 100, order_by: Sequence[str] | None = None) -> list[StoredTrace]:
        """Traces (with spans, tags and assessments) matching ``filter_string``, newest first."""
        if not isinstance(max_results, int) or max_results < 1:
            raise ConfigError(f"max_results must be a whole number of at least 1, got {max_results!r}")
        q = select(traces)
        if experiment_ids:
            q = q.where(traces.c.experiment_id.in_([str(e) for e in experiment_ids]))
        for clause in parse_filter(filter_string):
            q = q.where(condition(clause))
        q = q.order_by(*order(order_by)).limit(max_results)
        return self._hydrate(self._read(lambda c: c.execute(q).all(), "search traces"))

    def trace_page(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None, *,
                   offset: int = 0, limit: int = 50, order_by: Sequence[str] | None = None) -> list[Any]:
        """One page of trace summaries (:class:`~jurist.tracking._pages.TraceSummary`), spans left unread."""
        from jurist.tracking import _pages

        return self._read(lambda c: _pages.page(c, experiment_ids, filter_string, offset, limit, order_by),  # type: ignore[no-any-return]
                          "read a page of traces")

    def count_traces(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None) -> int:
        """How many traces match ``filter_string``."""
        from jurist.tracking import _pages

        return self._read(lambda c: _pages.count(c, experiment_ids, filter_string), "count traces")  # type: ignore[no-any-return]

    def _hydrate(self, trace_rows: list[Row[Any]]) -> list[StoredTrace]:
        if not trace_rows:
            return []
        ids = [r.trace_id for r in trace_rows]

        def _do(conn: Connection) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]], Sequence[Row[Any]]]:
            s = conn.execute(select(spans).where(spans.c.trace_id.in_(ids)).order_by(
                spans.c.trace_id, func.coalesce(spans.c.start_time_ns, 0), spans.c.seq)).all()
            t = conn.execute(select(trace_tags).where(trace_tags.c.trace_id.in_(ids))).all()
            a = conn.execute(select(assessments).where(assessments.c.trace_id.in_(ids)).order_by(
                assessments.c.create_time_ms, assessments.c.row_index, assessments.c.scorer,
                assessments.c.position)).all()
            return s, t, a

        span_rows, tag_rows, assessment_rows = self._read(_do, "read traces")
        out = {r.trace_id: StoredTrace(
            trace_id=r.trace_id, experiment_id=r.experiment_id, name=r.name, status=r.status,
            timestamp_ms=r.timestamp_ms, execution_time_ms=r.execution_time_ms) for r in trace_rows}
        for s in span_rows:
            out[s.trace_id].spans.append(Span(
                name=s.name, span_id=s.span_id, trace_id=s.trace_id, parent_id=s.parent_id, span_type=s.span_type,
                inputs=loads(s.inputs), outputs=loads(s.outputs), attributes=loads(s.attributes) or {},
                events=loads(s.events) or [], status=s.status, start_time_ns=s.start_time_ns,
                end_time_ns=s.end_time_ns))
        for tg in tag_rows:
            out[tg.trace_id].tags[tg.key] = tg.value
        for a in assessment_rows:
            out[a.trace_id].assessments.append(_assessment(a))
        return [out[i] for i in ids]

    # -- assessments ------------------------------------------------------------------------------
    def log_assessment(self, assessment: Assessment) -> Assessment:
        """Attach a Feedback or Expectation to its trace (and span); an unknown trace is a NotFoundError."""
        if not assessment.trace_id:
            raise ConfigError("an assessment needs the trace_id of the trace it is about")
        _check_name(assessment.name, "assessment")

        def _do(conn: Connection) -> None:
            if conn.execute(select(traces.c.trace_id).where(traces.c.trace_id == assessment.trace_id)).first() is None:
                raise NotFoundError(f"no trace with id {assessment.trace_id!r} in the store at {self.uri}")
            if assessment.span_id and conn.execute(select(spans.c.span_id).where(
                    spans.c.trace_id == assessment.trace_id, spans.c.span_id == assessment.span_id)).first() is None:
                raise NotFoundError(f"trace {assessment.trace_id!r} has no span {assessment.span_id!r}")
            record = _assessment_record(assessment, str(assessment.trace_id))
            conn.execute(assessments.insert().values(**record))
            assessment.assessment_id = record["assessment_id"]

        self._write(_do, "store an assessment")
        return assessment

    # -- judges -----------------------------------------------------------------------------------
    def register_judge(self, definition: dict[str, Any]) -> JudgeVersion:
        """Store a judge's data as the next version of its name; versions never change once stored."""
        name = definition.get("name")
        _check_name(name, "judge")
        created = now_ms()

        def _do(conn: Connection) -> int:
            latest = conn.execute(select(func.max(judges.c.version)).where(judges.c.name == name)).scalar()
            version = 1 if latest is None else int(latest) + 1
            conn.execute(judges.insert().values(name=name, version=version, kind=str(definition.get("kind") or ""),
                                                model=definition.get("model"), definition=dumps(definition),
                                                creation_time_ms=created))
            return version

        version = self._write(_do, "register a judge", integrity_retry=True)
        return JudgeVersion(str(name), version, dict(definition), created)

    def get_judge(self, name: str, version: int | None = None) -> JudgeVersion:
        q = select(judges).where(judges.c.name == name)
        q = q.where(judges.c.version == int(version)) if version is not None else q.order_by(judges.c.version.desc())
        row = self._read(lambda c: c.execute(q.limit(1)).first(), "read a judge")
        if row is None:
            which = f"version {version} of judge {name!r}" if version is not None else f"judge {name!r}"
            raise NotFoundError(f"no {which} in the store at {self.uri}")
        return JudgeVersion(row.name, row.version, loads(row.definition), row.creation_time_ms)

    def list_judge_versions(self, name: str) -> list[JudgeVersion]:
        found = self._read(lambda c: c.execute(select(judges).where(judges.c.name == name).order_by(
            judges.c.version)).all(), "list judge versions")
        return [JudgeVersion(r.name, r.version, loads(r.definition), r.creation_time_ms) for r in found]

    def search_judges(self) -> list[JudgeVersion]:
        """The latest version of every registered judge, by name."""
        latest = select(judges.c.name, func.max(judges.c.version).label("v")).group_by(judges.c.name).subquery()
        q = select(judges).join(latest, and_(judges.c.name == latest.c.name, judges.c.version == latest.c.v)) \
            .order_by(judges.c.name)
        return [JudgeVersion(r.name, r.version, loads(r.definition), r.creation_time_ms)
                for r in self._read(lambda c: c.execute(q).all(), "list judges")]


# -- records ------------------------------------------------------------------------------------------
#: The widths of the keyed text columns (the schema's String(n)); SQLite does not enforce them, PostgreSQL
#: does, so they are checked here and both backends take and refuse the same values.
ID_MAX, NAME_MAX, CODE_MAX, SOURCE_MAX = 64, 256, 128, 512


def _text(value: Any) -> Any:
    """Text as the store keeps it: NUL, which PostgreSQL's text refuses, becomes U+FFFD on every backend."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _check_judgment(it: Judgment) -> None:
    """A judgment the store can hold, else a ConfigError that says which value is wrong (that one row fails)."""
    where = f"row {it.row_index}"
    if not isinstance(it.scorer, str) or not it.scorer or len(it.scorer) > NAME_MAX:
        raise ConfigError(f"{where}: a scorer needs a name of 1 to {NAME_MAX} characters, got {it.scorer!r}"[:400])
    if it.row is not None:
        tid = it.row.trace_id
        if not isinstance(tid, str) or not tid or len(tid) > ID_MAX or "\x00" in tid:
            raise ConfigError(f"{where}: a stored trace needs a trace_id of 1 to {ID_MAX} characters, got "
                              f"{tid!r}"[:400])
    for fb in it.feedbacks:
        if not isinstance(fb.name, str) or not fb.name or len(fb.name) > NAME_MAX:
            raise ConfigError(f"{where}: feedback needs a name of 1 to {NAME_MAX} characters, got {fb.name!r}"[:400])
        if fb.trace_id is not None and (len(fb.trace_id) > ID_MAX or "\x00" in fb.trace_id):
            raise ConfigError(f"{where}: feedback names a trace_id longer than {ID_MAX} characters: "
                              f"{fb.trace_id!r}"[:400])


def _check_name(name: Any, what: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise ConfigError(f"a {what} needs a name of 1 to 256 characters, got {name!r}")


def _status(status: Any) -> str:
    s = str(status or "OK").upper()
    return s.removeprefix("STATUS_CODE_")[:16]


def _check_trace(raw: Any) -> Trace:
    t: Trace = Trace.coerce(raw)
    if not t.trace_id or len(t.trace_id) > ID_MAX or "\x00" in t.trace_id:
        raise ConfigError(f"a stored trace needs a trace_id of 1 to {ID_MAX} characters, got {t.trace_id!r}"[:400])
    seen = set()
    for s in t.spans:
        if not s.span_id or len(s.span_id) > ID_MAX or "\x00" in s.span_id:
            raise ConfigError(f"trace {t.trace_id}: every span needs a span_id of 1 to {ID_MAX} characters")
        if s.parent_id and (len(s.parent_id) > ID_MAX or "\x00" in s.parent_id):
            raise ConfigError(f"trace {t.trace_id}: span {s.span_id!r} has a parent_id longer than {ID_MAX} "
                              "characters")
        if s.span_id in seen:
            raise ConfigError(f"trace {t.trace_id}: span_id {s.span_id!r} appears twice")
        seen.add(s.span_id)
    for k in t.tags:
        if not isinstance(k, str) or not k or len(k) > NAME_MAX:
            raise ConfigError(f"trace {t.trace_id}: a tag key must be 1 to {NAME_MAX} characters, got a key of "
                              f"{len(k) if isinstance(k, str) else type(k).__name__} characters: {str(k)[:60]!r}…")
    return t


def _trace_record(t: Trace, experiment_id: str, created: int) -> dict[str, Any]:
    starts = [s.start_time_ns for s in t.spans if s.start_time_ns is not None]
    ends = [s.end_time_ns for s in t.spans if s.end_time_ns is not None]
    start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    # Only a span without a parent is the root: OTLP may deliver a trace's children before its root.
    root = next((s for s in t.spans if not s.parent_id), None)
    return {
        "trace_id": t.trace_id, "experiment_id": experiment_id, "name": _text(root.name[:512]) if root else None,
        "status": _status(root.status) if root else "UNSET", "timestamp_ms": _ms(start) if start else created,
        "execution_time_ms": _ms(end - start) if start is not None and end is not None else None,
        "start_time_ns": start, "end_time_ns": end, "creation_time_ms": created,
    }


def _span_record(s: Span, trace_id: str, seq: int) -> dict[str, Any]:
    return {
        "trace_id": trace_id, "span_id": s.span_id, "parent_id": s.parent_id or None,
        "name": _text((s.name or "")[:512]), "span_type": _text((s.span_type or "UNKNOWN")[:32]),
        "status": _text(_status(s.status)),
        "start_time_ns": s.start_time_ns, "end_time_ns": s.end_time_ns,
        "inputs": None if s.inputs is None else dumps(s.inputs),
        "outputs": None if s.outputs is None else dumps(s.outputs),
        "attributes": dumps(s.attributes or {}), "events": dumps(s.events or []), "seq": seq,
    }


def _assessment_record(a: Assessment, trace_id: str, run_id: str | None = None, row_index: int | None = None,
                       scorer: str | None = None, position: int | None = None) -> dict[str, Any]:
    err = a.error if isinstance(a, Feedback) else None
    return {
        "assessment_id": uuid.uuid4().hex, "trace_id": trace_id, "span_id": a.span_id,
        "kind": "expectation" if isinstance(a, Expectation) else "feedback", "name": _text(a.name),
        "value": None if a.value is None else dumps(a.value),
        "rationale": _text(a.rationale) if isinstance(a, Feedback) else None,
        "error_code": _text(str(err.error_code)[:CODE_MAX]) if err else None,
        "error_message": _text(err.error_message) if err else None,
        "source_type": a.source.source_type.value, "source_id": _text(str(a.source.source_id)[:SOURCE_MAX]),
        "metadata": dumps(a.metadata or {}), "create_time_ms": a.create_time_ms,
        "run_id": run_id, "row_index": row_index, "scorer": _text(scorer), "position": position,
    }


def _assessment(r: Row[Any]) -> Assessment:
    source = AssessmentSource(r.source_type, r.source_id)
    common = {"name": r.name, "value": loads(r.value), "source": source, "metadata": loads(r.metadata) or {},
              "trace_id": r.trace_id, "span_id": r.span_id, "create_time_ms": r.create_time_ms,
              "assessment_id": r.assessment_id}
    if r.kind == "expectation":
        return Expectation(**common)
    error = AssessmentError(r.error_code, r.error_message) if r.error_code else None
    return Feedback(**common, rationale=r.rationale, error=error)
