"""The gateway's store: encrypted secrets, hashed client tokens, endpoints made over the admin API, and
one usage row per request, with the summaries read from them.

Synchronous (SQLAlchemy Core); the gateway calls it from worker threads, never on its event loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from jurist.errors import ConfigError
from jurist.gateway._config import EndpointConfig, check_name, validate
from jurist.gateway._db import (
    clients_table,
    database_uri,
    endpoints_table,
    make_engine,
    migrate,
    read,
    secrets_table,
    shown,
    state_table,
    usage_table,
    write,
)
from jurist.gateway._secrets import Cipher, new_client_token, no_cipher_error, token_hash


@dataclass(frozen=True)
class UsageRecord:
    """One request through the gateway."""

    ts: float
    endpoint: str
    target: str | None
    client: str
    status: int
    error_code: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    latency_ms: float
    attempts: int
    stream: bool


#: What usage may be grouped by.
GROUP_FIELDS = ("endpoint", "client", "target", "status")


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks."""
    n = len(sorted_values)
    if n == 0:
        return None
    if n == 1:
        return float(sorted_values[0])
    pos = (n - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


class GatewayStore:
    """Opens (and migrates) the gateway's tables in the database named by ``uri`` (see :func:`database_uri`)."""

    def __init__(self, uri: str | None = None) -> None:
        self.uri = database_uri(uri)
        self.shown_uri = shown(self.uri)
        self.engine = make_engine(self.uri)
        migrate(self.engine)
        self.cipher = Cipher.from_env()

    def close(self) -> None:
        self.engine.dispose()

    # -- change counter ------------------------------------------------------------------------------
    def version(self) -> int:
        return read(self.engine, lambda c: int(c.execute(select(state_table.c.version)).scalar() or 0),
                    what="read its change counter")

    @staticmethod
    def _bump(conn: Connection) -> None:
        if conn.execute(update(state_table).values(version=state_table.c.version + 1)).rowcount == 0:
            conn.execute(insert(state_table).values(id=1, version=1))

    # -- secrets -------------------------------------------------------------------------------------
    def put_secret(self, name: str, value: str) -> dict[str, Any]:
        check_name(name, "secret name")
        if not isinstance(value, str) or not value:
            raise ConfigError("a secret's 'value' must be a non-empty string")
        if self.cipher is None:
            raise no_cipher_error()
        blob = self.cipher.encrypt(value)
        now = time.time()

        def _do(conn: Connection) -> dict[str, Any]:
            row = conn.execute(select(secrets_table.c.created_at).where(secrets_table.c.name == name)).first()
            if row is None:
                conn.execute(insert(secrets_table).values(name=name, ciphertext=blob, created_at=now, updated_at=now))
                created = now
            else:
                conn.execute(update(secrets_table).where(secrets_table.c.name == name)
                             .values(ciphertext=blob, updated_at=now))
                created = row[0]
            self._bump(conn)
            return {"name": name, "created_at": created, "updated_at": now}

        return write(self.engine, _do, what="store a secret")

    def delete_secret(self, name: str) -> bool:
        def _do(conn: Connection) -> bool:
            n = conn.execute(delete(secrets_table).where(secrets_table.c.name == name)).rowcount
            if n:
                self._bump(conn)
            return bool(n)

        return write(self.engine, _do, what="delete a secret")

    def list_secrets(self) -> list[dict[str, Any]]:
        """Names and times only: a secret's value never leaves the store through the API."""
        q = select(secrets_table.c.name, secrets_table.c.created_at, secrets_table.c.updated_at).order_by(
            secrets_table.c.name)
        return read(self.engine, lambda c: [dict(r._mapping) for r in c.execute(q)], what="list secrets")

    def load_secrets(self) -> tuple[dict[str, str], dict[str, str]]:
        """Every secret decrypted, and, by name, why any could not be."""
        rows = read(self.engine, lambda c: list(c.execute(select(secrets_table.c.name, secrets_table.c.ciphertext))),
                    what="read secrets")
        values: dict[str, str] = {}
        problems: dict[str, str] = {}
        for name, blob in rows:
            if self.cipher is None:
                problems[name] = str(no_cipher_error())
                continue
            try:
                values[name] = self.cipher.decrypt(blob)
            except ConfigError as e:
                problems[name] = str(e)
        return values, problems

    # -- clients -------------------------------------------------------------------------------------
    def create_client(self, name: str) -> str:
        """Make a client and return its token: shown this once, stored only as a hash."""
        check_name(name, "client name")
        token = new_client_token()
        now = time.time()

        def _do(conn: Connection) -> None:
            if conn.execute(select(clients_table.c.name).where(clients_table.c.name == name)).first() is not None:
                raise ConfigError(f"a client named {name!r} exists; delete it first to issue a new token")
            conn.execute(insert(clients_table).values(name=name, token_hash=token_hash(token), created_at=now))
            self._bump(conn)

        write(self.engine, _do, what="create a client")
        return token

    def delete_client(self, name: str) -> bool:
        def _do(conn: Connection) -> bool:
            n = conn.execute(delete(clients_table).where(clients_table.c.name == name)).rowcount
            if n:
                self._bump(conn)
            return bool(n)

        return write(self.engine, _do, what="delete a client")

    def list_clients(self) -> list[dict[str, Any]]:
        q = select(clients_table.c.name, clients_table.c.created_at).order_by(clients_table.c.name)
        return read(self.engine, lambda c: [dict(r._mapping) for r in c.execute(q)], what="list clients")

    def client_hashes(self) -> dict[str, str]:
        """Token hash → client name, for every client."""
        q = select(clients_table.c.token_hash, clients_table.c.name)
        return read(self.engine, lambda c: {h: n for h, n in c.execute(q)}, what="read clients")

    def client_by_hash(self, digest: str) -> str | None:
        q = select(clients_table.c.name).where(clients_table.c.token_hash == digest)
        return read(self.engine, lambda c: c.execute(q).scalar(), what="look up a client")

    # -- endpoints made over the API -----------------------------------------------------------------
    def put_endpoint(self, endpoint: EndpointConfig) -> None:
        spec = endpoint.model_dump_json(exclude_defaults=True)
        now = time.time()

        def _do(conn: Connection) -> None:
            done = conn.execute(update(endpoints_table).where(endpoints_table.c.name == endpoint.name)
                                .values(spec=spec, updated_at=now)).rowcount
            if not done:
                conn.execute(insert(endpoints_table).values(name=endpoint.name, spec=spec, updated_at=now))
            self._bump(conn)

        write(self.engine, _do, what="store an endpoint")

    def delete_endpoint(self, name: str) -> bool:
        def _do(conn: Connection) -> bool:
            n = conn.execute(delete(endpoints_table).where(endpoints_table.c.name == name)).rowcount
            if n:
                self._bump(conn)
            return bool(n)

        return write(self.engine, _do, what="delete an endpoint")

    def list_endpoints(self) -> list[EndpointConfig]:
        rows = read(self.engine, lambda c: list(c.execute(select(endpoints_table.c.name, endpoints_table.c.spec)
                                                          .order_by(endpoints_table.c.name))),
                    what="read endpoints")
        return [validate(EndpointConfig, json.loads(spec), f"{self.shown_uri} gateway_endpoints[{name}]")
                for name, spec in rows]

    # -- usage ---------------------------------------------------------------------------------------
    def insert_usage(self, records: Iterable[UsageRecord]) -> int:
        rows = [asdict(r) for r in records]
        if not rows:
            return 0
        write(self.engine, lambda c: c.execute(insert(usage_table), rows), what="record usage")
        return len(rows)

    def usage_summary(
        self,
        *,
        group_by: Sequence[str] = ("endpoint",),
        since: float | None = None,
        until: float | None = None,
        endpoint: str | None = None,
        client: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per group: requests, errors, tokens, cost, and latency p50/p95/p99 in milliseconds."""
        for g in group_by:
            if g not in GROUP_FIELDS:
                raise ConfigError(f"cannot group usage by {g!r}; allowed: {', '.join(GROUP_FIELDS)}")
        t = usage_table
        keys = [t.c[g] for g in group_by]
        conds = []
        if since is not None:
            conds.append(t.c.ts >= since)
        if until is not None:
            conds.append(t.c.ts < until)
        if endpoint is not None:
            conds.append(t.c.endpoint == endpoint)
        if client is not None:
            conds.append(t.c.client == client)
        totals = (
            select(*keys, func.count().label("requests"),
                   func.sum(case((t.c.status >= 400, 1), else_=0)).label("errors"),
                   func.sum(t.c.input_tokens).label("input_tokens"),
                   func.sum(t.c.output_tokens).label("output_tokens"),
                   func.sum(t.c.cost_usd).label("cost_usd"))
            .where(*conds).group_by(*keys).order_by(*keys)
        )
        latencies = select(*keys, t.c.latency_ms).where(*conds).order_by(*keys, t.c.latency_ms)

        def _do(conn: Connection) -> list[dict[str, Any]]:
            groups: dict[tuple[Any, ...], list[float]] = {}
            for row in conn.execute(latencies):
                groups.setdefault(tuple(row[: len(keys)]), []).append(float(row[-1]))
            out = []
            for row in conn.execute(totals):
                m = row._mapping
                key = tuple(row[: len(keys)])
                lat = groups.get(key, [])
                out.append({
                    **{g: m[g] for g in group_by},
                    "requests": int(m["requests"]),
                    "errors": int(m["errors"] or 0),
                    "input_tokens": int(m["input_tokens"] or 0),
                    "output_tokens": int(m["output_tokens"] or 0),
                    "cost_usd": float(m["cost_usd"] or 0.0),
                    "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95),
                                   "p99": percentile(lat, 99)},
                })
            return out

        return read(self.engine, _do, what="summarise usage")
