"""The server's routes, one router per resource; :func:`jurist.server.create_app` assembles them.

Each module has one ``router(...)`` function that takes what its routes work on (the store, the
running monitors) and returns an :class:`fastapi.APIRouter` with paths relative to ``/api`` (OTLP's
are absolute: ``/v1/traces``). Auth and error answers are the app's, not the routers'.
"""

from __future__ import annotations

from jurist.server.routers import (
    datasets,
    experiments,
    judges,
    monitors,
    otlp,
    prompts,
    runs,
    trace_changes,
    traces,
)

__all__ = ["datasets", "experiments", "judges", "monitors", "otlp", "prompts", "runs", "trace_changes", "traces"]
