"""``jurist.anthropic.autolog()``: MLflow's ``mlflow.anthropic.autolog()``, tracing the Anthropic SDK.

Each ``client.messages.create(...)`` of the ``anthropic`` package (sync and async) records a
``CHAT_MODEL`` span: the call's arguments as inputs, the message as outputs (not for streams), the
model and token usage as attributes. jurist's own judges never go through the SDK.

Example:
    >>> import jurist, anthropic                                             # doctest: +SKIP
    >>> jurist.anthropic.autolog()                                           # doctest: +SKIP
    >>> anthropic.Anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=256,   # doctest: +SKIP
    ...                                       messages=[{"role": "user", "content": "Hi"}])
    >>> jurist.get_last_active_trace().root_span.span_type                   # doctest: +SKIP
    'CHAT_MODEL'
"""

from __future__ import annotations

from typing import Any

from jurist.errors import ConfigError
from jurist.tracing._autolog_sdk import Target, patch


def _targets() -> list[Target]:
    try:
        from anthropic.resources.messages import AsyncMessages, Messages
    except ImportError:
        raise ConfigError("jurist.anthropic.autolog() traces the anthropic package's calls; install it: "
                          "pip install anthropic") from None
    return [Target(Messages, "create", "Messages.create", is_async=False),
            Target(AsyncMessages, "create", "AsyncMessages.create", is_async=True)]


def autolog(disable: bool = False, **_ignored: Any) -> None:
    """Trace every Anthropic SDK ``messages.create`` this process makes (``disable=True`` stops it).

    MLflow's other options (``log_traces``, ``silent`` …) are accepted and have no effect.
    """
    patch(_targets(), disable=disable)


__all__ = ["autolog"]
