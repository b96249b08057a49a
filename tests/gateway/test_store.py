"""The gateway's tables: their own migration stream beside the tracking store's, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from jurist.gateway._db import HEAD_REVISION, VERSION_TABLE
from jurist.gateway._store import GatewayStore, UsageRecord
from tests._postgres import fresh_database

GATEWAY_TABLES = {"gateway_secrets", "gateway_clients", "gateway_endpoints", "gateway_state", "gateway_usage"}


def test_the_gateway_and_the_tracking_store_share_a_database(tmp_path: Path) -> None:
    from jurist.tracking import SqlStore

    uri = f"sqlite:///{tmp_path / 'jurist.db'}"
    GatewayStore(uri).close()
    tracking = SqlStore(uri)  # its migrations run over a database that already holds the gateway's tables
    tracking.close()
    again = GatewayStore(uri)  # and the gateway's find theirs done
    again.close()
    engine = create_engine(uri)
    names = set(inspect(engine).get_table_names())
    assert names >= GATEWAY_TABLES and "experiments" in names
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD_REVISION
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_the_default_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jurist.gateway._db import database_uri

    monkeypatch.delenv("JURIST_GATEWAY_DB")
    monkeypatch.setenv("JURIST_TRACKING_URI", f"sqlite:///{tmp_path / 'tracking.db'}")
    assert database_uri() == f"sqlite:///{tmp_path / 'tracking.db'}"
    monkeypatch.setenv("JURIST_TRACKING_URI", "http://tracking.example:5000")  # a server, not a database
    monkeypatch.chdir(tmp_path)
    assert database_uri() == f"sqlite:///{tmp_path.resolve() / 'jurist.db'}"
    monkeypatch.setenv("JURIST_GATEWAY_DB", "postgresql://u@h/db")
    assert database_uri() == "postgresql+psycopg://u@h/db"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (127.0.0.1:5432, or JURIST_TEST_POSTGRES_URL), dropped afterwards."""
    with fresh_database("jurist_gw_test") as url:
        yield url


def test_the_store_on_postgresql(postgres_url: str) -> None:
    store = GatewayStore(postgres_url)
    try:
        assert GatewayStore(postgres_url).version() == 0  # a second opener finds the tables made
        store.put_secret("k", "sk-postgres-secret-value")
        assert store.load_secrets() == ({"k": "sk-postgres-secret-value"}, {})
        token = store.create_client("ci")
        assert store.client_hashes() and store.client_by_hash("0" * 64) is None
        assert token.startswith("jgw-")
        now = time.time()
        store.insert_usage([UsageRecord(now, "e", "t", "ci", 200 if i % 4 else 502, None, 10, 5, 0.5, float(i), 1,
                                        False) for i in range(1, 101)])
        (group,) = store.usage_summary(group_by=["endpoint", "client"])
        assert (group["requests"], group["errors"], group["cost_usd"]) == (100, 25, 50.0)
        assert group["latency_ms"]["p50"] == pytest.approx(50.5)
        assert store.version() == 2
        with store.engine.connect() as conn:
            assert "sk-postgres-secret-value" not in str(list(conn.execute(text("SELECT * FROM gateway_secrets"))))
    finally:
        store.close()
