"""``jurist.reset()`` forgets what code set for the process: a ``set_tracking_uri(...)`` and an active
experiment stop applying, the stores they opened are closed, and ``$JURIST_TRACKING_URI`` applies again."""

from __future__ import annotations

from pathlib import Path

import pytest

import jurist
from jurist.judges import Safety
from jurist.tracking import SqlStore, get_store, get_tracking_uri
from jurist.tracking._store import active_experiment_name
from tests.fakes.openai import FakeOpenAI
from tests.tracking._db import count

ROWS = [{"inputs": {"question": "q"}, "outputs": "a"}]


def test_a_tracking_uri_set_in_code_is_forgotten_by_reset(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI) -> None:
    env_db, set_db = tmp_path / "env.db", tmp_path / "set.db"
    monkeypatch.setenv("JURIST_TRACKING_URI", f"sqlite:///{env_db}")
    jurist.reset()
    jurist.set_tracking_uri(set_db)
    jurist.set_experiment("set-in-code")
    assert get_tracking_uri() == f"sqlite:///{set_db.resolve()}"
    store = get_store()
    assert isinstance(store, SqlStore)
    jurist.evaluate(ROWS, [Safety()], progress=False)
    assert count(f"sqlite:///{set_db}", "SELECT count(*) FROM runs") == 1

    jurist.reset()
    assert get_tracking_uri() == f"sqlite:///{env_db}" and active_experiment_name() is None
    assert get_store() is not store  # the store the old URI opened is not handed out again
    jurist.evaluate(ROWS, [Safety()], progress=False)
    assert count(f"sqlite:///{env_db}", "SELECT count(*) FROM runs") == 1
    assert count(f"sqlite:///{env_db}", "SELECT count(*) FROM experiments WHERE name = 'set-in-code'") == 0
    assert count(f"sqlite:///{set_db}", "SELECT count(*) FROM runs") == 1  # nothing more went there


def test_set_tracking_uri_none_and_reset_both_go_back_to_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    jurist.reset()
    jurist.set_tracking_uri("http://127.0.0.1:5999")
    assert get_tracking_uri() == "http://127.0.0.1:5999"
    jurist.set_tracking_uri(None)
    assert get_tracking_uri() == f"sqlite:///{tmp_path / 'env.db'}"
    jurist.set_tracking_uri("http://127.0.0.1:5999")
    jurist.reset()
    assert get_tracking_uri() == f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.delenv("JURIST_TRACKING_URI")
    jurist.reset()  # the variable is read again: without it, ./jurist.db
    assert get_tracking_uri() == f"sqlite:///{Path('jurist.db').resolve()}"
