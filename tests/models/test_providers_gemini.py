"""Gemini API: golden wire format, error mapping, and the client against the fake server."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal

import pytest

from jurist.errors import (
    AuthError,
    ConfigError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    RateLimitError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.judges._values import verdict_schema
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema
from jurist.models.providers import gemini
from tests.fakes._server import Reply
from tests.fakes.gemini import FakeGemini, blocked_prompt, gemini_error, overloaded, rate_limited, too_long
from tests.models._providers import FAST, PLAIN, REQUEST, chat, golden


# -- pure translation --------------------------------------------------------------------------------
def test_to_wire_matches_the_documented_request() -> None:
    assert gemini.to_wire(REQUEST, REQUEST.params) == golden("gemini_request")


def test_to_wire_maps_assistant_turns_to_model_and_omits_empty_config() -> None:
    req = ChatRequest(messages=(Message("user", "a"), Message("assistant", "b"), Message("user", "c")))
    body = gemini.to_wire(req, {})
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert "generationConfig" not in body and "systemInstruction" not in body


@pytest.mark.parametrize("tp,expected", [
    (bool, {"type": "BOOLEAN"}),
    (int, {"type": "INTEGER"}),
    (Literal[1, 2, 3], {"type": "INTEGER"}),  # numeric enums are not expressible; the judge validates
    (list[str], {"type": "ARRAY", "items": {"type": "STRING"}}),
])
def test_result_schemas_become_gemini_schemas(tp: object, expected: dict[str, Any]) -> None:
    converted = gemini.response_schema(verdict_schema(tp))
    assert converted is not None
    assert converted["properties"]["result"] == expected
    assert converted["propertyOrdering"] == ["rationale", "result"]


def test_a_schema_gemini_cannot_express_asks_for_plain_json_mode() -> None:
    req = ChatRequest(messages=REQUEST.messages,
                      response_schema=ResponseSchema("verdict", verdict_schema(dict[str, int])))
    config = gemini.to_wire(req, {})["generationConfig"]
    assert config == {"responseMimeType": "application/json"}


def test_from_wire_reads_text_usage_finish_and_model() -> None:
    resp = gemini.from_wire(golden("gemini_response"))
    assert json.loads(resp.text) == {"rationale": "2+2 is 4, as stated.", "result": "yes"}
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (58, 21)
    assert resp.finish_reason == "STOP" and resp.model == "gemini-2.0-flash"


def test_thought_parts_are_skipped_and_billed_as_output() -> None:
    resp = gemini.from_wire(golden("gemini_response_thinking"))
    assert json.loads(resp.text)["result"] == "yes"
    assert resp.usage.output_tokens == 12 + 140


@pytest.mark.parametrize("name,match", [
    ("gemini_response_safety", "finishReason=SAFETY"),
    ("gemini_response_blocked_prompt", "blockReason=SAFETY"),
])
def test_safety_stops_are_content_filtered(name: str, match: str) -> None:
    with pytest.raises(ContentFilteredError, match=match):
        gemini.from_wire(golden(name))


# -- error mapping -----------------------------------------------------------------------------------
def _map(reply: Reply) -> ProviderError:
    return gemini.map_error("gemini", reply.status, json.dumps(reply.json_body), reply.headers,
                            ("GEMINI_API_KEY", "GOOGLE_API_KEY"))


def test_429_waits_for_the_retry_info_delay() -> None:
    err = _map(rate_limited("37.5s"))
    assert isinstance(err, RateLimitError) and err.retryable and err.retry_after == 37.5


def test_a_daily_quota_is_not_retried() -> None:
    err = _map(rate_limited("3600s", per_day=True))
    assert type(err) is ProviderError and not err.retryable and "daily quota" in str(err)


def test_bad_key_names_the_env_vars() -> None:
    err = _map(gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                            details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]))
    assert isinstance(err, AuthError) and "GEMINI_API_KEY" in str(err) and "GOOGLE_API_KEY" in str(err)
    assert isinstance(_map(gemini_error(403, "PERMISSION_DENIED", "Permission denied")), AuthError)


def test_too_many_input_tokens_is_context_length() -> None:
    assert isinstance(_map(too_long()), ContextLengthError)


def test_overloaded_and_internal_are_retryable_server_errors() -> None:
    assert isinstance(_map(overloaded()), ServerError)
    assert _map(gemini_error(500, "INTERNAL", "An internal error has occurred.")).retryable


def test_a_rejected_response_schema_is_schema_unsupported() -> None:
    err = _map(gemini_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name "
                            "\"additionalProperties\" at 'generation_config.response_schema': Cannot find field."))
    assert isinstance(err, SchemaUnsupportedError)


# -- against the fake server -------------------------------------------------------------------------
def test_request_on_the_wire(fake_gemini: FakeGemini) -> None:
    resp = chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))
    rec = fake_gemini.requests[-1]
    assert rec.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert rec.headers["x-goog-api-key"] == fake_gemini.api_key
    assert "key" not in rec.query  # the key never rides in the URL
    assert rec.body == golden("gemini_request")
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (42, 17)
    assert resp.cost_usd == pytest.approx((42 * 0.10 + 17 * 0.40) / 1e6)


def test_google_alias_and_google_api_key(fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", fake_gemini.api_key)
    client = ModelClient("google:/models/gemini-2.5-flash", retry=FAST)
    assert client.provider.name == "gemini"
    chat(client, PLAIN)
    assert fake_gemini.requests[-1].path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_missing_key_is_a_config_error_naming_both_env_vars() -> None:
    with pytest.raises(ConfigError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        ModelClient("gemini:/gemini-2.0-flash").check_ready()


def test_wrong_key_is_an_auth_error_without_the_key(fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-wrong-key-0123456789")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError, match="GEMINI_API_KEY") as info:
        chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))
    assert fake_gemini.calls == 1
    assert "AIza-wrong-key-0123456789" not in str(info.value) + (info.value.body or "") + caplog.text


def test_a_key_echoed_back_is_redacted(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(gemini_error(400, "INVALID_ARGUMENT", f"Bad request from key {fake_gemini.api_key}"))
    with pytest.raises(ProviderError) as info:
        chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))
    assert fake_gemini.api_key not in str(info.value) and fake_gemini.api_key not in (info.value.body or "")


def test_429_is_retried_after_the_retry_info_delay(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(rate_limited("0.2s"))
    start = time.monotonic()
    chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))
    assert time.monotonic() - start >= 0.2 and fake_gemini.calls == 2


def test_503_is_retried(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(overloaded())
    chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))
    assert fake_gemini.calls == 2


def test_blocked_prompt_is_content_filtered(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(blocked_prompt())
    with pytest.raises(ContentFilteredError):
        chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST))


def test_schema_rejection_falls_back_once_and_is_remembered(fake_gemini: FakeGemini) -> None:
    fake_gemini.reject_schema = True
    client = ModelClient("gemini:/gemini-2.0-flash", retry=FAST)
    first = chat(client)
    assert json.loads(first.text)["result"] in ("yes", "no")
    assert [("responseSchema" in r.body["generationConfig"]) for r in fake_gemini.requests] == [True, False]
    chat(client)
    assert fake_gemini.calls == 3 and "responseSchema" not in fake_gemini.requests[-1].body["generationConfig"]


def test_unsupported_parameters_are_dropped_with_a_debug_log(fake_gemini: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jurist.models")
    req = ChatRequest(messages=PLAIN.messages, params={"temperature": 0, "logit_bias": {"1": 2}})
    chat(ModelClient("gemini:/gemini-2.0-flash", retry=FAST), req)
    assert fake_gemini.requests[-1].body["generationConfig"] == {"temperature": 0}
    assert "logit_bias" in caplog.text
