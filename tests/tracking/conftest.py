"""Stores for the tracking tests: each test gets a fresh SQLite file, a clean PostgreSQL database, and a
jurist server's REST client (the store suite runs on all three).

PostgreSQL runs at 127.0.0.1:5432 (``$JURIST_TEST_POSTGRES_URL`` overrides it). A uniquely named
database is made for the test session and dropped after it. Where the server cannot be reached, the
PostgreSQL tests fail under CI (``$CI`` set) and are skipped elsewhere, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jurist.tracking import SqlStore, Store, set_tracking_uri
from jurist.tracking._store import set_active_experiment
from tests._postgres import fresh_database

TABLES = ("run_metric_history", "prompt_aliases", "prompt_versions", "prompts", "dataset_records", "datasets", "assessments", "run_rows", "spans", "trace_tags", "traces", "runs", "judges", "experiments")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with fresh_database("jurist_test") as url:
        yield url


def _clean_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URI of an empty store, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    SqlStore(url).close()  # the schema is built once; each test starts from empty tables
    _clean_postgres(url)
    yield url
    _clean_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql", "rest"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store: SQLite, PostgreSQL, and the REST client of a jurist server (over SQLite)."""
    if request.param == "rest":
        from jurist.server._serve import ServerThread
        from jurist.tracking import RestStore

        with ServerThread(f"sqlite:///{tmp_path / 'served.db'}", token="") as server:
            client = RestStore(server.url)
            yield client
            client.close()
        return
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        uri = request.getfixturevalue("postgres_url")
        SqlStore(uri).close()
        _clean_postgres(uri)
    s = SqlStore(uri)
    yield s
    s.close()
    if request.param == "postgresql":
        _clean_postgres(uri)


@pytest.fixture
def tracking(store_uri: str) -> Iterator[str]:
    """``set_tracking_uri(store_uri)`` for the test, undone after it."""
    set_tracking_uri(store_uri)
    set_active_experiment(None)
    yield store_uri
    set_tracking_uri(None)
    set_active_experiment(None)
