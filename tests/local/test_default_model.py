"""Which model judges when none is named: env, then an OpenAI key, then the local model, else an error."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jurist.errors import ConfigError
from jurist.models import default_model
from jurist.models._uri import _notice

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_configured_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURIST_DEFAULT_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def tiny_gguf(tmp_path: Path) -> Path:
    f = tmp_path / "tiny.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 64)
    return f


@pytest.fixture
def fake_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``xllamacpp`` that is found but must never be imported when a default is picked."""
    site = tmp_path / "fake_runtime"
    (site / "xllamacpp").mkdir(parents=True)
    (site / "xllamacpp" / "__init__.py").write_text("raise RuntimeError('xllamacpp imported while choosing a model')\n")
    if "xllamacpp" not in sys.modules:
        monkeypatch.syspath_prepend(str(site))
    return site


def test_jurist_default_model_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_DEFAULT_MODEL", "anthropic:/claude-sonnet-4")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert default_model() == "anthropic:/claude-sonnet-4"


def test_an_openai_key_picks_gpt_4o_mini(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path, fake_runtime: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(tiny_gguf))  # installed, but the key comes first
    assert default_model() == "openai:/gpt-4o-mini"


def test_the_local_model_when_installed_with_a_notice(
    monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path, fake_runtime: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(tiny_gguf))
    _notice.cache_clear()
    with caplog.at_level(logging.WARNING, logger="jurist"):
        assert default_model() == "local:/default"
        assert default_model() == "local:/default"
    notes = [r.getMessage() for r in caplog.records if r.name == "jurist"]
    assert len(notes) == 1
    assert "tiny.gguf" in notes[0] and "JURIST_DEFAULT_MODEL" in notes[0] and "\n" not in notes[0]


def test_nothing_available_names_both_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_LOCAL_MODEL", "off")
    with pytest.raises(ConfigError) as err:
        default_model()
    msg = str(err.value)
    assert "OPENAI_API_KEY" in msg and "JURIST_DEFAULT_MODEL" in msg and "pip install 'jurist[local]'" in msg


def test_a_local_model_setting_that_names_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   fake_runtime: Path) -> None:
    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(tmp_path / "gone.gguf"))
    with pytest.raises(ConfigError, match="names no usable GGUF file"):
        default_model()


def test_a_judge_without_a_model_in_a_fresh_process(tiny_gguf: Path, fake_runtime: Path) -> None:
    """One notice per process, the local model named, and neither llama_cpp nor the model loaded."""
    code = textwrap.dedent("""
        import sys
        from jurist.judges import Correctness
        a, b = Correctness(), Correctness(name="again")
        print(a.model, b.model, "xllamacpp" in sys.modules)
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "JURIST_DEFAULT_MODEL")}
    env["JURIST_LOCAL_MODEL"] = str(tiny_gguf)
    env["PYTHONPATH"] = os.pathsep.join([str(fake_runtime), str(ROOT / "src")])
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["local:/default", "local:/default", "False"]
    notices = [line for line in out.stderr.splitlines() if "judging with the embedded local model" in line]
    assert len(notices) == 1, out.stderr
