"""``jurist server``: the tracking store's REST API and OTLP/HTTP trace intake, served by uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from jurist.cli._errors import fail, reported, stderr_console


def server_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port to listen on.")] = 5000,
    backend_store_uri: Annotated[str | None, typer.Option(
        "--backend-store-uri",
        help="The database to serve: sqlite:///path/to/jurist.db or postgresql+psycopg://user@host/db. "
             "Default: $JURIST_TRACKING_URI, else ./jurist.db.",
        show_default=False, metavar="URI",
    )] = None,
    gateway_config: Annotated[str | None, typer.Option(
        "--gateway-config",
        help="Mount the AI Gateway at /gateway with this YAML config (default: $JURIST_GATEWAY_CONFIG).",
        show_default=False, metavar="FILE",
    )] = None,
) -> None:
    """Serve the tracking store: REST API (docs at /docs), OTLP trace intake at /v1/traces.

    With JURIST_SERVER_TOKEN set, every request needs 'Authorization: Bearer <token>'.

    Example: jurist server --port 5000 --backend-store-uri postgresql+psycopg://jurist@db/jurist
    """
    with reported(ctx):
        try:
            from jurist.server._serve import serve
        except ImportError as e:
            raise fail(f"the server needs FastAPI and uvicorn ({e}); install them with: pip install 'jurist[server]'") \
                from None
        from jurist._runtime import settings
        from jurist.tracking._engine import safe_uri
        from jurist.tracking._store import get_tracking_uri

        uri = backend_store_uri or get_tracking_uri()
        token = settings().server_token
        url = f"http://{host}:{port}"
        typer.echo(f"jurist server on {url} · store {safe_uri(uri)} · UI {url}/ · OTLP {url}/v1/traces · "
                   f"API docs {url}/docs · "
                   f"auth {'on' if token else 'off'}")
        if not token and host not in ("127.0.0.1", "localhost", "::1"):
            stderr_console().print(f"Warning: {host} is reachable from other machines and no JURIST_SERVER_TOKEN is "
                                   "set: anyone who reaches it can read and write the store.", style="yellow")
        configured = settings().gateway_config
        gateway = gateway_config or (str(configured) if configured is not None else None)
        if gateway:
            typer.echo(f"AI Gateway at {url}/gateway (config {gateway})")
        serve(host, port, uri, gateway_config=gateway)
