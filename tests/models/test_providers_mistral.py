"""Mistral AI: golden wire format (random_seed, json_schema), errors, against the fake server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jurist.errors import AuthError, ConfigError, ContextLengthError, RateLimitError, SchemaUnsupportedError
from jurist.models import ModelClient
from jurist.models.providers import mistral
from jurist.models.providers import openai as oa
from tests.fakes.mistral import FakeMistral, mistral_error, rate_limited, too_long
from tests.models._providers import FAST, REQUEST, chat, golden


def test_to_wire_matches_the_documented_request() -> None:
    assert mistral.to_wire(REQUEST, "mistral-large-latest", REQUEST.params) == golden("mistral_request")


def test_from_wire_skips_thinking_chunks() -> None:
    resp = oa.from_wire(golden("mistral_response"), "mistral")
    assert json.loads(resp.text) == {"rationale": "2+2 is 4.", "result": "yes"}
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (16, 34)


def test_request_on_the_wire(fake_mistral: FakeMistral) -> None:
    resp = chat(ModelClient("mistral:/mistral-large-latest", retry=FAST))
    rec = fake_mistral.requests[-1]
    assert rec.path == "/v1/chat/completions"
    assert rec.headers["Authorization"] == f"Bearer {fake_mistral.api_key}"
    assert rec.body == golden("mistral_request")
    assert resp.cost_usd == pytest.approx((42 * 2.00 + 17 * 6.00) / 1e6)


def test_errors_in_mistral_shapes() -> None:
    def m(status: int, body: dict[str, Any]) -> Exception:
        return mistral.MistralProvider.map_error(
            mistral.MistralProvider.__new__(mistral.MistralProvider), status, json.dumps(body), {})

    assert isinstance(m(401, {"message": "Unauthorized", "request_id": "x"}), AuthError)
    assert "MISTRAL_API_KEY" in str(m(401, {"message": "Unauthorized"}))
    assert isinstance(m(429, {"message": "Requests rate limit exceeded"}), RateLimitError)
    assert isinstance(m(400, too_long().json_body), ContextLengthError)
    bad_schema = {"object": "error", "message": {"detail": [{"type": "value_error",
                  "loc": ["body", "response_format", "json_schema"], "msg": "Invalid schema"}]},
                  "type": "invalid_request_message_error", "param": None, "code": None}
    assert isinstance(m(422, bad_schema), SchemaUnsupportedError)


def test_missing_key_names_the_env_var() -> None:
    with pytest.raises(ConfigError, match="MISTRAL_API_KEY"):
        ModelClient("mistral:/mistral-small-latest").check_ready()


def test_rate_limit_is_retried(fake_mistral: FakeMistral) -> None:
    fake_mistral.enqueue(rate_limited(0))
    chat(ModelClient("mistral:/mistral-small-latest", retry=FAST))
    assert fake_mistral.calls == 2


def test_context_length_from_the_server(fake_mistral: FakeMistral) -> None:
    fake_mistral.enqueue(too_long())
    with pytest.raises(ContextLengthError):
        chat(ModelClient("mistral:/mistral-small-latest", retry=FAST))


def test_server_error_is_retried(fake_mistral: FakeMistral) -> None:
    fake_mistral.enqueue(mistral_error(503, "Service unavailable", "service_unavailable"))
    chat(ModelClient("mistral:/mistral-small-latest", retry=FAST))
    assert fake_mistral.calls == 2
