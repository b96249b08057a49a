"""The one SQL layer under jurist's stores (the tracking store's tables and the gateway's): the engine,
transactions that wait out a busy database, migrations under a lock, and URIs fit to show.

Each store names its tables with a :class:`Schema` (metadata, version table, migration folder, head
revision, advisory-lock key); everything else is the same for both:

- SQLite runs in WAL mode (readers never block the writer), ``synchronous=NORMAL``,
  ``foreign_keys=ON`` and a busy timeout of :data:`BUSY_TIMEOUT_S`; every write transaction starts
  with ``BEGIN IMMEDIATE`` so that concurrent writers queue on that timeout instead of failing when a
  read lock cannot be upgraded.
- PostgreSQL goes through psycopg 3, with a statement timeout (``JURIST_DB_STATEMENT_TIMEOUT_S``,
  default :data:`DEFAULT_STATEMENT_TIMEOUT_S` seconds; ``0`` turns it off) so that one runaway query
  cannot hold the store: it ends as a :class:`~jurist.errors.StoreError` that says so.
- Reads and writes are both tried again while the database is busy or a serialisation race was lost,
  for up to :data:`BUSY_TIMEOUT_S`; a dropped connection is tried again once by a read, and for as long
  by a write.
- Migrating runs under the database's own lock (SQLite's write lock, a PostgreSQL advisory lock), so
  several processes may open a new store at once: whoever comes second finds the work done.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Column, MetaData, String, Table, create_engine, event, inspect, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from jurist.errors import ConfigError, StoreError

log = logging.getLogger("jurist.store")

T = TypeVar("T")

#: How long a read or write waits for a busy database before it gives up (seconds).
BUSY_TIMEOUT_S = 60.0
#: The longest one PostgreSQL statement may run by default (seconds); ``JURIST_DB_STATEMENT_TIMEOUT_S``.
DEFAULT_STATEMENT_TIMEOUT_S = 300.0
STATEMENT_TIMEOUT_ENV = "JURIST_DB_STATEMENT_TIMEOUT_S"
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement ended by statement_timeout


@dataclass(frozen=True)
class Schema:
    """One store's tables and their migration stream."""

    #: How messages name the store ("tracking store", "gateway store").
    label: str
    metadata: MetaData
    #: Where Alembic records this stream's revision (each stream has its own).
    version_table: str
    migrations: Path
    head: str
    #: The ``pg_advisory_xact_lock`` key that serialises this stream's migrations.
    lock_key: int
    #: The prefix of this stream's table names, when it shares a database with another stream.
    table_prefix: str | None = None

    def owns(self, table: str) -> bool:
        """Whether ``table`` is one of this stream's (what Alembic's autogenerate may compare)."""
        if self.table_prefix is not None:
            return table.startswith(self.table_prefix)
        return table in self.metadata.tables


def normalise_db_uri(uri: str) -> str:
    """A SQLAlchemy URL for ``uri``: a path means SQLite; ``postgresql://`` means psycopg 3."""
    if "://" not in uri:
        return f"sqlite:///{Path(uri).expanduser().resolve()}"
    scheme, rest = uri.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return uri


_SECRET_PARAM = re.compile(r"(?i)\b(password|passwd|pwd|pass|token|secret|api_key|apikey)=([^&;\s]*)")


def safe_uri(uri: str) -> str:
    """``uri`` fit for messages and logs: any password hidden, also in a URI that does not parse.

    Example:
        >>> safe_uri("postgresql+psycopg://jurist:s3cret@db/jurist")
        'postgresql+psycopg://jurist:***@db/jurist'
    """
    try:
        shown = make_url(uri).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: hide what follows user: before @ by hand
        shown = _hide_userinfo(uri)
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", shown)


def _hide_userinfo(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        if ":" in userinfo:
            authority = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return f"{scheme}{sep}{authority}{tail}"


def statement_timeout_s() -> float | None:
    """The PostgreSQL statement timeout in seconds from ``JURIST_DB_STATEMENT_TIMEOUT_S``; None: off."""
    raw = os.environ.get(STATEMENT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_STATEMENT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{STATEMENT_TIMEOUT_ENV}={raw!r} is not a number of seconds; use e.g. 300, "
                          "or 0 for no timeout") from None
    if value < 0:
        raise ConfigError(f"{STATEMENT_TIMEOUT_ENV} must be 0 (no timeout) or more seconds, not {raw}")
    return value or None


def make_engine(uri: str, *, label: str = "tracking store", other_forms: str = "",
                busy_timeout_s: float = BUSY_TIMEOUT_S, statement_timeout: float | bool | None = True) -> Engine:
    """An engine for ``uri`` (SQLite or PostgreSQL), set up as the module docstring says.

    ``label`` names the store in messages, and ``other_forms`` adds to the URI forms a bad URI's message
    lists. ``statement_timeout`` is PostgreSQL's, in seconds: True reads ``JURIST_DB_STATEMENT_TIMEOUT_S``;
    None turns it off. ``busy_timeout_s`` is how long SQLite itself waits on a lock before it says busy.
    """
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigError(
            f"cannot read the {label} URI {safe_uri(uri)!r}; use a path, sqlite:///path/to/jurist.db or "
            f"postgresql+psycopg://user@host/db{other_forms}"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, busy_timeout_s)
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                f"a PostgreSQL {label} needs psycopg; install it with: pip install 'jurist[postgres]'"
            ) from None
        seconds = statement_timeout_s() if statement_timeout is True else statement_timeout
        connect_args: dict[str, Any] = {}
        if seconds:
            connect_args["options"] = f"-c statement_timeout={max(1, round(float(seconds) * 1000))}"
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args)
        return engine.execution_options(jurist_statement_timeout_s=seconds or None)  # for the error's message
    raise ConfigError(f"unsupported {label} {backend!r}; use SQLite or PostgreSQL (postgresql+psycopg://…)")


def _sqlite_engine(url: Any, busy_timeout_s: float) -> Engine:
    database = url.database
    memory = not database or database == ":memory:"
    if not memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s, "check_same_thread": False}}
    if memory:
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; "begin" below says BEGIN or BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("jurist_write") else "BEGIN")

    return engine


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _why_retry(exc: DBAPIError, integrity: bool) -> str | None:
    """"busy" (a lock held), "race" (a serialisation or insert race lost), "drop" (the connection went),
    or None: trying again would fail the same way."""
    if isinstance(exc, IntegrityError):
        return "race" if integrity else None
    if _sqlstate(exc) == _QUERY_CANCELED:
        return None  # it would only run as long again
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in text or "busy" in text:
            return "busy"
        if _sqlstate(exc) in ("40001", "40P01"):
            return "race"
        return "drop" if exc.connection_invalidated or "connection" in text else None
    return "drop" if exc.connection_invalidated else None


def _failed(engine: Engine, label: str, what: str, e: DBAPIError) -> StoreError:
    if _sqlstate(e) == _QUERY_CANCELED:
        limit = engine.get_execution_options().get("jurist_statement_timeout_s")
        after = f" ({limit:g} s)" if limit else ""
        return StoreError(f"the {label} could not {what}: the query ran longer than the statement timeout{after} "
                          f"and was stopped; narrow it (a smaller filter or max_results), or raise "
                          f"{STATEMENT_TIMEOUT_ENV}")
    return StoreError(f"the {label} could not {what}: {e.orig if e.orig is not None else e}")


def _attempt(engine: Engine, fn: Callable[[Connection], T], *, what: str, label: str, for_write: bool,
             integrity_retry: bool) -> T:
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.02
    drops = 0
    while True:
        try:
            with engine.connect() as conn:
                if for_write:
                    conn.execution_options(jurist_write=True)
                with conn.begin():
                    return fn(conn)
        except DBAPIError as e:
            why = _why_retry(e, integrity_retry)
            # A read whose connection went is tried once more, not for a minute: a database that is down
            # says so at once to a reader (a writer waits, so that a restart loses no results).
            if why is None or time.monotonic() > deadline or (why == "drop" and not for_write and drops):
                raise _failed(engine, label, what, e) from e
            if why == "drop":
                drops += 1
            log.debug("retrying %s after %s", what, e)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def write(engine: Engine, fn: Callable[[Connection], T], *, what: str, label: str = "tracking store",
          integrity_retry: bool = False) -> T:
    """Run ``fn`` in one write transaction; retry it whole while the database is busy or a race lost.

    ``what`` completes "the <label> could not ..." in the :class:`~jurist.errors.StoreError` raised when
    it fails for good; ``integrity_retry`` also retries an integrity error (an insert race lost).
    """
    return _attempt(engine, fn, what=what, label=label, for_write=True, integrity_retry=integrity_retry)


def read(engine: Engine, fn: Callable[[Connection], T], *, what: str, label: str = "tracking store") -> T:
    """Run ``fn`` in one read transaction; retry it while the database is busy or the connection dropped."""
    return _attempt(engine, fn, what=what, label=label, for_write=False, integrity_retry=False)


# -- migrations ---------------------------------------------------------------------------------------
def _version_table(schema: Schema) -> Table:
    return Table(schema.version_table, MetaData(), Column("version_num", String(32), primary_key=True))


def current_revision(conn: Connection, schema: Schema) -> str | None:
    """The revision recorded in ``schema``'s version table, None when the table is not there."""
    if not inspect(conn).has_table(schema.version_table):
        return None
    return conn.execute(select(_version_table(schema).c.version_num)).scalar()


def migrate(engine: Engine, schema: Schema, shown_uri: str) -> None:
    """Bring ``schema``'s tables to its head revision: build them when new, else run Alembic's upgrades.

    A new stream is built in one go from the metadata and stamped (the migrations build the same, as a
    test checks); tables of the stream found without its version are refused, never touched.
    """
    try:
        if read(engine, lambda c: current_revision(c, schema), what="read its schema version",
                label=schema.label) == schema.head:
            return
    except StoreError as e:
        raise StoreError(f"cannot open the {schema.label} at {shown_uri}: {e}") from e

    def _do(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")  # a long upgrade is not a runaway query
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({schema.lock_key})")
        current = current_revision(conn, schema)
        if current == schema.head:
            return
        if current is None:
            existing = {t for t in inspect(conn).get_table_names() if schema.owns(t)} & set(schema.metadata.tables)
            if existing:
                raise StoreError(f"the database at {shown_uri} holds tables ({', '.join(sorted(existing))}) but no "
                                 f"jurist schema version in {schema.version_table}; point the URI at an empty "
                                 "database")
            schema.metadata.create_all(conn)
            version = _version_table(schema)
            version.create(conn)
            conn.execute(version.insert().values(version_num=schema.head))
            return
        upgrade(conn, schema, current, shown_uri)

    write(engine, _do, what="set up its tables", label=schema.label)


def alembic_config(schema: Schema, conn: Connection | None = None) -> Any:
    """Alembic's Config for ``schema``'s migrations, on ``conn`` when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(schema.migrations))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection, schema: Schema, current: str, shown_uri: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(schema, conn)
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    if current not in known:
        raise StoreError(f"the {schema.label} at {shown_uri} has schema revision {current!r}, newer than this "
                         f"jurist knows ({schema.head}); upgrade jurist to use it")
    log.info("upgrading the %s at %s from %s to %s", schema.label, shown_uri, current, schema.head)
    command.upgrade(cfg, "head")


def run_alembic_env(schema: Schema) -> None:
    """The body of a migration folder's ``env.py``: run on the connection jurist hands over, or on
    ``-x url=...`` when Alembic is run by hand."""
    from alembic import context

    config = context.config

    def _run(connection: Any) -> None:
        context.configure(
            connection=connection,
            target_metadata=schema.metadata,
            version_table=schema.version_table,
            # Only this stream's tables: another stream's in the same database are its own business.
            include_name=lambda name, type_, _parent: type_ != "table" or schema.owns(str(name)),
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database URL: alembic -x url=sqlite:///jurist.db upgrade head")
    engine = create_engine(normalise_db_uri(url))
    with engine.begin() as conn:
        _run(conn)
