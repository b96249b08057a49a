"""The gateway's tables (``gateway_*``), the engine that holds them, and their own Alembic migrations.

The tables live in the database named by ``JURIST_GATEWAY_DB``, else ``JURIST_TRACKING_URI`` (when it
names a database rather than a server), else ``./jurist.db``. They share it with the tracking store
without touching its tables: the gateway's migrations are a stream of their own, recorded in
``alembic_version_gateway``.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from jurist.errors import ConfigError, StoreError
from jurist.tracking._engine import normalise_db_uri

log = logging.getLogger("jurist.gateway")
T = TypeVar("T")

VERSION_TABLE = "alembic_version_gateway"
HEAD_REVISION = "g0001"
_PG_MIGRATION_LOCK = 7_352_101
BUSY_TIMEOUT_S = 30.0

metadata = MetaData()

#: Provider keys, encrypted: the value is only ever in ``ciphertext``.
secrets_table = Table(
    "gateway_secrets", metadata,
    Column("name", String(128), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: Client tokens, as SHA-256 hashes.
clients_table = Table(
    "gateway_clients", metadata,
    Column("name", String(128), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

#: Endpoints made over the admin API: their configuration as JSON (key references, never keys).
endpoints_table = Table(
    "gateway_endpoints", metadata,
    Column("name", String(128), primary_key=True),
    Column("spec", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: One row whose ``version`` goes up with every admin change, so that other replicas reload.
state_table = Table(
    "gateway_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

#: One row per request: who called which endpoint, which target answered, tokens, cost, latency, status.
usage_table = Table(
    "gateway_usage", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("endpoint", String(128), nullable=False),
    Column("target", String(256)),
    Column("client", String(128), nullable=False),
    Column("status", Integer, nullable=False),
    Column("error_code", String(64)),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("cost_usd", Float),
    Column("latency_ms", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("stream", Boolean, nullable=False),
    Index("ix_gateway_usage_ts", "ts"),
    Index("ix_gateway_usage_endpoint_ts", "endpoint", "ts"),
    Index("ix_gateway_usage_client_ts", "client", "ts"),
)


def database_uri(explicit: str | None = None) -> str:
    """The gateway's database: ``explicit``, ``JURIST_GATEWAY_DB``, a database ``JURIST_TRACKING_URI``, ./jurist.db."""
    uri = explicit or os.environ.get("JURIST_GATEWAY_DB", "").strip()
    if not uri:
        tracking = os.environ.get("JURIST_TRACKING_URI", "").strip()
        if tracking and not tracking.startswith(("http://", "https://")):
            uri = tracking
    return normalise_db_uri(uri or "jurist.db")


def shown(uri: str) -> str:
    """``uri`` with its password hidden, for messages."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return "(the gateway database)"


def make_engine(uri: str) -> Engine:
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigError(
            f"cannot read the gateway database URI {shown(uri)!r}: use a path, sqlite:///path/to/jurist.db "
            "or postgresql+psycopg://user@host/db (in JURIST_GATEWAY_DB)"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if backend != "sqlite":
        raise ConfigError(f"unsupported gateway database {backend!r}; use SQLite or PostgreSQL")
    memory = not url.database or url.database == ":memory:"
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}}
    if memory:
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
    else:
        Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN is said below, IMMEDIATE for writes
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("gateway_write") else "BEGIN")

    return engine


def _busy(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        msg = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        return "locked" in msg or "busy" in msg or bool(exc.connection_invalidated)
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def write(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    """Run ``fn`` in one write transaction, waiting out a busy database."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.02
    while True:
        try:
            with engine.connect() as conn:
                conn.execution_options(gateway_write=True)
                with conn.begin():
                    return fn(conn)
        except DBAPIError as e:
            if not _busy(e) or time.monotonic() > deadline:
                raise StoreError(f"the gateway store could not {what}: {e.orig if e.orig is not None else e}") from e
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


def read(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    try:
        with engine.connect() as conn, conn.begin():
            return fn(conn)
    except DBAPIError as e:
        raise StoreError(f"the gateway store could not {what}: {e.orig if e.orig is not None else e}") from e


def _revision(conn: Connection) -> str | None:
    from sqlalchemy import inspect

    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def migrations_dir() -> Path:
    return Path(__file__).resolve().parent / "_migrations"


def migrate(engine: Engine) -> None:
    """Bring the ``gateway_*`` tables to :data:`HEAD_REVISION` with Alembic (under a lock: replicas may race)."""
    if read(engine, _revision, what="read its schema version") == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    def _do(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        if _revision(conn) == HEAD_REVISION:
            return
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    write(engine, _do, what="set up its tables")
    log.debug("gateway tables migrated to %s", HEAD_REVISION)
