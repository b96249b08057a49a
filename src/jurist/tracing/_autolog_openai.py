"""Tracing the application's own OpenAI SDK calls (MLflow's ``mlflow.openai.autolog()``).

``autolog()`` wraps the SDK's chat-completions ``create`` (sync and async) so that each call records a
``CHAT_MODEL`` span: the call's keyword arguments as inputs, the response as outputs (not for streamed
responses, whose chunks are the caller's), the model as an attribute. Inside a traced function the span
is its child; on its own it is a trace. ``autolog(disable=True)`` puts the SDK back as it was. Nothing
happens until it is called, and jurist's own judges never go through the SDK.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from jurist.errors import ConfigError

_LOCK = threading.Lock()
_MARK = "__jurist_autolog_original__"


def _targets() -> list[tuple[Any, str]]:
    try:
        from openai.resources.chat.completions import AsyncCompletions, Completions
    except ImportError:
        raise ConfigError("jurist.openai.autolog() traces the openai package's calls; install it: "
                          "pip install openai") from None
    return [(Completions, "create"), (AsyncCompletions, "create")]


def _dump(response: Any) -> Any:
    dump = getattr(response, "model_dump", None)
    return dump(mode="json") if callable(dump) else response


def _span_inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    from jurist.tracing._autolog_sdk import SECRET_ARGUMENTS

    safe = {k: "[REDACTED]" if k.lower() in SECRET_ARGUMENTS and v is not None else v for k, v in kwargs.items()}
    return {**({"args": list(args)} if args else {}), **safe}


def _record(span: Any, response: Any) -> None:
    outputs = _dump(response)
    span.set_outputs(outputs)
    usage = outputs.get("usage") if isinstance(outputs, dict) else None
    if isinstance(usage, dict):
        span.set_attribute("usage", usage)


def _wrap(original: Any, is_async: bool) -> Any:
    from jurist.tracing import start_span

    if is_async:
        @functools.wraps(original)
        async def acreate(self: Any, *args: Any, **kwargs: Any) -> Any:
            with start_span("AsyncCompletions", span_type="CHAT_MODEL") as span:
                span.set_inputs(_span_inputs(args, kwargs))
                span.set_attribute("model", kwargs.get("model"))
                response = await original(self, *args, **kwargs)
                if not kwargs.get("stream"):
                    _record(span, response)
                return response

        setattr(acreate, _MARK, original)
        return acreate

    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        with start_span("Completions", span_type="CHAT_MODEL") as span:
            span.set_inputs(_span_inputs(args, kwargs))
            span.set_attribute("model", kwargs.get("model"))
            response = original(self, *args, **kwargs)
            if not kwargs.get("stream"):
                _record(span, response)
            return response

    setattr(create, _MARK, original)
    return create


def autolog(disable: bool = False, **_ignored: Any) -> None:
    """Trace every OpenAI SDK chat completion this process makes (``disable=True`` stops it).

    MLflow's other options (``log_traces``, ``silent`` …) are accepted and have no effect.

    Example:
        >>> import jurist                                             # doctest: +SKIP
        >>> jurist.openai.autolog()                                   # doctest: +SKIP
        >>> openai.OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[...])  # doctest: +SKIP
        >>> jurist.get_last_active_trace().root_span.span_type        # doctest: +SKIP
        'CHAT_MODEL'
    """
    import inspect

    with _LOCK:
        for cls, name in _targets():
            current = cls.__dict__[name]
            original = getattr(current, _MARK, None)
            if disable:
                if original is not None:
                    setattr(cls, name, original)
                continue
            if original is None:  # not wrapped yet: calling autolog() twice wraps once
                setattr(cls, name, _wrap(current, inspect.iscoroutinefunction(current)))
