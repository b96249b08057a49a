"""jurist's settings: every ``JURIST_*`` environment variable, read once into one frozen object.

The runtime (:mod:`jurist._runtime`) reads them on first use and keeps them until ``jurist.reset()``,
which reads them again. A bad value is a :class:`~jurist.errors.ConfigError` that names the variable and
the form it takes, raised by each use of that setting (a bad local-model variable does not stop an OpenAI
judge). ``docs/settings.md`` lists every variable.

The gateway's own variables (``JURIST_GATEWAY_DB``, ``JURIST_SECRET_KEY``, ``JURIST_REDIS_URL``,
``JURIST_GATEWAY_ADMIN_TOKEN``) are read once by the gateway when it starts (:class:`GatewayConfig`);
``JURIST_GATEWAY_URL`` and ``JURIST_GATEWAY_TOKEN`` are the ``gateway:/`` provider's base URL and key,
read when a client is made, like every provider's.

Example:
    >>> from jurist._settings import Settings
    >>> Settings.from_env({"JURIST_TIMEOUT": "30"}).timeout_s
    30.0
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from jurist.errors import ConfigError

T = TypeVar("T")
V = TypeVar("V")

ON = ("1", "true", "on", "yes")
OFF = ("0", "false", "off", "no")
RATIONALE_MODES = ("full", "short", "none")

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_IN_FLIGHT = 256
DEFAULT_MAX_CONCURRENCY = 32
DEFAULT_MAX_FIELD_CHARS = 20_000
DEFAULT_CACHE_MAX_ENTRIES = 10_000  # models/_cache.DEFAULT_MAX_ENTRIES
DEFAULT_TRACE_BUFFER_SIZE = 1000
DEFAULT_TRACKING_FLUSH_S = 0.25
DEFAULT_SERVER_MAX_BODY_MB = 64.0
#: How much a judge on the local model writes before its verdict, unless the judge says.
DEFAULT_LOCAL_RATIONALE = "short"


def _user_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("jurist"))


class _Reader:
    """Reads variables from one environment mapping, each parsed or refused with its accepted form."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def parse(self, name: str, accepted: str, convert: Callable[[str], V],
              check: Callable[[V], bool] = lambda _: True) -> V | None:
        """The variable converted and checked; None when it is not set."""
        raw = self.raw(name)
        if raw is None:
            return None
        try:
            value = convert(raw)
        except ValueError:
            raise ConfigError(f"{name} must be {accepted}, got {raw!r}") from None
        if not check(value):
            raise ConfigError(f"{name} must be {accepted}, got {raw!r}")
        return value

    def whole(self, name: str, default: T, minimum: int, accepted: str | None = None) -> int | T:
        value = self.parse(name, accepted or f"a whole number of at least {minimum}", int, lambda v: v >= minimum)
        return default if value is None else value

    def number(self, name: str, default: T, accepted: str) -> float | T:
        value = self.parse(name, accepted, float, lambda v: v > 0)
        return default if value is None else value

    def flag(self, name: str, default: T) -> bool | T:
        def convert(raw: str) -> bool:
            low = raw.lower()
            if low in ON:
                return True
            if low in OFF:
                return False
            raise ValueError(raw)

        value = self.parse(name, f"one of {', '.join(ON + OFF)}", convert)
        return default if value is None else value

    def path(self, name: str) -> Path | None:
        raw = self.raw(name)
        return Path(raw).expanduser() if raw is not None else None

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.parse(name, f"one of {', '.join(choices)}", str.lower, lambda v: v in choices)
        return default if value is None else value


@dataclass(frozen=True)
class Settings:
    """What the ``JURIST_*`` variables said when they were read (``None``: not set, the default applies).

    Made by :meth:`from_env`; owned by the runtime (``jurist._runtime.settings()``).
    """

    # -- models -------------------------------------------------------------------------------------
    #: The judge model when a judge names none (``JURIST_DEFAULT_MODEL``).
    default_model: str | None = None
    #: One model call's timeout in seconds (``JURIST_TIMEOUT``).
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: Requests in flight per provider connection; 429s lower it adaptively (``JURIST_MAX_IN_FLIGHT``).
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    #: Where the response cache lives (``JURIST_CACHE_DIR``, else the user cache dir).
    cache_dir: Path | None = None
    #: Answers the response cache keeps in memory (``JURIST_CACHE_MAX_ENTRIES``; 0 keeps none).
    cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES
    #: A Redis URL for a response cache shared by many processes (``JURIST_CACHE_URL``; None: on disk).
    cache_url: str | None = None
    # -- judges and evaluation ------------------------------------------------------------------------
    #: Judgments in flight at once (``JURIST_MAX_CONCURRENCY``).
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    #: The most characters of one judged value a judge is shown (``JURIST_MAX_FIELD_CHARS``).
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    #: The Ray cluster ``executor="ray"`` joins (``JURIST_RAY_ADDRESS``; ``ray_address=`` comes first).
    ray_address: str | None = None
    #: Rows per Ray task (``JURIST_RAY_PARTITION_ROWS``; None: from the concurrency and the cluster's CPUs).
    ray_partition_rows: int | None = None
    # -- tracking and tracing ---------------------------------------------------------------------
    #: The tracking store (``JURIST_TRACKING_URI``; ``set_tracking_uri`` comes first).
    tracking_uri: str | None = None
    #: The active experiment's name (``JURIST_EXPERIMENT_NAME``; ``set_experiment`` comes first).
    experiment_name: str | None = None
    #: The bearer token for a jurist server (``JURIST_TRACKING_TOKEN``, else ``JURIST_SERVER_TOKEN``).
    tracking_token: str | None = None
    #: Seconds before the run logger tries a failed store again (``JURIST_TRACKING_FLUSH_S``).
    tracking_flush_s: float = DEFAULT_TRACKING_FLUSH_S
    #: Finished traces kept in memory (``JURIST_TRACE_BUFFER_SIZE``).
    trace_buffer_size: int = DEFAULT_TRACE_BUFFER_SIZE
    #: Whether finished traces are written to the tracking store (``JURIST_STORE_TRACES``).
    store_traces: bool = True
    # -- server -------------------------------------------------------------------------------------
    #: The server's bearer token (``JURIST_SERVER_TOKEN``).
    server_token: str | None = None
    #: The largest request body the server takes, in MiB (``JURIST_SERVER_MAX_BODY_MB``).
    server_max_body_mb: float = DEFAULT_SERVER_MAX_BODY_MB
    #: The gateway YAML the server mounts at ``/gateway`` (``JURIST_GATEWAY_CONFIG``).
    gateway_config: Path | None = None
    # -- the local model ----------------------------------------------------------------------------
    #: What ``local:/default`` is, or ``off`` (``JURIST_LOCAL_MODEL``).
    local_model: str | None = None
    #: Where assembled local models live (``JURIST_MODEL_DIR``, else the user cache dir).
    model_dir: Path | None = None
    #: How much a local judge writes before its verdict (``JURIST_LOCAL_RATIONALE``).
    local_rationale: str = DEFAULT_LOCAL_RATIONALE
    #: CPU threads of the engine (``JURIST_LOCAL_THREADS``; None: every core).
    local_threads: int | None = None
    #: Tokens of context shared by the slots (``JURIST_LOCAL_CTX``).
    local_ctx: int | None = None
    #: Judgments the engine runs at once (``JURIST_LOCAL_SLOTS``; None: from cores and memory).
    local_slots: int | None = None
    #: llama.cpp's repacked weight layouts (``JURIST_LOCAL_EXTRA_BUFTS``; None: on unless the CPU has AMX).
    local_extra_bufts: bool | None = None
    #: Host memory for saved prompt states, in MiB (``JURIST_LOCAL_CACHE_RAM_MIB``).
    local_cache_ram_mib: int | None = None
    #: Restarts of a crashed engine (``JURIST_LOCAL_RESTARTS``).
    local_restarts: int | None = None
    #: Seconds the model may take to load (``JURIST_LOCAL_LOAD_TIMEOUT``).
    local_load_timeout_s: float | None = None
    #: Seconds one local judgment may wait (``JURIST_LOCAL_TIMEOUT``).
    local_timeout_s: float | None = None
    #: llama.cpp's log level in the engine log (``JURIST_LOCAL_LOG_LEVEL``).
    local_log_level: int | None = None
    #: ``JURIST_LOCAL_PREFILL``: a verdict's fixed text is written, not decoded (on).
    local_prefill: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``JURIST_*`` variable of ``environ`` (default: the process environment)."""
        r = _Reader(os.environ if environ is None else environ)
        secs = "a positive number of seconds"
        readers: dict[str, Callable[[], Any]] = {
            "default_model": lambda: r.raw("JURIST_DEFAULT_MODEL"),
            "timeout_s": lambda: r.number("JURIST_TIMEOUT", DEFAULT_TIMEOUT_S, secs),
            "max_in_flight": lambda: r.whole("JURIST_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT, 1),
            "cache_dir": lambda: r.path("JURIST_CACHE_DIR"),
            "cache_max_entries": lambda: r.whole("JURIST_CACHE_MAX_ENTRIES", DEFAULT_CACHE_MAX_ENTRIES, 0),
            "cache_url": lambda: r.raw("JURIST_CACHE_URL"),
            "max_concurrency": lambda: r.whole("JURIST_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1),
            "max_field_chars": lambda: r.whole("JURIST_MAX_FIELD_CHARS", DEFAULT_MAX_FIELD_CHARS, 1,
                                    "a whole number of characters of at least 1"),
            "ray_address": lambda: r.raw("JURIST_RAY_ADDRESS"),
            "ray_partition_rows": lambda: r.whole("JURIST_RAY_PARTITION_ROWS", None, 1),
            "tracking_uri": lambda: r.raw("JURIST_TRACKING_URI"),
            "experiment_name": lambda: r.raw("JURIST_EXPERIMENT_NAME"),
            "tracking_token": lambda: r.raw("JURIST_TRACKING_TOKEN") or r.raw("JURIST_SERVER_TOKEN"),
            "tracking_flush_s": lambda: r.number("JURIST_TRACKING_FLUSH_S", DEFAULT_TRACKING_FLUSH_S, secs),
            "trace_buffer_size": lambda: r.whole("JURIST_TRACE_BUFFER_SIZE", DEFAULT_TRACE_BUFFER_SIZE, 1),
            "store_traces": lambda: r.flag("JURIST_STORE_TRACES", True),
            "server_token": lambda: r.raw("JURIST_SERVER_TOKEN"),
            "server_max_body_mb": lambda: r.number("JURIST_SERVER_MAX_BODY_MB", DEFAULT_SERVER_MAX_BODY_MB,
                                        "a positive number of megabytes"),
            "gateway_config": lambda: r.path("JURIST_GATEWAY_CONFIG"),
            "local_model": lambda: r.raw("JURIST_LOCAL_MODEL"),
            "model_dir": lambda: r.path("JURIST_MODEL_DIR"),
            "local_rationale": lambda: r.choice("JURIST_LOCAL_RATIONALE", DEFAULT_LOCAL_RATIONALE, RATIONALE_MODES),
            "local_threads": lambda: r.whole("JURIST_LOCAL_THREADS", None, 0),
            "local_ctx": lambda: r.whole("JURIST_LOCAL_CTX", None, 256, "a whole number of tokens of at least 256"),
            "local_slots": lambda: r.whole("JURIST_LOCAL_SLOTS", None, 0, "a whole number from 1 to 64 (0: automatic)"),
            "local_extra_bufts": lambda: r.flag("JURIST_LOCAL_EXTRA_BUFTS", None),
            "local_cache_ram_mib": lambda: r.whole("JURIST_LOCAL_CACHE_RAM_MIB", None, 0),
            "local_restarts": lambda: r.whole("JURIST_LOCAL_RESTARTS", None, 0),
            "local_load_timeout_s": lambda: r.number("JURIST_LOCAL_LOAD_TIMEOUT", None, secs),
            "local_timeout_s": lambda: r.number("JURIST_LOCAL_TIMEOUT", None, secs),
            "local_log_level": lambda: r.whole("JURIST_LOCAL_LOG_LEVEL", None, 0, "a whole number from 0 (errors) to 4"),
            "local_prefill": lambda: r.flag("JURIST_LOCAL_PREFILL", True),
        }
        values: dict[str, Any] = {}
        problems: dict[str, ConfigError] = {}
        for name, read in readers.items():
            try:
                values[name] = read()
            except ConfigError as e:  # raised where the setting is used, not by every call
                problems[name] = e
        if problems:
            return _Unusable(problems, **values)
        return cls(**values)

    # -- derived ------------------------------------------------------------------------------------
    @property
    def response_cache_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else _user_cache_dir()

    @property
    def local_model_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else _user_cache_dir() / "models"

    @property
    def local_model_off(self) -> bool:
        """``JURIST_LOCAL_MODEL=off``: no local model as the default judge model, even when installed."""
        return (self.local_model or "").lower() in LOCAL_OFF_VALUES


class _Unusable(Settings):
    """Settings where some variables did not parse: reading one of those raises its ConfigError, so that a
    bad variable fails the calls that need it and no other."""

    def __init__(self, problems: dict[str, ConfigError], **values: Any) -> None:
        super().__init__(**values)
        object.__setattr__(self, "_problems", problems)

    def __getattribute__(self, name: str) -> Any:
        problem = object.__getattribute__(self, "_problems").get(name)
        if problem is not None:
            raise problem
        return object.__getattribute__(self, name)


#: ``JURIST_LOCAL_MODEL`` values that turn the local model off as the default judge model.
LOCAL_OFF_VALUES = ("off", "none", "0", "false")
