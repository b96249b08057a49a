"""``/static/…``: the UI's own stylesheet and script, shipped in the package (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from jurist.ui._context import HERE

_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png"}


def router(_ui: object) -> APIRouter:
    r = APIRouter()
    static = HERE / "static"
    files = {p.name: p for p in static.iterdir() if p.suffix in _TYPES}  # read once: a fixed set, no path walking

    @r.get("/static/{name}")
    def asset(name: str) -> Response:
        path = files.get(name)
        if path is None:
            raise HTTPException(404, f"no UI asset named {name!r}")
        return Response(path.read_bytes(), media_type=_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})

    return r
