"""Sending one request down an endpoint's chain: the target drawn by weight, then each fallback in
order, until one answers.

A target that speaks the OpenAI wire format gets the request as it came, with only ``model``
replaced, over the gateway's kept-alive aiohttp sessions (the fast path). Any other target gets it
through jurist's one send path (:func:`jurist.models._send.send`): the body is read into a
:class:`ChatRequest`, sent with that provider's ``to_wire``, URL, auth and ``sign`` (or answered by an
in-process provider: a local model, LiteLLM, ``fake:/``), its answer read with ``from_wire`` and
written back as a chat completion. All use the one retry loop of :mod:`jurist.models._http`, with
the endpoint's ``retries`` and ``timeout``; none waits behind a learned rate limit, because here the
answer to a refusal is the next target.

A 429, a 5xx, a timeout or a broken connection moves on to the next target, and a target that said
429 goes to the back of the chain until its ``Retry-After`` has passed; any other failure (the request
itself is wrong) is the answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from jurist.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ContentFilteredError,
    GatewayError,
    JuristError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from jurist.gateway._secrets import Redactor
from jurist.gateway._table import Route, Target
from jurist.gateway._wire import (
    DONE,
    error_body,
    from_chat_response,
    schema_in_prompt,
    sse,
    stream_chunks,
    structured,
    to_chat_request,
)
from jurist.models._http import HTTPResponse, Transport, call_with_retries
from jurist.models._send import post_json, send
from jurist.models._types import ChatRequest, ChatResponse

_JSON = {"content-type": "application/json"}


@dataclass
class Result:
    """What the client gets, and what is recorded about it."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(_JSON))
    target: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    attempts: int = 0
    error_code: str | None = None


@dataclass
class Stream:
    """An open stream: the chunks to send, and its usage, known once the last chunk has gone."""

    chunks: AsyncIterator[bytes]
    result: Result


#: What a target's attempt gives: an answer, or an open stream.
_Answer = TypeVar("_Answer", "Result", "Stream")


def failure(status: int, message: str, etype: str, code: str, **kw: Any) -> Result:
    return Result(status=status, body=error_body(message, etype, code), error_code=code, **kw)


#: A stream chunk that finishes a choice.
_FINISHED = re.compile(rb'"finish_reason"\s*:\s*"')

#: The longest a target that answered 429 is passed over (its Retry-After, capped).
MAX_COOLDOWN_S = 60.0


class Dispatcher:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        #: Until when (monotonic) each target that answered 429 goes to the back of the chain.
        self._cooling: dict[tuple[str, str], float] = {}

    def order(self, route: Route) -> list[Target]:
        """The attempt order: the drawn target then the fallbacks, with targets still cooling off after a
        429 moved to the end (tried only when nothing else answers)."""
        chain = route.attempt_order()
        if not self._cooling:
            return chain
        now = time.monotonic()
        cooling = [t for t in chain if self._cooling.get((t.connection_key, t.model), 0.0) > now]
        if not cooling:
            if len(self._cooling) > 1000:
                self._cooling = {k: v for k, v in self._cooling.items() if v > now}
            return chain
        return [t for t in chain if t not in cooling] + cooling

    def _failed(self, target: Target, e: ProviderError) -> None:
        if isinstance(e, RateLimitError):
            wait = min(MAX_COOLDOWN_S, e.retry_after if e.retry_after else 1.0)
            self._cooling[(target.connection_key, target.model)] = time.monotonic() + wait

    # -- the chain ----------------------------------------------------------------------------------
    async def _down_the_chain(self, route: Route, body: dict[str, Any], redact: Redactor,
                              one: Callable[[Target, Callable[[], ChatRequest]], Awaitable[_Answer]]
                              ) -> _Answer | Result:
        """``one(target, request)`` on each target in attempt order until one answers; the request is read
        from the body once, and only if a target needs it. A retryable failure moves on to the next target,
        any other is the answer (as :meth:`give_up` words it); a ConfigError is the client's mistake."""
        errors: list[tuple[Target, JuristError]] = []
        parsed: list[ChatRequest] = []

        def request() -> ChatRequest:
            if not parsed:
                parsed.append(to_chat_request(body))
            return parsed[0]

        for target in self.order(route):
            if target.unusable is not None:
                errors.append((target, GatewayError(target.unusable)))
                continue
            try:
                answer = await one(target, request)
            except ConfigError as e:
                return failure(400, redact(f"endpoint '{route.name}': {e}"), "invalid_request_error",
                               "invalid_request", target=target.label, attempts=len(errors) + 1)
            except ProviderError as e:
                errors.append((target, e))
                self._failed(target, e)
                if not e.retryable:
                    break
                continue
            (answer.result if isinstance(answer, Stream) else answer).attempts = len(errors) + 1
            return answer
        return self.give_up(route, errors, redact)

    # -- one answer ---------------------------------------------------------------------------------
    async def complete(self, route: Route, body: dict[str, Any], redact: Redactor) -> Result:
        async def one(target: Target, request: Callable[[], ChatRequest]) -> Result:
            if target.passthrough:
                return await self._passthrough(route, target, body, redact)
            return await self._translated(route, target, request(), redact)

        return await self._down_the_chain(route, body, redact, one)

    async def _passthrough(self, route: Route, target: Target, body: dict[str, Any], redact: Redactor) -> Result:
        payload = dict(body)
        payload["model"] = target.model
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

        async def attempt() -> tuple[HTTPResponse, Any]:
            return await post_json(self.transport, target.connection_key, target.url, headers=target.headers,
                                   body=data, timeout=route.timeout, provider=target.provider_name,
                                   map_error=target.map_error, redact=redact)

        http, parsed = await call_with_retries(attempt, route.retry)
        usage = parsed.get("usage") if isinstance(parsed, dict) else None
        i = o = None
        if isinstance(usage, dict):
            i, o = usage.get("prompt_tokens"), usage.get("completion_tokens")
        # A target that echoes its key (or another target's) in its answer does not hand it to the client.
        return Result(status=200, body=redact.body(http.body), target=target.label, input_tokens=i, output_tokens=o,
                      cost_usd=target.cost(parsed.get("model") if isinstance(parsed, dict) else None, i, o))

    async def _translated(self, route: Route, target: Target, request: ChatRequest, redact: Redactor) -> Result:
        """Through the target's provider module (its ``to_wire``, URL and auth, ``from_wire``, or an in-process
        provider's own answer), with the endpoint's retries and timeout. Unlike a judge's ModelClient, nothing
        here waits for a learned rate limit: a target that refuses is passed over for the next one; a target
        that takes no output schema gets it spelled out in the prompt."""
        assert target.provider is not None
        resp = await send(target.provider, request, transport=self.transport, retry=route.retry,
                          timeout=route.timeout, redact=redact, strip_schema=schema_in_prompt,
                          what="A request with tools")
        resp = structured(resp, request)
        u = resp.usage
        cost = target.cost(resp.model, u.input_tokens, u.output_tokens)
        body = redact.body(json.dumps(from_chat_response(resp, target.model), ensure_ascii=False).encode())
        return Result(status=200, body=body, target=target.label, input_tokens=u.input_tokens,
                      output_tokens=u.output_tokens, cost_usd=cost if cost is not None else resp.cost_usd)

    # -- a stream -----------------------------------------------------------------------------------
    async def stream(self, route: Route, body: dict[str, Any], redact: Redactor) -> Stream | Result:
        """Open a stream on the first target that takes it; fallbacks apply until the first byte is sent."""
        so = body.get("stream_options")
        include_usage = isinstance(so, dict) and bool(so.get("include_usage"))

        async def one(target: Target, request: Callable[[], ChatRequest]) -> Stream:
            if target.passthrough:
                return await self._open_passthrough(route, target, body, include_usage, redact)
            answer = await self._translated(route, target, request(), redact)
            return self._replay(answer, target, include_usage)

        return await self._down_the_chain(route, body, redact, one)

    def _replay(self, answer: Result, target: Target, include_usage: bool) -> Stream:
        """A whole answer as a stream (targets reached through the provider layer do not stream)."""
        from jurist.models._types import ToolCall, Usage

        data = json.loads(answer.body)
        message = data["choices"][0]["message"]
        calls = [ToolCall(id=c["id"], name=c["function"]["name"], raw_arguments=c["function"]["arguments"])
                 for c in message.get("tool_calls") or []]
        resp = ChatResponse(text=message.get("content") or "", usage=Usage(answer.input_tokens, answer.output_tokens),
                            finish_reason=data["choices"][0]["finish_reason"], model=data.get("model"),
                            tool_calls=calls)
        events = stream_chunks(resp, target.model, include_usage)

        async def chunks() -> AsyncIterator[bytes]:
            for e in events:
                yield e

        answer.body = b""
        answer.headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
        return Stream(chunks(), answer)

    async def _open_passthrough(self, route: Route, target: Target, body: dict[str, Any], include_usage: bool,
                                redact: Redactor) -> Stream:
        payload = dict(body)
        payload["model"] = target.model
        payload["stream"] = True
        payload["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        session = self.transport.session(target.connection_key)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=route.timeout, sock_read=route.timeout)

        async def attempt() -> aiohttp.ClientResponse:
            try:
                resp = await session.post(target.url, data=data, headers=target.headers, timeout=timeout)
            except asyncio.TimeoutError as e:
                raise ProviderTimeout(f"{target.provider_name} did not answer within {route.timeout:g} s",
                                      provider=target.provider_name) from e
            except aiohttp.ClientError as e:
                raise ServerError(f"connection to {target.provider_name} failed: {type(e).__name__}",
                                  provider=target.provider_name) from e
            if resp.status != 200:
                try:
                    text = await resp.text(errors="replace")
                finally:
                    resp.release()
                raise target.map_error(resp.status, redact(text), resp.headers)
            return resp

        resp = await call_with_retries(attempt, route.retry)
        result = Result(status=200, body=b"", target=target.label,
                        headers={"content-type": "text/event-stream", "cache-control": "no-cache"})
        if "text/event-stream" not in resp.headers.get("Content-Type", ""):
            # The target answered in one piece: send that as a stream.
            try:
                raw = await resp.read()
            finally:
                resp.release()
            try:
                parsed = json.loads(raw)
                usage = parsed.get("usage") or {}
                answer = Result(status=200, body=redact.body(raw), target=target.label, input_tokens=usage.get("prompt_tokens"),
                                output_tokens=usage.get("completion_tokens"))
                answer.cost_usd = target.cost(parsed.get("model"), answer.input_tokens, answer.output_tokens)
                return self._replay(answer, target, include_usage)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
                raise ServerError(f"{target.provider_name} answered a stream request with neither events nor a "
                                  "chat completion", provider=target.provider_name) from e
        return Stream(self._relay(resp, target, include_usage, result, redact), result)

    async def _relay(self, resp: aiohttp.ClientResponse, target: Target, include_usage: bool, result: Result,
                     redact: Redactor) -> AsyncIterator[bytes]:
        """The target's events as they come, reading usage from them on the way, known keys taken out."""
        model = None
        scrub = _StreamScrubber(redact) if redact else None
        ended = False  # [DONE] or a finish_reason seen: the target finished its answer
        try:
            async for line in resp.content:
                if not line.startswith(b"data:"):
                    yield line
                    continue
                if not ended and (line.strip() == b"data: [DONE]" or _FINISHED.search(line)):
                    ended = True
                event: Any = None
                if scrub is not None or b'"usage"' in line:
                    try:
                        event = json.loads(line[5:])
                    except ValueError:
                        event = None
                changed = False
                if isinstance(event, dict) and isinstance(event.get("usage"), dict):
                    u = event["usage"]
                    result.input_tokens, result.output_tokens = u.get("prompt_tokens"), u.get("completion_tokens")
                    model = event.get("model")
                    if not include_usage:
                        if not event.get("choices"):
                            continue  # the usage chunk the client did not ask for
                        event.pop("usage")
                        changed = True
                if scrub is not None:
                    if isinstance(event, dict):
                        changed = scrub.event(event) or changed
                    elif scrub.pending and line.strip() == b"data: [DONE]":
                        yield sse(scrub.flush_event())
                out = sse(event) if changed else line
                yield redact.body(out) if scrub is not None else out  # a key whole in any other field
            if scrub is not None and scrub.pending:  # the stream ended with no [DONE]
                yield sse(scrub.flush_event())
            if not ended:  # the connection closed before the answer was finished
                raise aiohttp.ClientPayloadError("the stream ended before the answer finished")
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            # The client saw 200 when the stream opened; the usage records what it was: a failed request.
            result.status = 502
            result.error_code = "stream_interrupted"
            msg = redact(f"the stream from target '{target.label}' broke off: {type(e).__name__}")
            yield sse({"error": {"message": msg, "type": "server_error", "code": "stream_interrupted"}})
            yield DONE
        finally:
            resp.release()
            result.cost_usd = target.cost(model, result.input_tokens, result.output_tokens)

    # -- failure ------------------------------------------------------------------------------------
    def give_up(self, route: Route, errors: list[tuple[Target, JuristError]], redact: Redactor) -> Result:
        """The answer when no target could: the last target's error decides the status."""
        attempts = sum(1 for _, e in errors if not isinstance(e, GatewayError))
        if not errors:
            return failure(503, f"endpoint '{route.name}' has no target", "server_error", "no_target")
        detail = "; ".join(f"target '{t.label}': {_why(t, e)}" for t, e in errors)
        message = redact(f"endpoint '{route.name}': {detail}")
        last_target, last = errors[-1]
        kw: dict[str, Any] = {"target": last_target.label, "attempts": attempts}
        if isinstance(last, (BadRequestError, ContentFilteredError)):
            status = last.status if last.status in (400, 404, 413, 422) else 400
            code = "content_filter" if isinstance(last, ContentFilteredError) else "invalid_request"
            return failure(status, message, "invalid_request_error", code, **kw)
        if isinstance(last, AuthError):
            return failure(502, message, "server_error", "upstream_auth_error", **kw)
        provider_errors = [e for _, e in errors if not isinstance(e, GatewayError)]
        if provider_errors and all(isinstance(e, RateLimitError) for e in provider_errors):
            waits = [e.retry_after for e in provider_errors if isinstance(e, RateLimitError) and e.retry_after]
            r = failure(429, message, "rate_limit_exceeded", "upstream_rate_limited", **kw)
            r.headers["retry-after"] = str(max(1, int(min(waits) + 0.999)) if waits else 1)
            return r
        if not provider_errors:
            return failure(503, message, "server_error", "no_usable_target", **kw)
        if isinstance(last, ProviderTimeout):
            return failure(504, message, "server_error", "upstream_timeout", **kw)
        return failure(502, message, "server_error", "upstream_error", **kw)


class _StreamScrubber:
    """Takes known keys out of a stream's text, also a key that arrives split over two chunks: each
    choice's text (and each tool call's arguments) is sent only up to where a key could be starting, the
    rest held back until the next chunk shows it is not one, or until the choice finishes."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact
        #: Text held back, by (choice index, None for the content or the tool call's index).
        self.pending: dict[tuple[int, int | None], str] = {}
        self._base: dict[str, Any] = {}

    def _pass(self, key: tuple[int, int | None], text: str, final: bool) -> str:
        text = self.redact(self.pending.pop(key, "") + text)
        keep = 0 if final else self.redact.held_back(text)
        if keep:
            self.pending[key] = text[-keep:]
            return text[:-keep]
        return text

    def event(self, event: dict[str, Any]) -> bool:
        """Scrub one chunk in place; whether it changed."""
        changed = False
        self._base = {k: event[k] for k in ("id", "object", "created", "model") if k in event}
        for choice in event.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            raw_idx = choice.get("index")
            idx: int = raw_idx if isinstance(raw_idx, int) else 0
            final = choice.get("finish_reason") is not None
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = {}
            text = delta.get("content")
            if isinstance(text, str) or (final and (idx, None) in self.pending):
                out = self._pass((idx, None), text if isinstance(text, str) else "", final)
                if out != text:
                    delta["content"] = out
                    changed = True
            calls = delta.get("tool_calls")
            for n, call in enumerate(calls if isinstance(calls, list) else []):
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    call_idx = call.get("index")
                    key: tuple[int, int | None] = (idx, call_idx if isinstance(call_idx, int) else n)
                    out = self._pass(key, fn["arguments"], False)
                    if out != fn["arguments"]:
                        fn["arguments"] = out
                        changed = True
            if final:
                for key in [k for k in self.pending if k[0] == idx and k[1] is not None]:
                    held = self._pass(key, "", True)
                    delta.setdefault("tool_calls", []).append({"index": key[1], "function": {"arguments": held}})
                    changed = True
            if changed:
                choice["delta"] = delta
        return changed

    def flush_event(self) -> dict[str, Any]:
        """What is still held back at the end of a stream, as one last chunk."""
        choices: dict[int, dict[str, Any]] = {}
        for (idx, call), text in sorted(self.pending.items(), key=lambda kv: (kv[0][0], kv[0][1] or -1)):
            delta = choices.setdefault(idx, {"index": idx, "delta": {}, "finish_reason": None})["delta"]
            if call is None:
                delta["content"] = self.redact(text)
            else:
                delta.setdefault("tool_calls", []).append({"index": call, "function": {"arguments": self.redact(text)}})
        self.pending.clear()
        return {**self._base, "choices": list(choices.values())}


def _why(target: Target, e: JuristError) -> str:
    if isinstance(e, AuthError):
        # Not the provider's hint about its environment variable: the gateway holds this key.
        return (f"{target.provider_name} refused the gateway's key for this target (HTTP {e.status}); "
                "an administrator must check it")
    return " ".join(str(e).split())
