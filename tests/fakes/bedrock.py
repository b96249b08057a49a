"""A fake Amazon Bedrock runtime: ``POST /model/{modelId}/converse``, SigV4-verified.

The fake knows one set of AWS credentials and recomputes every request's signature with botocore's
own ``SigV4Auth`` over the request exactly as it arrived (raw path, the signed headers, the body), so
a signing bug in jurist answers 403 ``InvalidSignatureException`` as AWS would. Errors carry their
type in ``x-amzn-ErrorType`` and ``{"message": ...}`` as the body.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from typing import Any

from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes._server import FakeServer, Reply, raw_reply, tool_call_ids

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9\-;]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def bedrock_error(status: int, etype: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A reply in Bedrock's (AWS restJson1) error shape."""
    h = {"x-amzn-ErrorType": f"{etype}:http://internal.amazon.com/coral/com.amazon.bedrock/",
         "x-amzn-RequestId": "00000000-0000-0000-0000-000000000000", **(headers or {})}
    return Reply(status=status, json_body={"message": message}, headers=h)


def throttled() -> Reply:
    return bedrock_error(429, "ThrottlingException", "Too many requests, please wait before trying again.")


def too_long() -> Reply:
    return bedrock_error(400, "ValidationException", "Input is too long for requested model.")


def unavailable() -> Reply:
    return bedrock_error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.")


def access_denied() -> Reply:
    return bedrock_error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")


class FakeBedrock(FakeServer):
    tool_turns = 0

    def __init__(self, access_key: str = "AKIAFAKEFAKEFAKE0001", secret_key: str = "fake/secret+key/0123456789abcdef",
                 session_token: str | None = None, region: str = "us-east-1") -> None:
        super().__init__(api_key=access_key)
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token
        self.region = region
        #: Model ids that cannot be forced to call a tool (toolChoice.tool), as on real Bedrock.
        self.no_tool_choice: set[str] = set()

    def reset(self) -> None:
        super().reset()
        self.no_tool_choice = set()

    def routes(self, app: web.Application) -> None:
        app.router.add_post(r"/model/{model_id:.+}/converse", self.converse)

    @property
    def base_url(self) -> str:
        return self.url

    # -- SigV4, recomputed with botocore ---------------------------------------------------------
    def verify(self, request: web.Request, raw: bytes) -> Reply | None:
        auth = request.headers.get("Authorization", "")
        m = _AUTH.match(auth)
        if not m:
            return bedrock_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if m["akid"] != self.access_key:
            return bedrock_error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        if self.session_token is not None and request.headers.get("X-Amz-Security-Token") != self.session_token:
            return bedrock_error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        if m["region"] != self.region or m["service"] != "bedrock":
            return bedrock_error(403, "InvalidSignatureException",
                                 f"Credential should be scoped to a valid region and service 'bedrock', "
                                 f"not '{m['region']}/{m['service']}'.")
        amz_date = request.headers.get("X-Amz-Date", "")
        try:
            when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return bedrock_error(403, "IncompleteSignatureException", "X-Amz-Date is missing or malformed.")
        if abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) > 300 or m["date"] != amz_date[:8]:
            return bedrock_error(403, "InvalidSignatureException", "Signature expired or its date does not match.")
        signed = m["signed"].split(";")
        if "host" not in signed:
            return bedrock_error(403, "InvalidSignatureException", "'Host' must be a signed header.")
        missing = [h for h in signed if h not in {k.lower() for k in request.headers}]
        if missing:
            return bedrock_error(403, "InvalidSignatureException", f"Signed header(s) not sent: {missing}")
        aws_req = AWSRequest(
            method=request.method,
            url=f"http://{request.headers['Host']}{request.raw_path}",
            data=raw,
            headers={h: request.headers[h] for h in signed},
        )
        aws_req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(self.access_key, self.secret_key, self.session_token), "bedrock", self.region)
        canonical = signer.canonical_request(aws_req)
        expected = signer.signature(signer.string_to_sign(aws_req, canonical), aws_req)
        if expected != m["sig"]:
            return bedrock_error(
                403, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
                f"The Canonical String for this request should have been\n'{canonical}'")
        return None

    # -- Converse ---------------------------------------------------------------------------------
    async def converse(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        rec = await self.record(request)
        denied = self.verify(request, raw)
        if denied is not None:
            return raw_reply(denied)
        model_id = request.match_info["model_id"]
        body: dict[str, Any] = rec.body if isinstance(rec.body, dict) else {}
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return raw_reply(bedrock_error(400, "ValidationException", "The model requires at least one message."))
        for msg in messages:
            if msg.get("role") not in ("user", "assistant") or not isinstance(msg.get("content"), list):
                return raw_reply(bedrock_error(
                    400, "ValidationException",
                    "1 validation error detected: Value at 'messages.1.member.role' failed to satisfy constraint: "
                    "Member must satisfy enum value set: [user, assistant]"))
        unknown = set(body.get("inferenceConfig") or {}) - {"maxTokens", "temperature", "topP", "stopSequences"}
        if unknown:
            return raw_reply(bedrock_error(400, "ValidationException",
                                           f"Unknown field(s) in inferenceConfig: {sorted(unknown)}"))
        tool_config = body.get("toolConfig") or {}
        forced = ((tool_config.get("toolChoice") or {}).get("tool") or {}).get("name")
        tools = {t["toolSpec"]["name"]: t["toolSpec"] for t in tool_config.get("tools", []) if "toolSpec" in t}
        if forced and model_id in self.no_tool_choice:
            return raw_reply(bedrock_error(400, "ValidationException",
                                           "This model doesn't support the toolConfig.toolChoice.tool field. "
                                           "Remove toolConfig.toolChoice.tool and try again."))
        if forced and forced not in tools:
            return raw_reply(bedrock_error(400, "ValidationException", f"Tool {forced} is not in toolConfig.tools."))
        reply = self.next_reply() or Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.json_body is not None or reply.raw is not None or reply.status != 200:
            return raw_reply(reply)
        usage = reply.usage or self.usage
        if reply.content is None and forced:
            schema = tools[forced]["inputSchema"]["json"]
            content: list[dict[str, Any]] = [{"toolUse": {"toolUseId": "tooluse_fake0001", "name": forced,
                                                          "input": json.loads(self.verdict_text(body, schema))}}]
            stop = "tool_use"
        else:
            text = reply.content if reply.content is not None else self.verdict_text(body, None)
            if isinstance(text, list):  # a turn of tool calls
                self.tool_turns += 1
                content = [{"toolUse": {"toolUseId": c["id"], "name": c["name"], "input": c["arguments"]}}
                           for c in tool_call_ids(text, "tooluse_fake", self.tool_turns)]
                stop = "tool_use"
            else:
                content, stop = [{"text": text}], "end_turn"
        return web.json_response({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": reply.finish_reason or stop,
            "usage": {"inputTokens": usage[0], "outputTokens": usage[1], "totalTokens": usage[0] + usage[1]},
            "metrics": {"latencyMs": 321},
        }, headers={"x-amzn-RequestId": "00000000-0000-0000-0000-000000000001", **reply.headers})
