"""Tracing an application's calls into an LLM SDK: the shared part of each library's ``autolog()``.

A target is a function reached through an owner (a class, like the Anthropic SDK's ``Messages``, or a
module, like ``litellm``) by attribute name. ``patch`` replaces it with a wrapper that records a
``CHAT_MODEL`` span per call — the keyword arguments as inputs, the response (its ``model_dump``) as
outputs, ``model`` as an attribute — and ``patch(..., disable=True)`` puts the original back. Patching
twice wraps once. Inside a traced function the span is its child; on its own it is a trace. A streamed
response's chunks are the caller's: its span records the call, not the chunks.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LOCK = threading.Lock()
MARK = "__jurist_autolog_original__"


@dataclass(frozen=True)
class Target:
    owner: Any
    attribute: str
    span_name: str
    is_async: bool


def dump(response: Any) -> Any:
    to_dict = getattr(response, "model_dump", None)
    if callable(to_dict):
        try:
            return to_dict(mode="json")
        except TypeError:
            return to_dict()
    return response


#: Call arguments that may carry a credential: recorded as ``[REDACTED]``, never stored with the trace.
SECRET_ARGUMENTS = frozenset({
    "api_key", "apikey", "api_token", "access_token", "azure_ad_token", "token", "secret", "password",
    "authorization", "headers", "extra_headers", "default_headers", "aws_access_key_id", "aws_secret_access_key",
    "aws_session_token", "vertex_credentials",
})


def _inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    safe = {k: "[REDACTED]" if k.lower() in SECRET_ARGUMENTS and v is not None else v for k, v in kwargs.items()}
    return {**({"args": list(args)} if args else {}), **safe}


def _usage(outputs: Any) -> dict[str, Any] | None:
    usage = outputs.get("usage") if isinstance(outputs, dict) else None
    return usage if isinstance(usage, dict) else None


def _record(span: Any, kwargs: dict[str, Any], response: Any) -> None:
    if kwargs.get("stream"):
        return
    outputs = dump(response)
    span.set_outputs(outputs)
    usage = _usage(outputs)
    if usage is not None:
        span.set_attribute("usage", usage)


def wrap(original: Callable[..., Any], target: Target, bound: bool) -> Callable[..., Any]:
    """``original`` recording a span per call. ``bound``: a method (its first argument is the SDK object)."""
    from jurist.tracing import start_span

    def split(args: tuple[Any, ...]) -> tuple[Any, ...]:
        return args[1:] if bound else args

    if target.is_async:
        @functools.wraps(original)
        async def acall(*args: Any, **kwargs: Any) -> Any:
            with start_span(target.span_name, span_type="CHAT_MODEL") as span:
                span.set_inputs(_inputs(split(args), kwargs))
                span.set_attribute("model", kwargs.get("model"))
                response = await original(*args, **kwargs)
                _record(span, kwargs, response)
                return response

        setattr(acall, MARK, original)
        return acall

    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        with start_span(target.span_name, span_type="CHAT_MODEL") as span:
            span.set_inputs(_inputs(split(args), kwargs))
            span.set_attribute("model", kwargs.get("model"))
            response = original(*args, **kwargs)
            _record(span, kwargs, response)
            return response

    setattr(call, MARK, original)
    return call


def patch(targets: list[Target], disable: bool = False) -> None:
    """Wrap each target (once), or with ``disable`` put each original back."""
    with _LOCK:
        for t in targets:
            bound = isinstance(t.owner, type)
            current = t.owner.__dict__[t.attribute] if bound else getattr(t.owner, t.attribute)
            original = getattr(current, MARK, None)
            if disable:
                if original is not None:
                    setattr(t.owner, t.attribute, original)
                continue
            if original is None:
                setattr(t.owner, t.attribute, wrap(current, t, bound))
