"""Rate limits and budgets: what is checked before a request and counted after it.

Counters live in fixed windows keyed by wall-clock time (the minute for rate limits; the UTC day, ISO
week or calendar month for budgets), so that every replica agrees on the window without talking to
the others. Requests are counted as they are admitted (atomically with the check). Tokens and cost are
known only after the answer, so at admission a request *reserves* its estimate (its prompt's length and
its ``max_tokens``, priced at the dearest target of the endpoint) on the token and budget counters, in
the same atomic step; the answer then settles the reservation to what was used, and a failed request
releases it. So requests in flight at once cannot all pass a counter that is about to be spent: a
request is admitted while a counter, with what is reserved, is under its limit, and the one that crosses
it still completes.

Backends: :class:`MemoryBackend` (one process) and :class:`jurist.gateway._redis.RedisBackend`
(replicas sharing ``JURIST_REDIS_URL``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jurist.gateway._config import Budget
from jurist.gateway._table import Route

log = logging.getLogger("jurist.gateway")

#: Budgets are counted in nano-dollars, integers, so that every backend adds exactly.
NANO = 1_000_000_000
#: Output tokens reserved for a request that does not say its ``max_tokens`` (a judge's verdict is shorter).
DEFAULT_OUTPUT_ESTIMATE = 1024


@dataclass(frozen=True)
class Check:
    """One counter a request must stay under. ``increments``: a request counter, bumped on admission;
    otherwise the counter must be under its limit, and ``reserve`` is added to it on admission."""

    key: str
    limit: int
    increments: bool
    ttl_ms: int
    reset_at: float
    message: str
    code: str
    reserve: int = 0


@dataclass(frozen=True)
class Reservation:
    """What an admitted request holds on token and budget counters until it settles: (key, amount, ttl_ms)."""

    items: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Denied:
    message: str
    code: str
    retry_after: float


class Backend(Protocol):
    async def admit(self, checks: Sequence[Check]) -> int:
        """Index of the first check over its limit (nothing counted then), else -1 with request counters
        bumped and reservations added."""
        ...

    async def add(self, items: Sequence[tuple[str, int, int]]) -> list[int]:
        """Add ``amount`` to each ``(key, amount, ttl_ms)`` counter; return the new totals."""
        ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """Counters in this process (one gateway, or tests)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}

    def _get(self, key: str, now: float) -> int:
        v = self._values.get(key)
        if v is None:
            return 0
        if v[1] <= now:
            del self._values[key]
            return 0
        return v[0]

    async def admit(self, checks: Sequence[Check]) -> int:
        now = time.time()
        for i, c in enumerate(checks):
            v = self._get(c.key, now)
            if (c.increments and v + 1 > c.limit) or (not c.increments and v >= c.limit):
                return i
        for c in checks:
            amount = 1 if c.increments else c.reserve
            if amount:
                old = self._values.get(c.key)
                self._values[c.key] = (old[0] + amount, old[1]) if old else (amount, now + c.ttl_ms / 1000.0)
        return -1

    async def add(self, items: Sequence[tuple[str, int, int]]) -> list[int]:
        now = time.time()
        out = []
        for key, amount, ttl_ms in items:
            v = self._get(key, now)
            old = self._values.get(key)
            expires = old[1] if old else now + ttl_ms / 1000.0
            self._values[key] = (v + amount, expires)
            out.append(v + amount)
        if len(self._values) > 50_000:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
        return out

    async def aclose(self) -> None:
        self._values.clear()


def period(per: str, now: float) -> tuple[str, float]:
    """The id of the budget period that holds ``now`` (UTC), and when it ends (epoch seconds)."""
    d = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
    if per == "day":
        start, end = d, d + dt.timedelta(days=1)
        pid = f"d{d.isoformat()}"
    elif per == "week":
        start = d - dt.timedelta(days=d.weekday())
        end = start + dt.timedelta(days=7)
        pid = f"w{start.isoformat()}"
    else:
        start = d.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        pid = f"m{start:%Y-%m}"
    end_ts = dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc).timestamp()
    return pid, end_ts


def estimate(route: Route, body: Any) -> tuple[int, int]:
    """A request's tokens (prompt + ``max_tokens``) and cost in nano-dollars, before it is sent: what it
    reserves. The prompt's tokens are taken as a quarter of its JSON's length (more than most tokenisers
    make of it); the cost is at the dearest priced target of the endpoint, since any may answer."""
    body = body if isinstance(body, dict) else {}
    try:
        prompt = len(json.dumps(body.get("messages"), default=str)) // 4 + 1
    except (TypeError, ValueError):
        prompt = 1
    out = body.get("max_completion_tokens") or body.get("max_tokens")
    if not isinstance(out, int) or isinstance(out, bool) or out <= 0:
        out = DEFAULT_OUTPUT_ESTIMATE
    costs = [c for t in (*route.targets, *route.fallbacks) if (c := t.cost(t.model, prompt, out)) is not None]
    return prompt + out, round(max(costs, default=0.0) * NANO)


def _money(usd: float) -> str:
    return f"${usd:,.2f}" if usd >= 1 else f"${usd:.6g}"


class LimitPolicy:
    """Turns an endpoint's limits and budgets into counters, for one client's request."""

    def __init__(self, backend: Backend, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix
        self._failing_since = 0.0

    def _budget_key(self, route: Route, b: Budget, client: str, pid: str) -> str:
        scope = f"{route.name}:c:{client}" if b.scope == "client" else route.name
        return f"{self.prefix}budget:{scope}:{b.per}:{pid}"

    def checks(self, route: Route, client: str, now: float, tokens: int = 0, nano_usd: int = 0) -> list[Check]:
        """The counters of ``route`` for ``client``; token and budget counters reserve ``tokens`` and
        ``nano_usd`` on admission."""
        cfg = route.config
        out: list[Check] = []
        lim = cfg.limits
        if lim is not None:
            win = int(now // 60)
            reset = (win + 1) * 60.0
            ttl = int((reset - now + 5) * 1000)
            ep = f"{self.prefix}rl:{route.name}"
            if lim.requests_per_minute:
                out.append(Check(f"{ep}:rpm:{win}", lim.requests_per_minute, True, ttl, reset,
                                 f"endpoint '{route.name}' allows {lim.requests_per_minute} requests per minute",
                                 "rate_limit_exceeded"))
            if lim.tokens_per_minute:
                out.append(Check(f"{ep}:tpm:{win}", lim.tokens_per_minute, False, ttl, reset,
                                 f"endpoint '{route.name}' allows {lim.tokens_per_minute} tokens per minute",
                                 "rate_limit_exceeded", tokens))
            pc = lim.per_client
            if pc is not None:
                if pc.requests_per_minute:
                    out.append(Check(f"{ep}:c:{client}:rpm:{win}", pc.requests_per_minute, True, ttl, reset,
                                     f"client '{client}' may send {pc.requests_per_minute} requests per minute "
                                     f"to endpoint '{route.name}'", "rate_limit_exceeded"))
                if pc.tokens_per_minute:
                    out.append(Check(f"{ep}:c:{client}:tpm:{win}", pc.tokens_per_minute, False, ttl, reset,
                                     f"client '{client}' may use {pc.tokens_per_minute} tokens per minute "
                                     f"on endpoint '{route.name}'", "rate_limit_exceeded", tokens))
        for b in cfg.budgets:
            if b.action != "reject":
                continue
            pid, end = period(b.per, now)
            who = f"client '{client}' on endpoint '{route.name}'" if b.scope == "client" else f"endpoint '{route.name}'"
            out.append(Check(self._budget_key(route, b, client, pid), round(b.usd * NANO), False,
                             int((end - now + 86_400) * 1000), end,
                             f"{who} has spent its budget of {_money(b.usd)} per {b.per}, counting requests still "
                             "in flight", "budget_exceeded",
                             nano_usd))
        return out

    async def admit(self, route: Route, client: str, body: Any = None) -> Denied | Reservation:
        """Refuse the request, or admit it and hold its estimated tokens and cost until :meth:`account`."""
        cfg = route.config
        if cfg.limits is None and not cfg.budgets:
            return Reservation()
        now = time.time()
        tokens, nano_usd = estimate(route, body)
        checks = self.checks(route, client, now, tokens, nano_usd)
        if not checks:
            return Reservation()
        try:
            i = await self.backend.admit(checks)
        except Exception as e:  # the shared counters are down: serve rather than refuse everyone
            self._complain(e)
            return Reservation()
        if i < 0:
            return Reservation(tuple((c.key, c.reserve, c.ttl_ms) for c in checks if not c.increments and c.reserve))
        c = checks[i]
        wait = max(1.0, math.ceil(c.reset_at - now))
        when = dt.datetime.fromtimestamp(c.reset_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return Denied(f"{c.message}; it resets at {when} (retry in {int(wait)} s)", c.code, wait)

    async def account(self, route: Route, client: str, tokens: int | None, cost: float | None,
                      held: Reservation | None = None) -> None:
        """Count what a finished request used, in place of what it reserved (a failed one passes no
        usage: its reservation is released); log an alert when it takes a budget past its amount."""
        cfg = route.config
        if cfg.limits is None and not cfg.budgets:
            return
        now = time.time()
        items: list[tuple[str, int, int]] = []
        lim = cfg.limits
        if lim is not None and tokens:
            win = int(now // 60)
            ttl = int(((win + 1) * 60.0 - now + 5) * 1000)
            ep = f"{self.prefix}rl:{route.name}"
            if lim.tokens_per_minute:
                items.append((f"{ep}:tpm:{win}", tokens, ttl))
            if lim.per_client is not None and lim.per_client.tokens_per_minute:
                items.append((f"{ep}:c:{client}:tpm:{win}", tokens, ttl))
        budgets: list[tuple[int, Budget]] = []
        spent = round((cost or 0.0) * NANO)
        if spent > 0:
            for b in cfg.budgets:
                pid, end = period(b.per, now)
                budgets.append((len(items), b))
                items.append((self._budget_key(route, b, client, pid), spent, int((end - now + 86_400) * 1000)))
        if held is not None and held.items:
            # Settle each reserved counter in one addition (used minus held), so no reader sees both.
            index = {key: i for i, (key, _, _) in enumerate(items)}
            for key, amount, ttl in held.items:
                if key in index:
                    k, used, t = items[index[key]]
                    items[index[key]] = (k, used - amount, t)
                else:
                    index[key] = len(items)
                    items.append((key, -amount, ttl))
        if not items:
            return
        try:
            totals = await self.backend.add(items)
        except Exception as e:
            self._complain(e)
            return
        for i, b in budgets:
            limit = round(b.usd * NANO)
            if totals[i] - spent < limit <= totals[i]:
                who = f"client '{client}' on endpoint '{route.name}'" if b.scope == "client" else (
                    f"endpoint '{route.name}'")
                then = "further requests are refused until it resets" if b.action == "reject" else "requests go on"
                log.warning("budget alert: %s has spent %s of its %s per %s budget; %s",
                            who, _money(totals[i] / NANO), _money(b.usd), b.per, then)

    def _complain(self, e: Exception) -> None:
        now = time.monotonic()
        if now - self._failing_since > 30:
            self._failing_since = now
            log.error("gateway limits backend failed (%s: %s); serving without limits until it is back",
                      type(e).__name__, e)
