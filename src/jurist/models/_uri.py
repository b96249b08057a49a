"""Model URIs: ``<provider>:/<model-name>``, as MLflow writes them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from jurist.errors import ConfigError

FALLBACK_DEFAULT_MODEL = "openai:/gpt-4o-mini"
_URI = re.compile(r"^(?P<provider>[A-Za-z][A-Za-z0-9_.\-]*):/(?P<model>[^\s].*)$")
FORMS = "'<provider>:/<model-name>', e.g. 'openai:/gpt-4o-mini', 'anthropic:/claude-sonnet-4', 'gateway:/my-endpoint'"


@dataclass(frozen=True)
class ModelURI:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:/{self.model}"


def parse_model_uri(uri: str) -> ModelURI:
    """Split a model URI into provider and model name.

    Example:
        >>> parse_model_uri("openai:/gpt-4o-mini")
        ModelURI(provider='openai', model='gpt-4o-mini')
    """
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"model must be a model URI string of the form {FORMS}; got {uri!r}")
    m = _URI.match(uri.strip())
    if m is None:
        hint = ""
        s = uri.strip()
        if ":" in s and ":/" not in s:
            p, _, rest = s.partition(":")
            hint = f" Did you mean '{p}:/{rest}'?"
        elif ":" not in s:
            hint = f" Did you mean 'openai:/{s}'?"
        raise ConfigError(f"Invalid model URI {uri!r}: expected {FORMS}.{hint}")
    model = m.group("model")
    if model.startswith("/") and m.group("provider") not in ("local",):
        model = model.lstrip("/")
    if not model:
        raise ConfigError(f"Invalid model URI {uri!r}: the model name after ':/' is empty; expected {FORMS}.")
    return ModelURI(provider=m.group("provider").lower(), model=model)


def default_model() -> str:
    """The judge model used when none is given: ``JURIST_DEFAULT_MODEL``, else ``openai:/gpt-4o-mini``."""
    return os.environ.get("JURIST_DEFAULT_MODEL") or FALLBACK_DEFAULT_MODEL
