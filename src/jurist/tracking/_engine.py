"""Opening a SQL store: the engine (SQLite tuned for many writers, or PostgreSQL), migrations on open, and
write transactions that wait out a busy database instead of failing.

SQLite runs in WAL mode (readers never block the writer), ``synchronous=NORMAL``, and every write
transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the busy timeout rather
than fail when a read lock cannot be upgraded. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Column, MetaData, String, Table, create_engine, event, inspect, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from jurist.errors import ConfigError, StoreError
from jurist.tracking._schema import HEAD_REVISION, metadata

log = logging.getLogger("jurist.tracking")

T = TypeVar("T")

#: How long a write waits for a busy database before it gives up (seconds).
BUSY_TIMEOUT_S = 60.0
_PG_MIGRATION_LOCK = 7_352_001

_version_meta = MetaData()
alembic_version = Table(
    "alembic_version", _version_meta,
    Column("version_num", String(32), primary_key=True),
)


def normalise_db_uri(uri: str) -> str:
    """A SQLAlchemy URL for ``uri``: a path means SQLite; ``postgresql://`` means psycopg 3."""
    if "://" not in uri:
        return f"sqlite:///{Path(uri).expanduser().resolve()}"
    scheme, rest = uri.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return uri


def safe_uri(uri: str) -> str:
    """``uri`` with any password hidden, for messages."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # not a database URL (an http:// store): hide the password of user:password@ still
        return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", uri)


def make_engine(uri: str) -> Engine:
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigError(
            f"cannot read the tracking URI {uri!r}; use a path or sqlite:///path/to/jurist.db, "
            "postgresql+psycopg://user@host/db, or http://host:port for a jurist server"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                "a PostgreSQL store needs psycopg; install it with: pip install 'jurist[postgres]'"
            ) from None
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise ConfigError(f"unsupported tracking store {backend!r}; use SQLite or PostgreSQL (postgresql+psycopg://…)")


def _sqlite_engine(url: Any) -> Engine:
    database = url.database
    memory = not database or database == ":memory:"
    if not memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}}
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
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("jurist_write") else "BEGIN")

    return engine


def _retryable(exc: BaseException, integrity: bool) -> bool:
    if isinstance(exc, IntegrityError):
        return integrity
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in text or "busy" in text:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return bool(exc.connection_invalidated or code in ("40001", "40P01") or "connection" in text)
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return False


def write(engine: Engine, fn: Callable[[Connection], T], *, what: str, integrity_retry: bool = False) -> T:
    """Run ``fn`` in one write transaction; retry it whole while the database is busy or a race lost."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.02
    while True:
        try:
            with engine.connect() as conn:
                conn.execution_options(jurist_write=True)
                with conn.begin():
                    return fn(conn)
        except (OperationalError, IntegrityError, DBAPIError) as e:
            if not _retryable(e, integrity_retry) or time.monotonic() > deadline:
                raise StoreError(f"the tracking store could not {what}: {e.orig if e.orig is not None else e}") from e
            log.debug("retrying %s after %s", what, e)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def read(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    """Run ``fn`` on a connection for reading; a dropped connection is tried once more."""
    for attempt in (1, 2):
        try:
            with engine.connect() as conn:
                return fn(conn)
        except DBAPIError as e:
            if attempt == 1 and (e.connection_invalidated or _retryable(e, False)):
                continue
            raise StoreError(f"the tracking store could not {what}: {e.orig if e.orig is not None else e}") from e
    raise AssertionError("unreachable")


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(select(alembic_version.c.version_num)).scalar()


def migrate(engine: Engine, shown_uri: str) -> None:
    """Bring the store's schema to :data:`HEAD_REVISION`: build it when empty, else run Alembic's upgrades.

    Safe when several processes open a new store at once: the work is done under SQLite's write lock
    or a PostgreSQL advisory lock, and whoever comes second finds it done.
    """
    try:
        if read(engine, _current_revision, what="read its schema version") == HEAD_REVISION:
            return
    except StoreError as e:
        raise StoreError(f"cannot open the tracking store at {shown_uri}: {e}") from e

    def _do(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        current = _current_revision(conn)
        if current == HEAD_REVISION:
            return
        if current is None:
            existing = set(inspect(conn).get_table_names()) & set(metadata.tables)
            if existing:
                raise StoreError(f"the database at {shown_uri} holds tables ({', '.join(sorted(existing))}) but no "
                                 "jurist schema version; point the tracking URI at an empty database")
            # A new store: build the schema in one go, then record its revision (Alembic's "stamp").
            metadata.create_all(conn)
            _version_meta.create_all(conn)
            conn.execute(alembic_version.insert().values(version_num=HEAD_REVISION))
            return
        upgrade(conn, current, shown_uri)

    write(engine, _do, what="set up its tables")


def migrations_dir() -> Path:
    return Path(__file__).resolve().parent / "_migrations"


def alembic_config(conn: Connection | None = None) -> Any:
    """Alembic's Config for the migrations shipped in this package, on ``conn`` when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection, current: str, shown_uri: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(conn)
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    if current not in known:
        raise StoreError(f"the store at {shown_uri} has schema revision {current!r}, newer than this jurist "
                         f"knows ({HEAD_REVISION}); upgrade jurist to use it")
    log.info("upgrading the tracking store at %s from %s to %s", shown_uri, current, HEAD_REVISION)
    command.upgrade(cfg, "head")
