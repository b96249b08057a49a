"""The tracking store's tables on the shared SQL layer (:mod:`jurist._db`): its :data:`SCHEMA`, and the
engine, transaction and migration functions bound to it.

Everything about engines, pragmas, busy retries, the statement timeout and migrating under a lock is
:mod:`jurist._db`'s, and the same for the gateway's tables; this module only names the tracking store's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from jurist import _db
from jurist._db import BUSY_TIMEOUT_S, normalise_db_uri, safe_uri
from jurist.tracking._schema import HEAD_REVISION, metadata

T = TypeVar("T")

LABEL = "tracking store"
SCHEMA = _db.Schema(
    label=LABEL,
    metadata=metadata,
    version_table="alembic_version",
    migrations=Path(__file__).resolve().parent / "_migrations",
    head=HEAD_REVISION,
    lock_key=7_352_001,
)

__all__ = ["BUSY_TIMEOUT_S", "SCHEMA", "alembic_config", "make_engine", "migrate", "migrations_dir",
           "normalise_db_uri", "read", "safe_uri", "upgrade", "write"]


def make_engine(uri: str) -> Engine:
    return _db.make_engine(uri, label=LABEL, other_forms=", or http://host:port for a jurist server")


def write(engine: Engine, fn: Callable[[Connection], T], *, what: str, integrity_retry: bool = False) -> T:
    """Run ``fn`` in one write transaction; retry it whole while the database is busy or a race lost."""
    return _db.write(engine, fn, what=what, label=LABEL, integrity_retry=integrity_retry)


def read(engine: Engine, fn: Callable[[Connection], T], *, what: str) -> T:
    """Run ``fn`` in one read transaction; retry it while the database is busy or the connection dropped."""
    return _db.read(engine, fn, what=what, label=LABEL)


def migrate(engine: Engine, shown_uri: str) -> None:
    """Bring the store's schema to :data:`HEAD_REVISION` (see :func:`jurist._db.migrate`)."""
    _db.migrate(engine, SCHEMA, shown_uri)


def migrations_dir() -> Path:
    return SCHEMA.migrations


def alembic_config(conn: Connection | None = None) -> Any:
    """Alembic's Config for the migrations shipped in this package, on ``conn`` when given."""
    return _db.alembic_config(SCHEMA, conn)


def upgrade(conn: Connection, current: str, shown_uri: str) -> None:
    _db.upgrade(conn, SCHEMA, current, shown_uri)
