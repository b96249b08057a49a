"""The one SQL layer under the tracking store and the gateway's tables, on SQLite and PostgreSQL: the same
pragmas and foreign keys for both, reads that wait out a busy database, a statement timeout that ends as a
StoreError, and URIs shown without their password."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from jurist import _db
from jurist.errors import ConfigError, StoreError
from jurist.gateway import _db as gateway_db
from jurist.gateway._store import GatewayStore
from jurist.tracking import SqlStore
from jurist.tracking import _engine as tracking_db
from tests._postgres import fresh_database

SECRET = "Zx9-pa55-w0rd"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (127.0.0.1:5432, or JURIST_TEST_POSTGRES_URL), dropped afterwards."""
    with fresh_database("jurist_db_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jurist.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# -- safe_uri -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("uri", [
    f"postgresql+psycopg://jurist:{SECRET}@db.internal:5432/jurist",
    f"postgresql://jurist:{SECRET}@db.internal/jurist?sslmode=require",
    f"http://jurist:{SECRET}@tracking.internal:5000",
    f"postgresql+psycopg://jurist:{SECRET}@[not-a-host/jurist",     # does not parse
    f"postgresql+psycopg://jurist:{SECRET}@db.internal@other/jurist",  # an @ in the wrong place
    f"postgresql://db.internal/jurist?user=jurist&password={SECRET}",  # the password as a parameter
    f"host=db.internal user=jurist password={SECRET} dbname=jurist",  # a libpq keyword string
    f"not a uri at all jurist:{SECRET}@db.internal",
])
def test_safe_uri_never_shows_the_password(uri: str) -> None:
    shown = _db.safe_uri(uri)
    assert SECRET not in shown
    assert "db.internal" in shown or "tracking.internal" in shown or "not-a-host" in shown
    assert tracking_db.safe_uri(uri) == shown and gateway_db.shown(uri) == shown


def test_a_store_uri_that_cannot_be_read_is_named_without_its_password() -> None:
    with pytest.raises(ConfigError) as info:
        _db.make_engine(f"not a uri jurist:{SECRET}@db.internal")
    assert SECRET not in str(info.value) and "db.internal" in str(info.value)


def test_a_store_opened_on_postgresql_is_named_without_its_password(postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    with_password = make_url(postgres_url).set(password=SECRET).render_as_string(hide_password=False)
    store = SqlStore(with_password)  # the server trusts every local connection: the password is not checked
    try:
        assert SECRET not in store.uri and SECRET not in repr(store.engine.url)
    finally:
        store.close()


# -- the same engine set-up for both stores ----------------------------------------------------------
def test_foreign_keys_are_enforced_in_the_gateway_store(db_uri: str) -> None:
    store = GatewayStore(db_uri)
    suffix = uuid.uuid4().hex[:8]
    parent, child = f"fk_parent_{suffix}", f"fk_child_{suffix}"
    try:
        gateway_db.write(store.engine, lambda c: (
            c.execute(text(f"CREATE TABLE {parent} (id INTEGER PRIMARY KEY)")),
            c.execute(text(f"CREATE TABLE {child} (id INTEGER PRIMARY KEY, "
                           f"parent_id INTEGER NOT NULL REFERENCES {parent} (id))")),
        ), what="make tables")
        gateway_db.write(store.engine, lambda c: c.execute(text(f"INSERT INTO {parent} (id) VALUES (1)")),
                         what="insert a parent")
        gateway_db.write(store.engine, lambda c: c.execute(text(f"INSERT INTO {child} VALUES (1, 1)")),
                         what="insert a child")
        with pytest.raises(StoreError, match="the gateway store could not insert an orphan") as info:
            gateway_db.write(store.engine, lambda c: c.execute(text(f"INSERT INTO {child} VALUES (2, 99)")),
                             what="insert an orphan")
        assert isinstance(info.value.__cause__, IntegrityError)
    finally:
        gateway_db.write(store.engine, lambda c: (c.execute(text(f"DROP TABLE IF EXISTS {child}")),
                                                  c.execute(text(f"DROP TABLE IF EXISTS {parent}"))),
                         what="drop tables")
        store.close()


def _sqlite_settings(conn: Connection) -> tuple[Any, ...]:
    return tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                 for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"))


def test_both_stores_open_sqlite_the_same_way(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'jurist.db'}"
    tracking, gateway = SqlStore(uri), GatewayStore(uri)
    try:
        settings = tracking_db.read(tracking.engine, _sqlite_settings, what="read its settings")
        assert settings == ("wal", 1, 1, int(_db.BUSY_TIMEOUT_S * 1000))  # synchronous=1 is NORMAL
        assert gateway_db.read(gateway.engine, _sqlite_settings, what="read its settings") == settings
    finally:
        tracking.close()
        gateway.close()


# -- reads wait out a busy database ------------------------------------------------------------------
@pytest.mark.parametrize("read", [tracking_db.read, gateway_db.read], ids=["tracking", "gateway"])
def test_a_read_on_a_locked_sqlite_database_is_tried_again(read: Any, tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy import event

    path = tmp_path / "jurist.db"
    GatewayStore(f"sqlite:///{path}").close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("SELECT count(*) FROM gateway_state").fetchall()  # in WAL mode before it locks
    # A connection in exclusive locking mode that has written keeps every other connection out, readers too.
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE gateway_state SET version = version")
    holder.execute("COMMIT")
    engine = _db.make_engine(f"sqlite:///{path}", busy_timeout_s=0.05)
    failures: list[BaseException] = []

    @event.listens_for(engine, "handle_error")
    def _failed(ctx: Any) -> None:  # SQLAlchemy's own hook: the first attempt found the database locked
        failures.append(ctx.original_exception)
        if len(failures) == 1:
            holder.execute("PRAGMA locking_mode=NORMAL")
            holder.execute("SELECT count(*) FROM gateway_state").fetchall()  # the lock goes at the next read

    try:
        count = read(engine, lambda c: int(c.execute(text("SELECT count(*) FROM gateway_secrets")).scalar_one()),
                     what="count secrets")
        assert count == 0
        assert len(failures) == 1 and "locked" in str(failures[0])
    finally:
        engine.dispose()
        holder.close()


@pytest.mark.parametrize("read", [tracking_db.read, gateway_db.read], ids=["tracking", "gateway"])
def test_a_read_whose_postgresql_connection_drops_is_tried_again(read: Any, postgres_url: str) -> None:
    engine = _db.make_engine(postgres_url)
    calls = []

    def once_dropped(conn: Connection) -> int:
        calls.append(1)
        if len(calls) == 1:  # the server ends this connection, as a restart or a failover would
            conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return int(conn.execute(text("SELECT 41 + 1")).scalar_one())

    try:
        assert read(engine, once_dropped, what="add") == 42
        assert len(calls) == 2
    finally:
        engine.dispose()


def test_a_read_from_a_database_that_is_down_is_tried_once_more_then_fails() -> None:
    from sqlalchemy import event

    engine = _db.make_engine("postgresql+psycopg://postgres@127.0.0.1:1/jurist")  # nothing listens on port 1
    attempts: list[BaseException] = []
    event.listen(engine, "handle_error", lambda ctx: attempts.append(ctx.original_exception))
    try:
        with pytest.raises(StoreError, match=r"the gateway store could not read its counter: .*refused"):
            gateway_db.read(engine, lambda c: c.execute(text("SELECT 1")), what="read its counter")
        assert len(attempts) == 2  # a reader learns at once that the database is down
    finally:
        engine.dispose()


# -- the statement timeout ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tracking", "gateway"])
def test_a_runaway_query_on_postgresql_ends_as_a_store_error(kind: str, postgres_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_db.STATEMENT_TIMEOUT_ENV, "1")
    store: Any = SqlStore(postgres_url) if kind == "tracking" else GatewayStore(postgres_url)
    read = tracking_db.read if kind == "tracking" else gateway_db.read
    try:
        with pytest.raises(StoreError, match=r"could not search traces: the query ran longer than the statement "
                                             r"timeout \(1 s\).*JURIST_DB_STATEMENT_TIMEOUT_S"):
            read(store.engine, lambda c: c.execute(text("SELECT pg_sleep(30)")), what="search traces")
        assert read(store.engine, lambda c: c.execute(text("SELECT 1")).scalar_one(), what="read") == 1
    finally:
        store.close()


def test_the_statement_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_db.STATEMENT_TIMEOUT_ENV, raising=False)
    assert _db.statement_timeout_s() == _db.DEFAULT_STATEMENT_TIMEOUT_S
    monkeypatch.setenv(_db.STATEMENT_TIMEOUT_ENV, "0")
    assert _db.statement_timeout_s() is None
    monkeypatch.setenv(_db.STATEMENT_TIMEOUT_ENV, "2.5")
    assert _db.statement_timeout_s() == 2.5
    for bad in ("soon", "-1"):
        monkeypatch.setenv(_db.STATEMENT_TIMEOUT_ENV, bad)
        with pytest.raises(ConfigError, match=_db.STATEMENT_TIMEOUT_ENV):
            _db.statement_timeout_s()


def test_a_new_postgresql_store_migrates_under_a_short_statement_timeout(monkeypatch: pytest.MonkeyPatch,
                                                                        postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    name = f"jurist_db_m_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    monkeypatch.setenv(_db.STATEMENT_TIMEOUT_ENV, "1")
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        SqlStore(url).close()
        GatewayStore(url).close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the gateway's migrations build what its code uses -----------------------------------------------
def test_the_gateway_migrations_build_the_same_tables_as_its_code(db_uri: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    if db_uri.startswith("postgresql"):
        engine = create_engine(db_uri)
        with engine.begin() as conn:  # start from no gateway tables
            for table in ("gateway_usage", "gateway_state", "gateway_endpoints", "gateway_clients",
                          "gateway_secrets", gateway_db.VERSION_TABLE):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    else:
        engine = create_engine(db_uri)
    with engine.begin() as conn:
        command.upgrade(_db.alembic_config(gateway_db.SCHEMA, conn), "head")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_name": lambda n, t, _p: t != "table" or
                                                     str(n).startswith("gateway_")})
        assert compare_metadata(ctx, gateway_db.metadata) == []
        assert conn.execute(text(f"SELECT version_num FROM {gateway_db.VERSION_TABLE}")).scalar() == \
            gateway_db.HEAD_REVISION
    engine.dispose()
    GatewayStore(db_uri).close()  # the store opens the tables the migrations made as they are
