"""The Judge Builder UI: pages served by ``jurist server`` at ``/``.

Server-rendered pages over the same store, gateway and judges as the REST API, in the same process and
behind the same auth. Assets ship inside the package; nothing is fetched from a CDN.

Each section of the UI is a module with a ``router(ui)`` function; :func:`create_ui` includes them in
the order of :data:`SECTIONS`. A new section is one more entry there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # FastAPI comes in with the server: `jurist report` renders a run without it
    from fastapi import APIRouter

    from jurist.tracking._store import Store
    from jurist.ui._context import UI

#: The UI's sections, by module of ``jurist.ui``; each has ``router(ui: UI) -> APIRouter``.
SECTIONS = [
    "_assets",
    "_auth",
    "_experiments",
    "_traces",
    "_judges",
    "_judge_runs",
    "_evaluations",
    "_labels",
]


def create_ui(store: Store, monitors: dict[str, Any], *, token: str | None = None, gateway: Any = None) -> APIRouter:
    """The UI's router over ``store``: mount it last, at ``/``, so that every other path matches first.

    ``monitors`` are the server's running monitors by id (schedules made here show in ``/api/monitors``);
    ``token`` is the server token (None: no sign-in); ``gateway`` the mounted AI Gateway, whose endpoints
    the judge builder offers as models.

    Example:
        >>> app.include_router(create_ui(store, monitors, token="s3cret"))   # doctest: +SKIP
    """
    import importlib

    from fastapi import APIRouter

    from jurist.ui._context import UI

    ui = UI(store=store, monitors=monitors, token=token or None, gateway=gateway)
    pages = APIRouter(include_in_schema=False)
    for name in SECTIONS:
        pages.include_router(importlib.import_module(f"jurist.ui.{name}").router(ui))
    return pages


def __getattr__(name: str) -> Any:
    if name == "UI":
        from jurist.ui._context import UI

        return UI
    raise AttributeError(f"module 'jurist.ui' has no attribute {name!r}")


__all__ = ["SECTIONS", "UI", "create_ui"]
