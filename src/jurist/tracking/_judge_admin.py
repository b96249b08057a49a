"""Removing registered judges from the store (what ``delete_scorer`` does)."""

from __future__ import annotations

from typing import Any

from jurist.errors import ConfigError, NotFoundError


def delete_judge(store: Any, name: str, version: int | None = None) -> int:
    """Delete every version of the judge ``name`` (or only ``version``); returns how many were deleted."""
    engine = getattr(store, "engine", None)
    if engine is None and hasattr(store, "_call"):  # a jurist server's client
        from urllib.parse import quote

        answer = store._call("DELETE", f"/api/judges/{quote(name, safe='')}",
                             query={"version": version} if version is not None else None)
        return int(answer["deleted"])
    if engine is None:
        raise ConfigError(f"deleting a registered scorer needs a database or a jurist server; {store.uri} is neither")
    from sqlalchemy import delete

    from jurist.tracking import _engine
    from jurist.tracking._schema import judges

    q = delete(judges).where(judges.c.name == name)
    if version is not None:
        q = q.where(judges.c.version == version)
    deleted: int = _engine.write(engine, lambda c: c.execute(q).rowcount, what="delete a registered judge")
    if not deleted:
        raise NotFoundError(f"no registered scorer named {name!r}" + (f" at version {version}" if version else ""))
    return deleted
