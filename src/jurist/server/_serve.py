"""Serving the app with uvicorn: in the foreground (``jurist server``), or on a thread (tests, notebooks)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from jurist.server._app import create_app


def serve(host: str = "127.0.0.1", port: int = 5000, store_uri: str | None = None, *,
          token: str | None = None, log_level: str = "info", gateway_config: str | None = None) -> None:
    """Serve the REST API and OTLP intake (and the AI Gateway at /gateway, given its config) until interrupted."""
    uvicorn.run(create_app(store_uri, token=token, gateway_config=gateway_config), host=host, port=port,
                log_level=log_level)


class ServerThread:
    """The server on a background thread; ``port=0`` takes a free port. A context manager.

    Example:
        >>> with ServerThread("sqlite:///jurist.db") as server:     # doctest: +SKIP
        ...     jurist.set_tracking_uri(server.url)
    """

    def __init__(self, store_uri: str | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, **app_kwargs: Any) -> None:
        self.app = create_app(store_uri, token=token, **app_kwargs)
        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="jurist-server", daemon=True)
        self.host = host

    @property
    def port(self) -> int:
        servers = getattr(self.server, "servers", None) or []
        for srv in servers:
            for sock in srv.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("the server is not listening yet")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the jurist server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        store = getattr(self.app.state, "store", None)
        if store is not None:
            store.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
