"""Amazon Bedrock Converse API (``bedrock:/<model-id>``), signed with AWS Signature Version 4.

Request: ``POST https://bedrock-runtime.{region}.amazonaws.com/model/{modelId}/converse``, the model
id percent-encoded as one path segment. ``messages`` hold ``content: [{"text"}]`` blocks, the system
prompt is ``system: [{"text"}]``, sampling is ``inferenceConfig`` (``maxTokens``, ``temperature``,
``topP``, ``stopSequences``; no seed). Structured output is a forced tool: ``toolConfig`` with one
``toolSpec`` whose ``inputSchema.json`` is the verdict schema and ``toolChoice: {"tool": {"name"}}``.

Answer: ``output.message.content`` (a ``toolUse`` block's ``input``, else ``text`` blocks),
``stopReason`` (``end_turn``, ``tool_use``, ``max_tokens``, ``guardrail_intervened`` …) and
``usage`` (``inputTokens``, ``outputTokens``). Errors name their type in the ``x-amzn-ErrorType``
header (``ThrottlingException:http://internal.amazon.com/...``) with ``{"message": ...}`` as the body.

Credentials come from the standard AWS chain (environment, shared profile, SSO, container or instance
role) through botocore, the ``bedrock`` extra; the signature itself is computed here, per attempt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import yarl

from jurist.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.models._http import parse_retry_after
from jurist.models._types import ChatRequest, ChatResponse, Message, ToolCall, Usage
from jurist.models.providers._base import Provider, default_error, error_message, missing_extra

SIGNING_SERVICE = "bedrock"
ALGORITHM = "AWS4-HMAC-SHA256"
DEFAULT_MAX_TOKENS = 1024
CREDENTIALS_HINT = (
    "Check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the role), "
    "and that the model is enabled for the account in AWS_REGION."
)
FILTERED = frozenset({"guardrail_intervened", "content_filtered"})


# -- the wire format --------------------------------------------------------------------------------
def wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat turns as Converse messages: tool calls are ``toolUse`` blocks of the assistant turn, tool
    results ``toolResult`` blocks sharing the next user turn."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            block = {"toolResult": {"toolUseId": m.tool_call_id or "", "content": [{"text": m.content}]}}
            if out and out[-1]["role"] == "user" and any("toolResult" in b for b in out[-1]["content"]):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role == "assistant" and m.tool_calls:
            blocks: list[dict[str, Any]] = [{"text": m.content}] if m.content else []
            blocks.extend({"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments}} for c in m.tool_calls)
            out.append({"role": "assistant", "content": blocks})
        elif m.role == "user" and out and out[-1]["role"] == "user" and any(
                "toolResult" in b for b in out[-1]["content"]):
            out[-1]["content"].append({"text": m.content})
        else:
            out.append({"role": m.role, "content": [{"text": m.content}]})
    return out


def _tool_choice(choice: str | None) -> dict[str, Any] | None:
    if choice is None or choice in ("auto", "none"):  # Converse has no "none": the model may still call
        return {"auto": {}} if choice == "auto" else None
    if choice == "required":
        return {"any": {}}
    return {"tool": {"name": choice}}


def to_wire(request: ChatRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse request body. Pure: no I/O, no env."""
    body: dict[str, Any] = {"messages": wire_messages(request.chat_messages)}
    if request.system:
        body["system"] = [{"text": request.system}]
    config: dict[str, Any] = {"maxTokens": params.get("max_tokens", DEFAULT_MAX_TOKENS)}
    if "temperature" in params:
        config["temperature"] = params["temperature"]
    if "top_p" in params:
        config["topP"] = params["top_p"]
    if "stop" in params:
        stop = params["stop"]
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    body["inferenceConfig"] = config
    tools = [{"toolSpec": {"name": t.name, "description": t.description, "inputSchema": {"json": t.parameters}}}
             for t in request.tools]
    choice = _tool_choice(request.tool_choice) if request.tools else None
    if request.response_schema is not None:
        name = request.response_schema.name
        tools.append({
            "toolSpec": {
                "name": name,
                "description": "Record the verdict. Call this exactly once with the rationale and the result.",
                "inputSchema": {"json": request.response_schema.schema},
            }
        })
        choice = choice or {"tool": {"name": name}}
    if tools:
        body["toolConfig"] = {"tools": tools, **({"toolChoice": choice} if choice else {})}
    return body


def from_wire(body: Any, provider: str = "bedrock") -> ChatResponse:
    """Read a Converse answer: the forced tool's input as JSON text, else the text blocks."""
    try:
        content = body["output"]["message"]["content"]
    except (KeyError, TypeError) as e:
        raise ProviderError(f"{provider} answered without output.message: {str(body)[:300]}",
                            provider=provider) from e
    stop = body.get("stopReason")
    if stop in FILTERED:
        raise ContentFilteredError(f"{provider} stopped the answer (stopReason={stop})", provider=provider)
    text = None
    tool_calls: list[ToolCall] = []
    for i, block in enumerate(content or []):
        if isinstance(block, dict) and "toolUse" in block:
            use = block["toolUse"] or {}
            if text is None:  # structured output is a forced tool: its input is the answer's text
                text = json.dumps(use.get("input"), ensure_ascii=False)
            args = use.get("input")
            tool_calls.append(ToolCall(
                id=str(use.get("toolUseId") or f"tooluse_{i}"), name=str(use.get("name") or ""),
                arguments=args if isinstance(args, dict) else {},
                raw_arguments=None if isinstance(args, dict) else json.dumps(args),
            ))
    if text is None:
        text = "".join(b["text"] for b in content or [] if isinstance(b, dict) and "text" in b)
    usage = body.get("usage") or {}
    inp = usage.get("inputTokens")
    if inp is not None:
        inp += (usage.get("cacheReadInputTokens") or 0) + (usage.get("cacheWriteInputTokens") or 0)
    return ChatResponse(text=text, usage=Usage(inp, usage.get("outputTokens")), finish_reason=stop,
                        tool_calls=tool_calls)


# -- signing ----------------------------------------------------------------------------------------
def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    k = _hmac(f"AWS4{secret_key}".encode(), date)
    return _hmac(_hmac(_hmac(k, region), service), "aws4_request")


def sigv4_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    session_token: str | None,
    region: str,
    service: str = SIGNING_SERVICE,
    now: dt.datetime,
) -> dict[str, str]:
    """``headers`` plus ``Host``, ``X-Amz-Date``, the session token and ``Authorization``. Pure.

    The canonical URI is the path exactly as it goes on the wire, encoded once more (every AWS
    service but S3 double-encodes); ``:`` in a model id therefore signs as ``%3A`` when sent raw.
    Signed: ``host``, ``content-type`` and every ``x-amz-*`` header.
    """
    u = yarl.URL(url)  # the same normalisation aiohttp applies before sending
    amz_date = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    host = u.raw_host or ""
    if u.explicit_port is not None and not u.is_default_port():
        host = f"{host}:{u.port}"
    out = {k: v for k, v in headers.items() if k.lower() not in ("host", "x-amz-date", "authorization")}
    out["Host"] = host
    out["X-Amz-Date"] = amz_date
    if session_token:
        out["X-Amz-Security-Token"] = session_token
    signed = {k.lower(): " ".join(str(v).split()) for k, v in out.items()
              if k.lower() in ("host", "content-type") or k.lower().startswith("x-amz-")}
    names = sorted(signed)
    query = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in u.query.items())
    canonical = "\n".join([
        method.upper(),
        quote(u.raw_path or "/", safe="/~"),
        "&".join(f"{k}={v}" for k, v in query),
        "".join(f"{n}:{signed[n]}\n" for n in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret_key, amz_date[:8], region, service), to_sign.encode(),
                         hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


# -- errors -----------------------------------------------------------------------------------------
_AUTH = {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
         "ExpiredTokenException", "IncompleteSignatureException", "MissingAuthenticationTokenException",
         "InvalidClientTokenId", "SignatureDoesNotMatch"}
_THROTTLED = {"ThrottlingException", "ModelNotReadyException", "TooManyRequestsException"}
_SERVER = {"InternalServerException", "ServiceUnavailableException", "ModelErrorException",
           "ModelStreamErrorException"}


def error_type(body: str, headers: Mapping[str, str]) -> str:
    """The AWS error code, from ``x-amzn-ErrorType`` or the body's ``__type``."""
    raw = headers.get("x-amzn-ErrorType") or headers.get("x-amzn-errortype") or ""
    if not raw:
        try:
            data = json.loads(body)
            raw = str(data.get("__type") or data.get("code") or "") if isinstance(data, dict) else ""
        except ValueError:
            raw = ""
    return raw.split(":", 1)[0].rsplit("#", 1)[-1]


def map_error(provider: str, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
    etype = error_type(body, headers)
    msg = error_message(body)
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("Message"), str):
            msg = data["Message"]
    except ValueError:
        pass
    low = msg.lower()
    label = f"{etype or 'HTTP'} {status}"
    kw: dict[str, Any] = {"provider": provider, "status": status, "body": body[:2000], "headers": headers}
    if etype in _AUTH or status in (401, 403):
        return AuthError(f"{provider} refused the request ({label}): {msg}. {CREDENTIALS_HINT}", **kw)
    if etype in _THROTTLED or status == 429:
        return RateLimitError(f"{provider} throttled the request ({label}): {msg}",
                              retry_after=parse_retry_after(headers), **kw)
    if etype == "ModelTimeoutException" or status == 408:
        return ProviderTimeout(f"{provider}: the model timed out ({label}): {msg}", **kw)
    if etype in _SERVER or status >= 500 or status == 424:
        return ServerError(f"{provider} server error ({label}): {msg}", **kw)
    if status == 400 or etype == "ValidationException":
        if ("too long" in low or "too many input tokens" in low or "context window" in low
                or "context length" in low or "maximum context" in low or ("exceed" in low and "token" in low)):
            return ContextLengthError(f"{provider}: the prompt is too long for the model ({label}): {msg}", **kw)
        if "toolchoice" in low or "toolconfig" in low or "tool use" in low or "tool_use" in low:
            return SchemaUnsupportedError(f"{provider} does not accept the forced verdict tool ({label}): {msg}",
                                          **kw)
        return BadRequestError(f"{provider} rejected the request ({label}): {msg}", **kw)
    return default_error(provider, status, body, headers)


# -- the provider -----------------------------------------------------------------------------------
class BedrockProvider(Provider):
    """``bedrock:/<model-id>`` (``anthropic.claude-3-5-sonnet-20240620-v1:0``, an inference profile
    id such as ``us.anthropic.claude-sonnet-4-20250514-v1:0``, or its ARN), in ``AWS_REGION``.

    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (or ``base_url``) points it at another endpoint (a VPC
    endpoint, a proxy); the request is still signed for ``AWS_REGION``.
    """

    name = "bedrock"
    api_key_envs: ClassVar[tuple[str, ...]] = ("AWS_ACCESS_KEY_ID",)
    requires_key = False  # credentials may come from a profile or a role, not only the environment
    base_url_envs: ClassVar[tuple[str, ...]] = ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
    supported_params = frozenset({"temperature", "max_tokens", "top_p", "stop"})
    supports_tools = True

    def __init__(self, model: str, *, base_url: str | None = None, **kwargs: Any) -> None:
        self._session: Any = None
        self._credentials: Any = None
        self.region = self._resolve_region()
        if not base_url and not self._env(self.base_url_envs):
            base_url = f"https://bedrock-runtime.{self.region}.amazonaws.com"
        super().__init__(model, base_url=base_url, **kwargs)

    # -- credentials, through botocore ----------------------------------------------------------
    def _botocore_session(self) -> Any:
        if self._session is None:
            try:
                import botocore.session
            except ImportError as e:
                raise missing_extra("bedrock", "botocore", "bedrock:/ (AWS credentials)") from e
            try:
                self._session = botocore.session.Session()
            except Exception as e:  # a named profile that does not exist, a broken config file
                raise ConfigError(f"AWS configuration could not be read: {e}") from e
        return self._session

    def _resolve_region(self) -> str:
        region = self._env(("AWS_REGION", "AWS_DEFAULT_REGION"))
        if not region:
            try:
                region = self._botocore_session().get_config_variable("region")
            except ConfigError:
                region = None
        if not region:
            raise ConfigError("No AWS region for bedrock:/: set AWS_REGION (e.g. AWS_REGION=us-east-1).")
        return str(region)

    def frozen_credentials(self) -> tuple[str, str, str | None]:
        """(access key id, secret key, session token), refreshed by botocore when they expire."""
        if self._credentials is None:
            try:
                creds = self._botocore_session().get_credentials()
            except ConfigError:
                raise
            except Exception as e:
                raise ConfigError(f"AWS credentials could not be loaded: {e}") from e
            if creds is None:
                raise ConfigError(
                    "No AWS credentials for bedrock:/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                    "or AWS_PROFILE, or run where an IAM role is available."
                )
            self._credentials = creds
        f = self._credentials.get_frozen_credentials()
        return f.access_key, f.secret_key, f.token

    def check_ready(self) -> None:
        self.frozen_credentials()

    # -- the hooks --------------------------------------------------------------------------------
    def url(self, request: ChatRequest) -> str:
        return f"{self.base_url}/model/{quote(self.model, safe='')}/converse"

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        h.update(self.extra_headers)
        return h

    def sign(self, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        access, secret, token = self.frozen_credentials()
        return sigv4_headers("POST", url, headers, body, access_key=access, secret_key=secret,
                             session_token=token, region=self.region, now=dt.datetime.now(dt.timezone.utc))

    @property
    def connection_key(self) -> str:
        profile = os.environ.get("AWS_PROFILE", "")
        return f"{super().connection_key}|{self.region}|{profile}"

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.name)

    def map_error(self, status: int, body: str, headers: Mapping[str, str]) -> ProviderError:
        return map_error(self.name, status, body, headers)
