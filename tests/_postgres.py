"""A fresh PostgreSQL database for store tests: 127.0.0.1:5432, or ``$JURIST_TEST_POSTGRES_URL``.

Where the server cannot be reached, the tests that need it fail under CI (``$CI`` or the variable set)
and are skipped elsewhere, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("JURIST_TEST_POSTGRES_URL") or DEFAULT_PG


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URL of a new database named ``<prefix>_<pid>_<random>``, dropped on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url().replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:
        engine.dispose()
        msg = f"PostgreSQL is not reachable at {admin.render_as_string(hide_password=True)}: {e}"
        if os.environ.get("CI") or os.environ.get("JURIST_TEST_POSTGRES_URL"):
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
