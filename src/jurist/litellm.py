"""``jurist.litellm.autolog()``: MLflow's ``mlflow.litellm.autolog()``, tracing LiteLLM's calls.

Each ``litellm.completion(...)`` and ``await litellm.acompletion(...)`` records a ``CHAT_MODEL`` span:
the call's arguments as inputs, the response as outputs (not for streams), the model and token usage
as attributes. Calls made through the module (``litellm.completion``) are traced; a ``completion``
imported by name before ``autolog()`` ran is the original function.

Example:
    >>> import jurist, litellm                                               # doctest: +SKIP
    >>> jurist.litellm.autolog()                                             # doctest: +SKIP
    >>> litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from jurist.errors import ConfigError
from jurist.tracing._autolog_sdk import Target, patch


def _targets() -> list[Target]:
    try:
        import litellm
    except ImportError:
        raise ConfigError("jurist.litellm.autolog() traces the litellm package's calls; install it: "
                          "pip install 'jurist[litellm]'") from None
    return [Target(litellm, "completion", "litellm-completion", is_async=False),
            Target(litellm, "acompletion", "litellm-acompletion", is_async=True)]


def autolog(disable: bool = False, **_ignored: Any) -> None:
    """Trace every ``litellm.completion`` / ``litellm.acompletion`` call (``disable=True`` stops it)."""
    patch(_targets(), disable=disable)


__all__ = ["autolog"]
