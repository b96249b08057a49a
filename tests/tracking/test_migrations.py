"""Alembic's migrations build exactly the schema the code uses, and a store is set up when opened."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jurist.errors import StoreError
from jurist.tracking import SqlStore
from jurist.tracking._engine import alembic_config, normalise_db_uri
from jurist.tracking._schema import HEAD_REVISION, metadata


def _fresh_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    base = request.getfixturevalue("postgres_url")
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_m{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    request.addfinalizer(drop)
    return url.set(database=name).render_as_string(hide_password=False)


def test_the_migrations_head_is_the_codes_revision() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_alembic_builds_the_same_schema_as_the_code(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = _fresh_url(kind, tmp_path, request)
    engine = create_engine(normalise_db_uri(url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    engine.dispose()
    # A store made by the migrations opens as it is, and works.
    store = SqlStore(url)
    assert store.get_or_create_experiment("Default").experiment_id == "0"
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_opening_an_empty_database_builds_the_schema_and_stamps_it(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = _fresh_url(kind, tmp_path, request)
    SqlStore(url).close()
    SqlStore(url).close()  # the second open finds it done
    engine = create_engine(normalise_db_uri(url))
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata) == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    engine.dispose()


def test_a_store_from_a_newer_jurist_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    SqlStore(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this jurist knows"):
        SqlStore(url)


def test_a_foreign_database_is_not_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="no jurist schema version"):
        SqlStore(url)


def test_a_bad_uri_says_what_is_accepted() -> None:
    from jurist.errors import ConfigError

    with pytest.raises(ConfigError, match="unsupported tracking store 'mysql'"):
        SqlStore("mysql://root@127.0.0.1/test")
