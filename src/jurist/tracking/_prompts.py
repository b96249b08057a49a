"""The prompt registry in the SQL store: the ``prompts``, ``prompt_versions`` and ``prompt_aliases`` tables.

A prompt is a name with tags; each registration adds version ``n + 1``, and a version is never changed
afterwards (MLflow's guarantee). An alias (``production``, ``staging`` …) points at one version and may be
moved. Values are JSON text, as everywhere in the store. Against a ``jurist server`` the same functions go
over its ``/api/prompts`` routes.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import _engine
from jurist.tracking._entities import dumps, loads
from jurist.tracking._schema import prompt_aliases, prompt_versions, prompts

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,255}$")
_ALIAS = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


def _now() -> int:
    return int(time.time() * 1000)


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"a prompt name is letters, digits, '_', '-' and '.', starting with a letter or digit; "
                          f"got {name!r}")
    return name


def check_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.lower() == "latest" or alias.isdigit():
        raise ConfigError(f"an alias is letters, digits, '_' and '-', not a number and not 'latest' (which always "
                          f"means the newest version); got {alias!r}")
    return alias


def _engine_of(store: Any) -> Any:
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ConfigError(f"the prompt registry needs a database or a jurist server; {store.uri} is neither")
    return engine


def _remote(store: Any) -> bool:
    return getattr(store, "engine", None) is None and hasattr(store, "_call")


def _path(*parts: Any) -> str:
    return "/api/prompts" + "".join("/" + quote(str(p), safe="") for p in parts)


def _version(r: Any, aliases: list[str]) -> dict[str, Any]:
    return {"name": r.name, "version": int(r.version), "template": loads(r.template),
            "commit_message": r.commit_message, "tags": loads(r.tags) or {},
            "response_format": loads(r.response_format), "model_config": loads(r.model_config),
            "creation_timestamp": r.creation_time_ms, "aliases": sorted(aliases)}


def _prompt(r: Any, latest: int | None) -> dict[str, Any]:
    return {"name": r.name, "description": r.description, "tags": loads(r.tags) or {},
            "creation_timestamp": r.creation_time_ms, "last_updated_timestamp": r.last_update_time_ms,
            "latest_version": latest}


def register(store: Any, name: str, template: Any, commit_message: str | None, tags: dict[str, str],
             response_format: Any = None, model_config: Any = None) -> dict[str, Any]:
    """Add the next version of prompt ``name`` (creating the prompt on its first version)."""
    check_name(name)
    if _remote(store):
        return store._call("POST", _path(name, "versions"), {  # type: ignore[no-any-return]
            "template": template, "commit_message": commit_message, "tags": dict(tags),
            "response_format": response_format, "model_config": model_config}, idempotent=False)
    now = _now()

    def _do(conn: Connection) -> int:
        q = select(prompts.c.last_version).where(prompts.c.name == name)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            conn.execute(prompts.insert().values(name=name, description=commit_message, tags="{}",
                                                 creation_time_ms=now, last_update_time_ms=now, last_version=0))
        version = 1 if row is None else int(row.last_version) + 1
        conn.execute(prompt_versions.insert().values(
            name=name, version=version, template=dumps(template), commit_message=commit_message,
            tags=dumps(dict(tags)), response_format=dumps(response_format) if response_format is not None else None,
            model_config=dumps(model_config) if model_config is not None else None, creation_time_ms=now))
        conn.execute(update(prompts).where(prompts.c.name == name).values(last_update_time_ms=now,
                                                                          last_version=version))
        return version

    # Two writers adding a first version at once: one wins the primary key, the other retries as version 2.
    version = _engine.write(_engine_of(store), _do, what="register a prompt", integrity_retry=True)
    return get_version(store, name, version=version)


def _resolve(conn: Connection, name: str, version: int | None, alias: str | None) -> int | None:
    if alias is not None and alias.lower() != "latest":
        row = conn.execute(select(prompt_aliases.c.version).where(prompt_aliases.c.name == name,
                                                                  prompt_aliases.c.alias == alias)).first()
        return None if row is None else int(row.version)
    if version is not None:
        return int(version)
    latest = conn.execute(select(func.max(prompt_versions.c.version)).where(prompt_versions.c.name == name)).scalar()
    return None if latest is None else int(latest)


def get_version(store: Any, name: str, *, version: int | None = None, alias: str | None = None) -> dict[str, Any]:
    """One version: by number, by alias (``latest`` is the newest), or the newest when neither is given."""
    if _remote(store):
        query = {k: v for k, v in (("version", version), ("alias", alias)) if v is not None}
        return store._call("GET", _path(name, "version"), query=query)  # type: ignore[no-any-return]

    def _do(conn: Connection) -> dict[str, Any] | None:
        n = _resolve(conn, name, version, alias)
        if n is None:
            return None
        row = conn.execute(select(prompt_versions).where(prompt_versions.c.name == name,
                                                         prompt_versions.c.version == n)).first()
        if row is None:
            return None
        names = conn.execute(select(prompt_aliases.c.alias).where(prompt_aliases.c.name == name,
                                                                  prompt_aliases.c.version == n)).scalars().all()
        return _version(row, list(names))

    found = _engine.read(_engine_of(store), _do, what="read a prompt")
    if found is None:
        which = f"alias {alias!r}" if alias is not None else f"version {version}" if version is not None else "a version"
        raise NotFoundError(f"prompt {name!r} has no {which} in {store.uri}; search_prompts() lists the prompts "
                            "it holds")
    return found


def versions(store: Any, name: str) -> list[dict[str, Any]]:
    """Every version of a prompt, oldest first."""
    if _remote(store):
        return store._call("GET", _path(name, "versions"))  # type: ignore[no-any-return]

    def _do(conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(select(prompt_versions).where(prompt_versions.c.name == name)
                            .order_by(prompt_versions.c.version)).all()
        by_version: dict[int, list[str]] = {}
        for a in conn.execute(select(prompt_aliases).where(prompt_aliases.c.name == name)).all():
            by_version.setdefault(int(a.version), []).append(a.alias)
        return [_version(r, by_version.get(int(r.version), [])) for r in rows]

    return _engine.read(_engine_of(store), _do, what="list prompt versions")


def search(store: Any) -> list[dict[str, Any]]:
    """Every prompt (name, description, tags, latest version), by name."""
    if _remote(store):
        return store._call("GET", _path())  # type: ignore[no-any-return]

    def _do(conn: Connection) -> list[dict[str, Any]]:
        latest = dict(conn.execute(select(prompt_versions.c.name, func.max(prompt_versions.c.version))
                                   .group_by(prompt_versions.c.name)).all())
        rows = conn.execute(select(prompts).order_by(prompts.c.name)).all()
        return [_prompt(r, latest.get(r.name)) for r in rows]

    return _engine.read(_engine_of(store), _do, what="list prompts")


def set_alias(store: Any, name: str, alias: str, version: int) -> None:
    check_alias(alias)
    if _remote(store):
        store._call("PUT", _path(name, "aliases", alias), {"version": int(version)})
        return

    def _do(conn: Connection) -> None:
        if conn.execute(select(prompt_versions.c.version).where(prompt_versions.c.name == name,
                                                                prompt_versions.c.version == int(version))).first() is None:
            raise NotFoundError(f"prompt {name!r} has no version {version} in {store.uri}")
        conn.execute(delete(prompt_aliases).where(prompt_aliases.c.name == name, prompt_aliases.c.alias == alias))
        conn.execute(prompt_aliases.insert().values(name=name, alias=alias, version=int(version)))

    _engine.write(_engine_of(store), _do, what="set a prompt alias", integrity_retry=True)


def delete_alias(store: Any, name: str, alias: str) -> None:
    if _remote(store):
        store._call("DELETE", _path(name, "aliases", alias))
        return

    def _do(conn: Connection) -> int:
        return int(conn.execute(delete(prompt_aliases).where(prompt_aliases.c.name == name,
                                                             prompt_aliases.c.alias == alias)).rowcount)

    if not _engine.write(_engine_of(store), _do, what="delete a prompt alias"):
        raise NotFoundError(f"prompt {name!r} has no alias {alias!r} in {store.uri}")


def set_tags(store: Any, name: str, tags: dict[str, Any], drop: list[str]) -> None:
    """Change a prompt's own tags (a version's tags, like its template, never change)."""
    if _remote(store):
        store._call("PATCH", _path(name, "tags"), {"tags": dict(tags), "drop": list(drop)})
        return

    def _do(conn: Connection) -> None:
        row = conn.execute(select(prompts.c.tags).where(prompts.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no prompt named {name!r} in {store.uri}")
        current = {**(loads(row.tags) or {}), **{k: str(v) for k, v in tags.items()}}
        for k in drop:
            current.pop(k, None)
        conn.execute(update(prompts).where(prompts.c.name == name).values(tags=dumps(current),
                                                                          last_update_time_ms=_now()))

    _engine.write(_engine_of(store), _do, what="tag a prompt")


def remove(store: Any, name: str, version: int | None = None) -> None:
    """Delete one version (and the aliases pointing at it), or the whole prompt when ``version`` is None."""
    if _remote(store):
        store._call("DELETE", _path(name) if version is None else _path(name, "versions", version))
        return

    def _do(conn: Connection) -> int:
        if version is None:
            conn.execute(delete(prompt_aliases).where(prompt_aliases.c.name == name))
            conn.execute(delete(prompt_versions).where(prompt_versions.c.name == name))
            return int(conn.execute(delete(prompts).where(prompts.c.name == name)).rowcount)
        conn.execute(delete(prompt_aliases).where(prompt_aliases.c.name == name,
                                                  prompt_aliases.c.version == int(version)))
        return int(conn.execute(delete(prompt_versions).where(prompt_versions.c.name == name,
                                                              prompt_versions.c.version == int(version))).rowcount)

    if not _engine.write(_engine_of(store), _do, what="delete a prompt"):
        what = f"version {version} of prompt {name!r}" if version is not None else f"prompt {name!r}"
        raise NotFoundError(f"no {what} in {store.uri}")
