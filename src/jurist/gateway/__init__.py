"""The AI Gateway: endpoints that hold the keys, route traffic, fall back, and count cost.

Judges (and the UI) call ``gateway:/<endpoint>`` and never see a provider key. Each endpoint splits
traffic between targets by weight, falls back in order on 429s, 5xx, timeouts and broken
connections, keeps to rate limits and budgets (shared through Redis by several replicas), and records
every request's tokens, cost and latency. It speaks OpenAI's Chat Completions (streaming too) and
MLflow's ``/gateway/<endpoint>/invocations``; endpoints, secrets and client tokens are managed over a
REST admin API, and changes apply without a restart.

Run it alone with ``jurist gateway --config gateway.yaml``, or mount it::

    from jurist.gateway import create_gateway_app
    app.mount("/gateway", create_gateway_app("gateway.yaml"))

Importing this package loads nothing heavy; FastAPI, SQLAlchemy and the rest come in when an app is made.
See ``docs/gateway.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from jurist.gateway._config import GatewayConfig
    from jurist.gateway._service import Gateway

__all__ = ["Gateway", "GatewayConfig", "create_gateway_app", "load_config", "serve"]


def create_gateway_app(config: Any = None, **kwargs: Any) -> FastAPI:
    """The gateway as a FastAPI app; see :func:`jurist.gateway._app.create_gateway_app`.

    Example:
        >>> app = create_gateway_app("gateway.yaml")      # doctest: +SKIP
    """
    from jurist.gateway._app import create_gateway_app as make

    return make(config, **kwargs)


def load_config(path: Any) -> GatewayConfig:
    """Read and validate a gateway YAML file (a ConfigError names the file, the field and what is allowed)."""
    from jurist.gateway._config import load_config as load

    return load(path)


def serve(config: Any, *, host: str = "127.0.0.1", port: int = 5001, log_level: str = "info") -> None:
    """Serve the gateway until interrupted (what ``jurist gateway`` runs).

    Example:
        >>> serve("gateway.yaml", port=5001)      # doctest: +SKIP
    """
    from jurist.gateway._serve import serve as run

    run(config, host=host, port=port, log_level=log_level)


def __getattr__(name: str) -> Any:
    if name == "Gateway":
        from jurist.gateway._service import Gateway

        return Gateway
    if name == "GatewayConfig":
        from jurist.gateway._config import GatewayConfig

        return GatewayConfig
    raise AttributeError(f"module 'jurist.gateway' has no attribute {name!r}")
