"""The one send path: every request a provider answers, from a judge's :class:`ModelClient` or from the
gateway, goes through :func:`send`.

``send`` asks the provider for the URL, headers and body (``to_wire``), signs each attempt, posts it over
the shared HTTP layer, maps a failure onto jurist's error tree, reads the answer (``from_wire``), retries
in the one retry loop, and asks once more without the output schema when the endpoint refuses it. An
in-process provider (a local model, LiteLLM, ``fake:/``) answers through its ``complete`` on the runtime
loop instead of HTTP, in the same loop and with the same limiter.

What differs between callers is a parameter, not a copy: a judge waits on an adaptive limiter and
remembers endpoints that refuse a schema; the gateway waits on none (its answer to a refusal is the next
target), takes keys out with its own redactor and spells a refused schema out in the prompt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from jurist._runtime import RUNTIME
from jurist.errors import ProviderError, RateLimitError, SchemaUnsupportedError, ServerError
from jurist.models._http import HTTPResponse, RetryPolicy, Transport, call_with_retries
from jurist.models._limiter import AdaptiveLimiter
from jurist.models._types import ChatRequest, ChatResponse
from jurist.models.providers import tools_unsupported
from jurist.models.providers._base import Provider

#: Takes secrets out of a text (a provider's error body may echo the key it was sent).
Redact = Callable[[str], str]
#: Status, body and headers of a failed answer to jurist's error.
ErrorMapper = Callable[[int, str, Mapping[str, str]], ProviderError]


def _strip_schema(request: ChatRequest) -> ChatRequest:
    return request.without_schema()


async def post_json(
    transport: Transport,
    key: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    timeout: float,
    provider: str,
    map_error: ErrorMapper,
    limiter: AdaptiveLimiter | None = None,
    redact: Redact | None = None,
) -> tuple[HTTPResponse, Any]:
    """One attempt: post ``body``, map a failure (keys taken out of the body first), read the JSON answer.

    The limiter, when given, holds a slot only while the request is on the wire and counts a success.
    """
    if limiter is None:
        http = await transport.post(key, url, headers=headers, body=body, timeout=timeout, provider=provider)
    else:
        await limiter.acquire()
        try:
            http = await transport.post(key, url, headers=headers, body=body, timeout=timeout, provider=provider)
        finally:
            limiter.release()
    if not 200 <= http.status < 300:
        # Keys out before the mapper trims the message: a key cut in two is not found afterwards.
        text = http.text
        raise map_error(http.status, redact(text) if redact is not None else text, http.headers)
    if limiter is not None:
        limiter.on_success()
    try:
        return http, http.json()
    except ValueError as e:
        start = http.text[:200]
        raise ServerError(
            f"{provider} sent a body that is not JSON (HTTP {http.status}): "
            f"{(redact(start) if redact is not None else start)!r}",
            provider=provider, status=http.status,
        ) from e


def redact_error(err: ProviderError, redact: Redact) -> ProviderError:
    """``err`` with secrets taken out of its message and body, in place."""
    err.args = tuple(redact(str(a)) for a in err.args)
    if err.body:
        err.body = redact(err.body)
    return err


async def _attempts(
    provider: Provider,
    request: ChatRequest,
    transport: Transport,
    retry: RetryPolicy,
    timeout: float,
    limiter: AdaptiveLimiter | None,
    redact: Redact | None,
) -> ChatResponse:
    """The request sent, retried until an answer, a non-retryable error, or the retry budget's end."""
    on_rate_limit: Callable[[RateLimitError], None] | None = None
    if limiter is not None:
        lim = limiter

        def on_rate_limit(e: RateLimitError) -> None:
            lim.on_rate_limit(e.retry_after)

    if provider.in_process:

        async def answer() -> ChatResponse:
            if limiter is not None:
                await limiter.acquire()
            try:
                resp = await RUNTIME.arun(provider.complete(request))
            except ProviderError as e:
                raise (redact_error(e, redact) if redact is not None else e) from e.__cause__
            finally:
                if limiter is not None:
                    limiter.release()
            if limiter is not None:
                limiter.on_success()
            return resp

        return await call_with_retries(answer, retry, on_rate_limit=on_rate_limit)

    url = provider.url(request)
    headers = provider.headers()
    body = json.dumps(provider.to_wire(request), ensure_ascii=False).encode()
    key = provider.connection_key

    async def attempt() -> ChatResponse:
        _, data = await post_json(transport, key, url, headers=provider.sign(url, headers, body), body=body,
                                  timeout=timeout, provider=provider.name, map_error=provider.map_error,
                                  limiter=limiter, redact=redact)
        return provider.from_wire(data)

    return await call_with_retries(attempt, retry, on_rate_limit=on_rate_limit)


async def send(
    provider: Provider,
    request: ChatRequest,
    *,
    transport: Transport,
    retry: RetryPolicy,
    timeout: float,
    limiter: AdaptiveLimiter | None = None,
    redact: Redact | None = None,
    schema_ok: bool = True,
    strip_schema: Callable[[ChatRequest], ChatRequest] = _strip_schema,
    on_schema_refused: Callable[[], None] | None = None,
    what: str = "This request",
) -> ChatResponse:
    """Send ``request`` to ``provider`` and return its answer, or raise the error it ended with.

    Args:
        transport: the HTTP sessions to post on (unused by in-process providers).
        retry: the one retry loop's attempts and time budget.
        timeout: seconds per attempt.
        limiter: waited on before each attempt, lowered by 429s; None sends at once.
        redact: takes secrets out of error texts.
        schema_ok: False when this endpoint is known to refuse output schemas: ask without it at once.
        strip_schema: the request to send instead of one whose schema the endpoint refuses (by default
            the same request without it; the gateway spells the schema out in the prompt).
        on_schema_refused: called when the endpoint refuses the schema (a judge remembers the endpoint).
        what: names the request in the error for tools asked of a provider without tool calling.

    Example:
        >>> await send(provider, request, transport=Transport(), retry=RetryPolicy(), timeout=60)  # doctest: +SKIP
    """
    if request.uses_tools and not provider.supports_tools:
        raise tools_unsupported(provider.name, provider.model, what)
    first = request
    if request.response_schema is not None and not (schema_ok and provider.supports_response_schema):
        first = strip_schema(request)
    try:
        return await _attempts(provider, first, transport, retry, timeout, limiter, redact)
    except SchemaUnsupportedError:
        if first.response_schema is None:
            raise
        if on_schema_refused is not None:
            on_schema_refused()
        return await _attempts(provider, strip_schema(first), transport, retry, timeout, limiter, redact)
