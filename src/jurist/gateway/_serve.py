"""``jurist gateway``: the gateway alone, under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("jurist.gateway")


def serve(config: str | Path, *, host: str = "127.0.0.1", port: int = 5001, log_level: str = "info") -> None:
    """Check everything that can be checked first (the file, the store, Redis), then serve until interrupted."""
    import uvicorn

    from jurist.gateway._app import create_gateway_app

    app = create_gateway_app(config, standalone=True)
    gw: Any = app.state.gateway
    gw.preflight()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = ", ".join(e.name for e in gw.config.endpoints) or "none in the file"
    log.info("jurist gateway on http://%s:%d (endpoints: %s; store: %s)", host, port, names, gw.store.shown_uri)
    # Every request is recorded in the usage table; an access log line per request would only cost time.
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on")
