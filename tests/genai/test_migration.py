"""Revision 0002 (evaluation datasets): a store made at 0001, with data in it, is upgraded when opened,
keeps its data, and holds datasets — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jurist.tracking import SqlStore
from jurist.tracking._engine import alembic_config, normalise_db_uri
from jurist.tracking._schema import HEAD_REVISION
from tests.tracking.conftest import postgres_url  # noqa: F401 - fixture
from tests.tracking.test_migrations import _fresh_url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_from_0001_keeps_data_and_adds_datasets(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from alembic import command

    url = _fresh_url(kind, tmp_path, request)
    engine = create_engine(normalise_db_uri(url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("INSERT INTO experiments (experiment_id, name, creation_time_ms, tags) "
                          "VALUES ('e1', 'kept', 1, '{}')"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()

    store = SqlStore(url)  # opening upgrades it
    assert store.get_experiment("e1").name == "kept"
    from jurist.tracking import _datasets

    meta = _datasets.create(store, "golden", ["e1"], {"v": "1"}, "tester")
    _datasets.merge(store, meta["dataset_id"], [{"inputs": {"q": "a"}, "expectations": {"x": 1}}], "tester")
    _datasets.merge(store, meta["dataset_id"], [{"inputs": {"q": "a"}, "expectations": {"y": 2}}], "tester")
    (record,) = _datasets.records(store, meta["dataset_id"])
    assert record["expectations"] == {"x": 1, "y": 2}
    store.close()
    engine = create_engine(normalise_db_uri(url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    with engine.begin() as conn:  # and back down: the downgrades drop only their own tables
        command.downgrade(alembic_config(conn), "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM experiments")).scalar() == "kept"
    engine.dispose()
