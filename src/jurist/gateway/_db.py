"""The gateway's tables (``gateway_*``) and their own Alembic migrations, on the shared SQL layer
(:mod:`jurist._db`: the same engine set-up, busy retries, statement timeout and locked migrations as
the tracking store's).

The tables live in the database named by ``JURIST_GATEWAY_DB``, else ``JURIST_TRACKING_URI`` (when it
names a database rather than a server), else ``./jurist.db``. They share it with the tracking store
without touching its tables: the gateway's migrations are a stream of their own, recorded in
``alembic_version_gateway``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

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
)
from sqlalchemy.engine import Connection, Engine

from jurist import _db
from jurist._db import normalise_db_uri

log = logging.getLogger("jurist.gateway")
T = TypeVar("T")

VERSION_TABLE = "alembic_version_gateway"
HEAD_REVISION = "g0001"
LABEL = "gateway store"

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


SCHEMA = _db.Schema(
    label=LABEL,
    metadata=metadata,
    version_table=VERSION_TABLE,
    migrations=Path(__file__).resolve().parent / "_migrations",
    head=HEAD_REVISION,
    lock_key=7_352_101,
    table_prefix="gateway_",
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
    return _db.safe_uri(uri)


def make_engine(uri: str) -> Engine:
    return _db.make_engine(uri, label="gateway database", other_forms=" (in JURIST_GATEWAY_DB)")


def write(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    """Run ``fn`` in one write transaction, waiting out a busy database."""
    return _db.write(engine, fn, what=what, label=LABEL)


def read(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    """Run ``fn`` in one read transaction, waiting out a busy database or a dropped connection."""
    return _db.read(engine, fn, what=what, label=LABEL)


def migrations_dir() -> Path:
    return SCHEMA.migrations


def migrate(engine: Engine) -> None:
    """Bring the ``gateway_*`` tables to :data:`HEAD_REVISION` (under a lock: replicas may race)."""
    _db.migrate(engine, SCHEMA, shown(str(engine.url)))
    log.debug("gateway tables at %s", HEAD_REVISION)
