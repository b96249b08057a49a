"""The runtime owns the process state; the settings are read once, typed, and read again on reset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jurist
from jurist._runtime import RUNTIME
from jurist._settings import Settings
from jurist.errors import ConfigError
from jurist.models import ModelClient
from jurist.models._cache import ResponseCache
from jurist.models._client import shared
from jurist.tracking._store import get_tracking_uri, set_tracking_uri

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
SOURCE = Path(__file__).resolve().parents[1] / "src" / "jurist" / "_settings.py"


def test_defaults_and_typed_values() -> None:
    assert Settings.from_env({}) == Settings()
    s = Settings.from_env({
        "JURIST_TIMEOUT": "2.5", "JURIST_MAX_IN_FLIGHT": "8", "JURIST_CACHE_DIR": "~/c", "JURIST_STORE_TRACES": "off",
        "JURIST_LOCAL_RATIONALE": "None", "JURIST_LOCAL_SLOTS": "3", "JURIST_DEFAULT_MODEL": " anthropic:/x ",
        "JURIST_TRACKING_TOKEN": "", "JURIST_SERVER_TOKEN": "srv",
    })
    assert (s.timeout_s, s.max_in_flight, s.store_traces, s.local_rationale, s.local_slots) == (2.5, 8, False, "none", 3)
    assert s.cache_dir == Path("~/c").expanduser() and s.default_model == "anthropic:/x"
    assert s.tracking_token == "srv" and s.server_token == "srv"  # an empty variable is an unset one
    with pytest.raises(AttributeError):
        s.timeout_s = 1  # type: ignore[misc]  # assigning to a frozen field, on purpose


@pytest.mark.parametrize(("name", "value", "field", "accepted"), [
    ("JURIST_TIMEOUT", "soon", "timeout_s", "a positive number of seconds"),
    ("JURIST_TIMEOUT", "-1", "timeout_s", "a positive number of seconds"),
    ("JURIST_MAX_CONCURRENCY", "0", "max_concurrency", "a whole number of at least 1"),
    ("JURIST_MAX_IN_FLIGHT", "1.5", "max_in_flight", "a whole number of at least 1"),
    ("JURIST_CACHE_MAX_ENTRIES", "many", "cache_max_entries", "a whole number of at least 0"),
    ("JURIST_STORE_TRACES", "maybe", "store_traces", "one of 1, true, on, yes, 0, false, off, no"),
    ("JURIST_LOCAL_RATIONALE", "long", "local_rationale", "one of full, short, none"),
    ("JURIST_LOCAL_CTX", "128", "local_ctx", "a whole number of tokens of at least 256"),
    ("JURIST_SERVER_MAX_BODY_MB", "lots", "server_max_body_mb", "a positive number of megabytes"),
])
def test_a_bad_value_names_the_variable_and_its_form(name: str, value: str, field: str, accepted: str) -> None:
    s = Settings.from_env({name: value})
    with pytest.raises(ConfigError, match=re.escape(f"{name} must be {accepted}, got {value!r}")):
        getattr(s, field)
    assert s.tracking_flush_s == 0.25  # the other settings are usable


def test_settings_are_read_once_and_again_after_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_TIMEOUT", "7")  # set before first use: seen without a reset
    assert ModelClient("openai:/gpt-4o-mini").timeout == 7.0
    first = RUNTIME.settings
    monkeypatch.setenv("JURIST_TIMEOUT", "9")
    assert RUNTIME.settings is first and ModelClient("openai:/gpt-4o-mini").timeout == 7.0
    jurist.reset()
    assert RUNTIME.settings is not first and ModelClient("openai:/gpt-4o-mini").timeout == 9.0


def test_a_bad_variable_fails_the_calls_that_need_it_and_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_TIMEOUT", "lots")
    monkeypatch.setenv("JURIST_LOCAL_CTX", "tiny")
    with pytest.raises(ConfigError, match="JURIST_TIMEOUT must be a positive number of seconds, got 'lots'"):
        ModelClient("openai:/gpt-4o-mini")
    assert ModelClient("openai:/gpt-4o-mini", timeout=5).timeout == 5.0
    from jurist.local import EngineSettings

    with pytest.raises(ConfigError, match="JURIST_LOCAL_CTX must be a whole number of tokens"):
        EngineSettings.from_env()


def test_reset_forgets_the_process_state_but_keeps_loaded_local_models(tmp_path: Path) -> None:
    from jurist.local._engine import engines

    models = shared()
    models.limiter("openai|x").on_rate_limit(1.0)
    models.no_schema.add("openai|x|m")
    local = engines()
    set_tracking_uri(tmp_path / "set.db")
    assert get_tracking_uri().endswith("set.db")

    jurist.reset()
    assert shared() is not models and not shared().no_schema and shared().limiters == {}
    assert engines() is local  # a loaded model stays loaded
    assert not get_tracking_uri().endswith("set.db")  # back to JURIST_TRACKING_URI
    assert models.cache_dir is not None

    jurist.close()
    assert engines() is not local


def test_the_cache_follows_the_cache_dir_after_a_reset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path / "a"))
    jurist.reset()
    cache = shared().cache
    assert isinstance(cache, ResponseCache) and cache.path == tmp_path / "a" / "responses.sqlite"
    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path / "b"))
    jurist.reset()
    cache = shared().cache
    assert isinstance(cache, ResponseCache) and cache.path == tmp_path / "b" / "responses.sqlite"


def test_parts_are_made_once_and_closed_on_reset() -> None:
    made: list[object] = []
    closed: list[object] = []

    class Part:
        def __init__(self) -> None:
            made.append(self)

        def close(self) -> None:
            closed.append(self)

    one = RUNTIME.part("test-part", Part)
    assert RUNTIME.part("test-part", Part) is one and RUNTIME.peek("test-part") is one and made == [one]
    jurist.reset()
    assert closed == [one] and RUNTIME.peek("test-part") is None
    assert RUNTIME.part("test-part", Part) is not one


def test_every_variable_is_documented_once() -> None:
    read = set(re.findall(r'"(JURIST_[A-Z_]+)"', SOURCE.read_text()))
    rows = re.findall(r"^\| `(JURIST_[A-Z_]+)` \|", DOCS.read_text(), flags=re.M)
    assert len(rows) == len(set(rows))
    assert read <= set(rows), read - set(rows)
    used = set()
    for path in (SOURCE.parent).rglob("*.py"):
        used.update(re.findall(r"\b(JURIST_[A-Z][A-Z_]*[A-Z])\b", path.read_text()))
    internal = {"JURIST_ERROR", "JURIST_LOCAL_CHILD"}  # an error code; the engine's hand-off to its child
    assert used - internal <= set(rows), (used - internal) - set(rows)
