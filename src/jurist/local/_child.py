"""The engine's child process: llama.cpp's own server (from ``xllamacpp``) on a loopback port.

Started by :class:`jurist.local._engine.LocalEngine` as ``python -m jurist.local._child`` with its
settings as JSON in ``JURIST_LOCAL_CHILD``. It loads the model, prints one JSON line on stdout
(``{"event": "ready", "address": ...}`` or ``{"event": "error", "message": ...}``) and serves until its
stdin closes, which happens when the parent exits or dies: a child never outlives its judge.

Native code runs only here. A crash of llama.cpp (a segfault, an illegal instruction on an older CPU, the
kernel's OOM killer) ends this process, never the user's; the parent sees the connection drop and turns
it into an error on the judgments in flight.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

#: The pipe to the parent. llama.cpp logs to stdout as well as stderr, so fd 1 is pointed at the engine
#: log (stderr) and the parent's pipe is kept on a descriptor of its own.
_PIPE: Any = None


def _say(event: dict[str, Any]) -> None:
    _PIPE.write(json.dumps(event) + "\n")
    _PIPE.flush()


def _params(x: Any, cfg: dict[str, Any]) -> Any:
    p = x.CommonParams()
    p.model.path = cfg["model"]
    p.n_parallel = int(cfg["slots"])
    # One KV cache shared by every slot: a long prompt may use what short ones leave free.
    p.kv_unified = True
    p.n_ctx = int(cfg["n_ctx"])
    p.n_batch = int(cfg["n_batch"])
    p.cpuparams.n_threads = int(cfg["threads"])
    p.cpuparams_batch.n_threads = int(cfg["threads"])
    p.hostnames = ["127.0.0.1"]
    p.port = 0  # a free port, reported back as the listening address
    p.api_keys = [cfg["api_key"]]
    p.cache_ram_mib = int(cfg["cache_ram_mib"])
    # Idle slots keep their prompts: the parent places each judgment on the slot that holds its judge's
    # instructions (llama.cpp would otherwise move idle slots' prompts to the host-memory cache, from which
    # only one slot at a time can take a prompt back), and copies a slot's state to others through files
    # in this private folder.
    p.cache_idle_slots = False
    if cfg.get("slot_dir"):
        p.slot_save_path = str(cfg["slot_dir"])
    p.no_extra_bufts = not _extra_bufts(x, cfg)
    p.endpoint_metrics = True
    p.verbosity = int(cfg.get("verbosity", 2))
    p.warmup = False  # the first judgment warms it; loading stays as short as it can be
    p.sampling.seed = 0
    return p


def _extra_bufts(x: Any, cfg: dict[str, Any]) -> bool:
    """Repacked weights unless asked otherwise, or unless both this llama.cpp build and the CPU have AMX:
    llama.cpp's AMX repacking crashes on some CPUs (its issue 20824)."""
    wanted = cfg.get("extra_bufts")
    if wanted is not None:
        return bool(wanted)
    return not (cfg.get("cpu_amx") and "AMX" in x.get_system_info())


def main() -> int:
    global _PIPE
    sys.stdout.flush()
    _PIPE = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    raw = os.environ.pop("JURIST_LOCAL_CHILD", "")
    try:
        cfg = json.loads(raw)
    except ValueError:
        _say({"event": "error", "message": "JURIST_LOCAL_CHILD is not the engine's JSON settings"})
        return 2
    try:
        import xllamacpp as x
    except ImportError as e:
        _say({"event": "error", "message": f"xllamacpp is not importable: {e}"})
        return 2
    try:
        server = x.Server(_params(x, cfg))
        address = server.listening_address
    except Exception as e:
        _say({"event": "error", "message": f"{type(e).__name__}: {e}"})
        return 1
    if not address:
        _say({"event": "error", "message": "llama.cpp could not load the model (see the engine log)"})
        return 1
    _say({"event": "ready", "address": address, "pid": os.getpid(), "system_info": x.get_system_info()})
    try:
        sys.stdin.buffer.read()  # until the parent closes the pipe or dies
    except (OSError, KeyboardInterrupt):
        pass
    # Skip the server's destructor: nothing is left to flush, and the parent may be waiting.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
