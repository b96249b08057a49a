"""``jurist gateway``: serve the AI Gateway alone, from a YAML configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jurist.cli._errors import fail, reported


def gateway_command(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option(
        "--config", "-c", help="The gateway's YAML configuration (watched: edits apply without a restart).",
        metavar="FILE",
    )],
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port to listen on.")] = 5001,
) -> None:
    """Serve the AI Gateway: endpoints that hold the keys, route traffic, fall back, and count cost."""
    with reported(ctx):
        try:
            import fastapi  # noqa: F401
            import uvicorn  # noqa: F401
            import yaml  # noqa: F401
        except ImportError as e:
            raise fail(f"the gateway needs packages that are not installed ({e.name}): "
                       "pip install 'jurist[gateway]'") from None
        from jurist.gateway import serve

        serve(config, host=host, port=port)
