"""Evaluation datasets in the SQL store: the ``datasets`` and ``dataset_records`` tables.

A record is keyed by a hash of its ``inputs``; merging a record whose inputs are already there merges
its expectations and tags into the stored one and replaces its outputs when new ones are given, as
MLflow's ``merge_records`` does. Values are JSON text, as everywhere in the store.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import _engine
from jurist.tracking._entities import dumps, loads
from jurist.tracking._schema import dataset_records, datasets


def _now() -> int:
    return int(time.time() * 1000)


def inputs_hash(inputs: Any) -> str:
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _engine_of(store: Any) -> Any:
    engine = getattr(store, "engine", None)
    if engine is None:
        raise ConfigError(f"evaluation datasets need a database or a jurist server; {store.uri} is neither")
    return engine


def _remote(store: Any) -> bool:
    """A jurist server's client: the same calls go over its ``/api/datasets`` routes."""
    return getattr(store, "engine", None) is None and hasattr(store, "_call")


def _path(*parts: str) -> str:
    from urllib.parse import quote

    return "/api/datasets" + "".join("/" + quote(str(p), safe="") for p in parts)


def _dataset(r: Any) -> dict[str, Any]:
    return {"dataset_id": r.dataset_id, "name": r.name, "experiment_ids": loads(r.experiment_ids) or [],
            "tags": loads(r.tags) or {}, "created_time": r.created_time_ms, "last_update_time": r.last_update_time_ms,
            "created_by": r.created_by, "last_updated_by": r.last_updated_by}


def create(store: Any, name: str, experiment_ids: list[str], tags: dict[str, str], user: str | None) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("a dataset needs a non-empty name")
    if _remote(store):
        return store._call("POST", _path(), {"name": name, "experiment_ids": list(experiment_ids),  # type: ignore[no-any-return]
                                             "tags": dict(tags), "user": user}, idempotent=False)
    engine = _engine_of(store)
    now = _now()
    dataset_id = f"d-{uuid.uuid4().hex}"
    record: dict[str, Any] = {"dataset_id": dataset_id, "name": name, "experiment_ids": dumps(list(experiment_ids)),
              "tags": dumps(dict(tags)), "created_time_ms": now, "last_update_time_ms": now, "created_by": user,
              "last_updated_by": user}

    def _do(conn: Connection) -> None:
        if conn.execute(select(datasets.c.dataset_id).where(datasets.c.name == name)).first() is not None:
            raise ConfigError(f"a dataset named {name!r} exists already; get it with get_dataset(name={name!r})")
        conn.execute(datasets.insert().values(**record))

    _engine.write(engine, _do, what="create a dataset")
    return get(store, dataset_id=dataset_id)


def get(store: Any, *, name: str | None = None, dataset_id: str | None = None) -> dict[str, Any]:
    if (name is None) == (dataset_id is None):
        raise ConfigError("give one of name= and dataset_id=")
    if _remote(store):
        return store._call("GET", _path("by-name", name) if name is not None else _path(dataset_id))  # type: ignore[no-any-return, arg-type]
    col, value = (datasets.c.name, name) if name is not None else (datasets.c.dataset_id, dataset_id)
    row = _engine.read(_engine_of(store), lambda c: c.execute(select(datasets).where(col == value)).first(),
                       what="read a dataset")
    if row is None:
        raise NotFoundError(f"no dataset with {'name' if name is not None else 'id'} {value!r} in {store.uri}")
    return _dataset(row)


def search(store: Any) -> list[dict[str, Any]]:
    if _remote(store):
        return store._call("GET", _path())  # type: ignore[no-any-return]
    rows = _engine.read(_engine_of(store), lambda c: c.execute(
        select(datasets).order_by(datasets.c.last_update_time_ms.desc(), datasets.c.name)).all(), what="list datasets")
    return [_dataset(r) for r in rows]


def remove(store: Any, dataset_id: str) -> None:
    if _remote(store):
        store._call("DELETE", _path(dataset_id))
        return

    def _do(conn: Connection) -> int:
        conn.execute(delete(dataset_records).where(dataset_records.c.dataset_id == dataset_id))
        return int(conn.execute(delete(datasets).where(datasets.c.dataset_id == dataset_id)).rowcount)

    if not _engine.write(_engine_of(store), _do, what="delete a dataset"):
        raise NotFoundError(f"no dataset with id {dataset_id!r} in {store.uri}")


def set_tags(store: Any, dataset_id: str, tags: dict[str, Any], drop: list[str], user: str | None) -> None:
    if _remote(store):
        store._call("PATCH", _path(dataset_id, "tags"), {"tags": dict(tags), "drop": list(drop), "user": user})
        return

    def _do(conn: Connection) -> None:
        row = conn.execute(select(datasets.c.tags).where(datasets.c.dataset_id == dataset_id)).first()
        if row is None:
            raise NotFoundError(f"no dataset with id {dataset_id!r} in {store.uri}")
        current = {**(loads(row.tags) or {}), **{k: str(v) for k, v in tags.items()}}
        for k in drop:
            current.pop(k, None)
        conn.execute(update(datasets).where(datasets.c.dataset_id == dataset_id).values(
            tags=dumps(current), last_update_time_ms=_now(), last_updated_by=user))

    _engine.write(_engine_of(store), _do, what="tag a dataset")


def merge(store: Any, dataset_id: str, records: list[dict[str, Any]], user: str | None) -> None:
    """Insert new records and merge the ones whose inputs are already there."""
    if _remote(store):  # merging is idempotent: the same records again change nothing
        store._call("POST", _path(dataset_id, "records"), {"records": records, "user": user})
        return

    def _do(conn: Connection) -> None:
        if conn.execute(select(datasets.c.dataset_id).where(datasets.c.dataset_id == dataset_id)).first() is None:
            raise NotFoundError(f"no dataset with id {dataset_id!r} in {store.uri}")
        seq = conn.execute(select(func.max(dataset_records.c.seq)).where(
            dataset_records.c.dataset_id == dataset_id)).scalar()
        seq = -1 if seq is None else int(seq)
        now = _now()
        for rec in records:
            h = inputs_hash(rec["inputs"])
            old = conn.execute(select(dataset_records).where(dataset_records.c.dataset_id == dataset_id,
                                                             dataset_records.c.inputs_hash == h)).first()
            if old is None:
                seq += 1
                conn.execute(dataset_records.insert().values(
                    dataset_id=dataset_id, record_id=rec.get("dataset_record_id") or f"dr-{uuid.uuid4().hex}",
                    inputs_hash=h, inputs=dumps(rec["inputs"]), expectations=dumps(rec.get("expectations")),
                    outputs=dumps(rec.get("outputs")), tags=dumps(rec.get("tags") or {}),
                    source=dumps(rec.get("source")), seq=seq, create_time_ms=now, last_update_time_ms=now))
                continue
            expectations = {**(loads(old.expectations) or {}), **(rec.get("expectations") or {})} or None
            tags = {**(loads(old.tags) or {}), **(rec.get("tags") or {})}
            values: dict[str, Any] = {"expectations": dumps(expectations), "tags": dumps(tags),
                                      "last_update_time_ms": now}
            if rec.get("outputs") is not None:
                values["outputs"] = dumps(rec["outputs"])
            if rec.get("source") is not None:
                values["source"] = dumps(rec["source"])
            conn.execute(update(dataset_records).where(dataset_records.c.dataset_id == dataset_id,
                                                       dataset_records.c.record_id == old.record_id).values(**values))
        conn.execute(update(datasets).where(datasets.c.dataset_id == dataset_id).values(
            last_update_time_ms=now, last_updated_by=user))

    _engine.write(_engine_of(store), _do, what="merge dataset records", integrity_retry=True)


def records(store: Any, dataset_id: str) -> list[dict[str, Any]]:
    if _remote(store):
        return store._call("GET", _path(dataset_id, "records"))  # type: ignore[no-any-return]
    rows = _engine.read(_engine_of(store), lambda c: c.execute(
        select(dataset_records).where(dataset_records.c.dataset_id == dataset_id).order_by(dataset_records.c.seq)
    ).all(), what="read dataset records")
    return [{"dataset_record_id": r.record_id, "dataset_id": r.dataset_id, "inputs": loads(r.inputs),
             "expectations": loads(r.expectations), "outputs": loads(r.outputs), "tags": loads(r.tags) or {},
             "source": loads(r.source), "create_time": r.create_time_ms, "last_update_time": r.last_update_time_ms}
            for r in rows]
