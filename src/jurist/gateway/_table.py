"""The routing table: every endpoint with its targets resolved (provider, key, URL), immutable.

A new table is built whole on every change (the file, an admin call) and swapped in with one
assignment; a request keeps the table it started with, so a reload never fails one in flight.
"""

from __future__ import annotations

import bisect
import logging
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jurist.errors import ConfigError, ProviderError
from jurist.gateway._config import EndpointConfig, GatewayConfig, TargetConfig
from jurist.gateway._secrets import Redactor, masked
from jurist.models._http import RetryPolicy
from jurist.models._pricing import cost_usd, lookup
from jurist.models._types import ChatRequest, Message
from jurist.models._uri import parse_model_uri
from jurist.models.providers import make_provider
from jurist.models.providers._base import Provider
from jurist.models.providers.openai import OpenAIProvider

log = logging.getLogger("jurist.gateway")

_PROBE = ChatRequest(messages=(Message("user", ""),))


def _speaks_openai(provider: Provider) -> bool:
    """Whether the gateway's own format goes to this target as it is (OpenAI wire, plain auth, HTTP)."""
    cls = type(provider)
    return (
        isinstance(provider, OpenAIProvider)
        and cls.to_wire is OpenAIProvider.to_wire
        and cls.from_wire is OpenAIProvider.from_wire
        and cls.sign is Provider.sign
        and not cls.in_process
    )


@dataclass(frozen=True)
class Target:
    """One resolved target. ``unusable`` says why it cannot be called (a missing key), else None."""

    label: str
    config: TargetConfig
    model: str
    provider_name: str
    unusable: str | None = None
    provider: Provider | None = None
    #: The request goes to it as sent, with only ``model`` replaced (OpenAI-compatible targets).
    passthrough: bool = False
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    connection_key: str = ""
    #: USD per million (input, output) tokens: the target's ``price``, else jurist's table, else None.
    unit_price: tuple[float, float] | None = None

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        assert self.provider is not None
        return self.provider.map_error(status, body, headers)

    def cost(self, answered_model: Any, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """From the target's ``price``, else jurist's price table (by this model, else the one that answered)."""
        if input_tokens is None or output_tokens is None:
            return None
        if self.unit_price is not None:
            return (input_tokens * self.unit_price[0] + output_tokens * self.unit_price[1]) / 1e6
        if isinstance(answered_model, str) and answered_model:
            return cost_usd(answered_model, input_tokens, output_tokens)
        return None


@dataclass(frozen=True)
class Route:
    """An endpoint ready to serve: weighted targets and the ordered fallbacks."""

    config: EndpointConfig
    source: str
    targets: tuple[Target, ...]
    cumulative: tuple[float, ...]
    fallbacks: tuple[Target, ...]
    retry: RetryPolicy

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def timeout(self) -> float:
        return self.config.timeout

    def choose(self, rnd: float | None = None) -> Target:
        """A target drawn by weight."""
        r = (random.random() if rnd is None else rnd) * self.cumulative[-1]
        return self.targets[min(bisect.bisect_right(self.cumulative, r), len(self.targets) - 1)]

    def attempt_order(self) -> list[Target]:
        """The target drawn by weight, then the fallbacks in their order."""
        return [self.choose(), *self.fallbacks]


@dataclass(frozen=True)
class RoutingTable:
    routes: Mapping[str, Route]
    redact: Redactor
    #: Endpoint names that come from the file (the admin API cannot change those).
    file_endpoints: frozenset[str] = frozenset()


EMPTY = RoutingTable(routes={}, redact=Redactor())


def _resolve_key(cfg: TargetConfig, secrets: Mapping[str, str], secret_problems: Mapping[str, str]) -> tuple[
        str | None, str | None]:
    """(key, None), or (None, why it cannot be had)."""
    ref = cfg.key
    if ref is None:
        return None, None
    if ref.env is not None:
        value = os.environ.get(ref.env)
        return (value, None) if value else (None, f"the environment variable {masked(ref.env)} is not set")
    assert ref.secret is not None
    if ref.secret in secrets:
        return secrets[ref.secret], None
    name = masked(ref.secret)  # a name that looks like a key is never repeated in a message
    if ref.secret in secret_problems:
        return None, f"secret {name!r} cannot be read: {secret_problems[ref.secret]}"
    return None, f"secret {name!r} is not stored (PUT /admin/secrets/{name} to store it)"


def build_target(cfg: TargetConfig, endpoint: EndpointConfig, secrets: Mapping[str, str],
                 secret_problems: Mapping[str, str], keys: set[str]) -> Target:
    uri = parse_model_uri(cfg.model)
    price = (cfg.price.input_per_million, cfg.price.output_per_million) if cfg.price else lookup(uri.model)
    base = {"label": cfg.label, "config": cfg, "model": uri.model, "provider_name": uri.provider, "unit_price": price}
    key, problem = _resolve_key(cfg, secrets, secret_problems)
    if problem is not None:
        return Target(**base, unusable=problem)  # type: ignore[arg-type]
    if key:
        keys.add(key)
    try:
        provider = make_provider(uri, base_url=cfg.base_url, api_key=key)
        provider.timeout = endpoint.timeout
        provider.check_ready()
        own_key = provider.api_key
        if own_key:
            keys.add(own_key)
        if _speaks_openai(provider):
            return Target(**base, provider=provider, passthrough=True,  # type: ignore[arg-type]
                          url=provider.url(_PROBE), headers=provider.headers(),
                          connection_key=provider.connection_key)
    except ConfigError as e:
        return Target(**base, unusable=str(e))  # type: ignore[arg-type]
    return Target(**base, provider=provider, connection_key=provider.connection_key)  # type: ignore[arg-type]


def build_route(endpoint: EndpointConfig, source: str, secrets: Mapping[str, str],
                secret_problems: Mapping[str, str], keys: set[str]) -> Route:
    retry = RetryPolicy(max_attempts=endpoint.retries + 1, total_budget_s=endpoint.timeout * (endpoint.retries + 1),
                        base_backoff_s=0.1, max_backoff_s=2.0)
    weighted = [t for t in endpoint.targets if t.weight > 0]
    targets = tuple(build_target(t, endpoint, secrets, secret_problems, keys) for t in weighted)
    cumulative, total = [], 0.0
    for t in weighted:
        total += t.weight
        cumulative.append(total)
    fallbacks = tuple(build_target(t, endpoint, secrets, secret_problems, keys) for t in endpoint.fallbacks)
    return Route(config=endpoint, source=source, targets=targets, cumulative=tuple(cumulative),
                 fallbacks=fallbacks, retry=retry)


def build_table(config: GatewayConfig, api_endpoints: list[EndpointConfig], secrets: Mapping[str, str],
                secret_problems: Mapping[str, str]) -> RoutingTable:
    """Resolve every endpoint of the file and of the store; the file's win a clash of names."""
    keys: set[str] = set(secrets.values())
    routes: dict[str, Route] = {}
    for ep in config.endpoints:
        routes[ep.name] = build_route(ep, "file", secrets, secret_problems, keys)
    for ep in api_endpoints:
        if ep.name in routes:
            log.warning("endpoint %r is defined in the configuration file and over the admin API; the file's is used",
                        ep.name)
            continue
        routes[ep.name] = build_route(ep, "api", secrets, secret_problems, keys)
    redact = Redactor(keys)
    for route in routes.values():
        for t in (*route.targets, *route.fallbacks):
            if t.unusable:
                log.warning("endpoint %r target %r cannot be used: %s", route.name, t.label, redact(t.unusable))
    return RoutingTable(routes=routes, redact=redact, file_endpoints=frozenset(e.name for e in config.endpoints))
