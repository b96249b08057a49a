"""The gateway's configuration: a YAML file (or the same data over the admin API), validated.

Every mistake is a :class:`~jurist.errors.ConfigError` that names the file, the field (as a path such
as ``endpoints[0].targets[1].weight``) and what is allowed there.

Example ``gateway.yaml``::

    endpoints:
      - name: judge
        targets:
          - model: openai:/gpt-4o-mini
            key: env:OPENAI_API_KEY
            weight: 3
          - model: anthropic:/claude-3-5-haiku
            key: secret:anthropic-prod
            weight: 1
        fallbacks:
          - model: openai:/gpt-4o
            key: env:OPENAI_API_KEY
        timeout: 30
        retries: 1
        limits: {requests_per_minute: 600, per_client: {requests_per_minute: 60}}
        budgets:
          - {usd: 20, per: day, action: reject}
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jurist.errors import ConfigError

#: Endpoint, target, secret and client names: what fits in a URL path segment and a log line.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME_RULE = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{what} {value!r} is not allowed; use {NAME_RULE}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyRef(_Strict):
    """Where a target's API key comes from: an environment variable, or a secret kept encrypted in the
    gateway's store. Written ``env:NAME`` / ``secret:NAME`` or ``{env: NAME}`` / ``{secret: NAME}``.
    A key itself never appears in the configuration."""

    env: str | None = None
    secret: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            kind, sep, name = data.partition(":")
            if not sep or kind not in ("env", "secret") or not name:
                raise ValueError(
                    "a key is referenced, never written here: use 'env:VARIABLE_NAME' or 'secret:SECRET_NAME'"
                )
            return {kind: name}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> KeyRef:
        from jurist.gateway._secrets import looks_like_key, masked

        if (self.env is None) == (self.secret is None):
            raise ValueError("give exactly one of 'env' (an environment variable) or 'secret' (a stored secret)")
        name = self.env if self.env is not None else self.secret
        assert name is not None
        if looks_like_key(name):  # a key pasted where its name belongs: refused, and never repeated
            kind = "env" if self.env is not None else "secret"
            raise ValueError(
                f"'{kind}:{masked(name)}' holds what looks like an API key, not the name of "
                f"{'an environment variable' if kind == 'env' else 'a stored secret'}: put the key in an "
                "environment variable (key: env:VARIABLE_NAME) or store it with PUT /admin/secrets/<name> "
                "(key: secret:<name>)")
        if self.env is not None and not _ENV_NAME.match(self.env):
            raise ValueError(f"{masked(self.env)!r} is not an environment variable name")
        if self.secret is not None:
            check_name(self.secret, "secret name")
        return self

    def __str__(self) -> str:
        return f"env:{self.env}" if self.env is not None else f"secret:{self.secret}"


class Price(_Strict):
    """USD per million tokens, for a model jurist's price table does not know (a self-hosted one)."""

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


class TargetConfig(_Strict):
    """One model behind an endpoint."""

    model: str
    name: str | None = None
    key: KeyRef | None = None
    base_url: str | None = None
    weight: float = Field(default=1.0, ge=0)
    price: Price | None = None

    @field_validator("model")
    @classmethod
    def _model_uri(cls, v: str) -> str:
        from jurist.models._uri import parse_model_uri
        from jurist.models.providers import get_provider_class

        try:
            get_provider_class(parse_model_uri(v).provider)
        except ConfigError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else check_name(v, "target name")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"{v!r} is not an http:// or https:// URL")
        return v

    @property
    def label(self) -> str:
        """The target's name in usage records and errors: its ``name``, else its model URI."""
        return self.name or self.model


class RateLimits(_Strict):
    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)


class Limits(RateLimits):
    """Limits on the whole endpoint, and (``per_client``) on each client's share of it."""

    per_client: RateLimits | None = None


class Budget(_Strict):
    """Spend allowed per UTC day, ISO week or calendar month, for the endpoint or for each client."""

    usd: float = Field(gt=0)
    per: Literal["day", "week", "month"]
    action: Literal["alert", "reject"] = "reject"
    scope: Literal["endpoint", "client"] = "endpoint"


class EndpointConfig(_Strict):
    """An endpoint: targets that split its traffic by weight, and fallbacks tried in order after a failure."""

    name: str
    targets: list[TargetConfig] = Field(min_length=1)
    fallbacks: list[TargetConfig] = Field(default_factory=list)
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=0, ge=0, le=10)
    limits: Limits | None = None
    budgets: list[Budget] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v, "endpoint name")

    @model_validator(mode="after")
    def _consistent(self) -> EndpointConfig:
        if not any(t.weight > 0 for t in self.targets):
            raise ValueError("at least one of 'targets' needs a weight above 0")
        seen: dict[str, str] = {}
        for field, items in (("targets", self.targets), ("fallbacks", self.fallbacks)):
            for i, t in enumerate(items):
                where = f"{field}[{i}]"
                if t.label in seen:
                    raise ValueError(
                        f"{seen[t.label]} and {where} are both named {t.label!r}; give each a distinct 'name'"
                    )
                seen[t.label] = where
        return self


class AuthConfig(_Strict):
    """Who may call. Clients send ``Authorization: Bearer <token>``; tokens are made over the admin API."""

    allow_anonymous: bool = False
    admin_token_env: str = "JURIST_GATEWAY_ADMIN_TOKEN"


class GatewayConfig(_Strict):
    """The whole file."""

    endpoints: list[EndpointConfig] = Field(default_factory=list)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    #: Seconds between checks of the file (and of the store) for changes.
    reload_interval: float = Field(default=1.0, gt=0)
    #: Prefix of every Redis key, so several gateways can share one Redis.
    redis_prefix: str = "jurist:gateway:"
    #: Seconds one Redis call may take (connecting included) before the request goes on without it. Short:
    #: the limits are checked on every request's path, and a Redis that stalls must not stall the gateway.
    redis_timeout: float = Field(default=0.25, gt=0, le=30)

    @model_validator(mode="after")
    def _unique(self) -> GatewayConfig:
        seen: dict[str, int] = {}
        for i, e in enumerate(self.endpoints):
            if e.name in seen:
                raise ValueError(f"endpoints[{seen[e.name]}] and endpoints[{i}] are both named {e.name!r}")
            seen[e.name] = i
        return self


# -- loading ------------------------------------------------------------------------------------------
def load_config(path: str | Path) -> GatewayConfig:
    """Read and validate a gateway YAML file.

    Example:
        >>> cfg = load_config("gateway.yaml")      # doctest: +SKIP
        >>> [e.name for e in cfg.endpoints]         # doctest: +SKIP
        ['judge']
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such gateway configuration file") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the gateway configuration: {e.strerror or e}") from None
    return parse_config(text, str(p))


def parse_config(text: str, source: str) -> GatewayConfig:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        # Where and what, without the snippet of the line that PyYAML quotes: that line may hold a key.
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = " ".join(str(x) for x in (getattr(e, "context", None), getattr(e, "problem", None)) if x)
        raise ConfigError(f"{source}: not valid YAML{where}: {what or type(e).__name__}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with 'endpoints:'; got a {type(data).__name__}")
    return validate(GatewayConfig, data, source)


M = typing.TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, source: str) -> M:
    """``model`` from ``data``, or a ConfigError naming ``source``, each bad field and what it allows."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise config_error(e, model, source) from None


def config_error(err: ValidationError, root: type[BaseModel], source: str) -> ConfigError:
    problems = [_describe(e, root) for e in err.errors(include_url=False)]
    return ConfigError(f"{source}: " + "; ".join(problems))


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(e: Any, root: type[BaseModel]) -> str:
    loc = tuple(e["loc"])
    kind = e["type"]
    msg = str(e["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent is not None else "see docs/gateway.md"
        return f"{_path(loc)}: unknown field; allowed here: {allowed}"
    if kind == "missing":
        return f"{_path(loc)}: required field is missing"
    got = e.get("input")
    # What was written in place of a key may be the key itself: never repeat it.
    hidden = any(part in ("key", "value", "env", "secret") for part in loc)
    shown = "" if hidden or isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    return f"{_path(loc)}: {msg}{shown}"


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that the field path ``loc`` points into, for listing its allowed fields."""
    cur: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)):
            return None
        field = cur.model_fields.get(part)
        if field is None:
            return None
        cur = _inner_model(field.annotation)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _inner_model(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (list, tuple, Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner = _inner_model(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
        return None
    return tp
