"""The jurist server: a REST API over the tracking store, and OTLP/HTTP trace intake at ``/v1/traces``.

Run it with ``jurist server`` (FastAPI + uvicorn; ``pip install 'jurist[server]'``), or build the app
with :func:`create_app` and serve it yourself.

Example:
    >>> from jurist.server import create_app                 # doctest: +SKIP
    >>> app = create_app("postgresql+psycopg://jurist@db/jurist", token="s3cret")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jurist.server._app import create_app
    from jurist.server._serve import serve


def __getattr__(name: str) -> Any:
    if name not in ("create_app", "serve"):
        raise AttributeError(f"module 'jurist.server' has no attribute {name!r}")
    try:
        import importlib

        value = getattr(importlib.import_module("jurist.server._app" if name == "create_app" else
                                                "jurist.server._serve"), name)
    except ImportError as e:
        from jurist.errors import ConfigError

        raise ConfigError(f"the server needs FastAPI and uvicorn ({e}); install them with: "
                          "pip install 'jurist[server]'") from None
    return value


__all__ = ["create_app", "serve"]
