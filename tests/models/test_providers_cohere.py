"""Cohere Chat v2: golden wire format, usage from billed units, errors, against the fake server."""

from __future__ import annotations

import json

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
from jurist.models import ModelClient
from jurist.models.providers import cohere
from tests.fakes.cohere import TEMPLATE_TOKENS, FakeCohere, cohere_error, rate_limited, too_long
from tests.models._providers import FAST, PLAIN, REQUEST, chat, golden


def test_to_wire_matches_the_documented_request() -> None:
    assert cohere.to_wire(REQUEST, "command-a-03-2025", REQUEST.params) == golden("cohere_request")


def test_from_wire_reports_billed_units() -> None:
    resp = cohere.from_wire(golden("cohere_response"))
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (17, 12)
    assert resp.finish_reason == "COMPLETE"


def test_from_wire_falls_back_to_tokens() -> None:
    body = golden("cohere_response")
    del body["usage"]["billed_units"]
    assert cohere.from_wire(body).usage.input_tokens == 215


def test_toxic_stop_is_content_filtered() -> None:
    body = golden("cohere_response")
    body["finish_reason"] = "ERROR_TOXIC"
    with pytest.raises(ContentFilteredError):
        cohere.from_wire(body)


@pytest.mark.parametrize("status,message,cls", [
    (401, "invalid api token", AuthError),
    (498, "invalid token", AuthError),
    (429, "You are past the per minute request limit", RateLimitError),
    (400, "too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 5000.",
     ContextLengthError),
    (400, "invalid request: response_format json_schema is not supported", SchemaUnsupportedError),
    (400, "blocked output: please adjust your prompt and try again, as it may violate our usage policy",
     ContentFilteredError),
    (500, "internal server error, this has been reported to our developers", ServerError),
    (503, "service unavailable", ServerError),
])
def test_errors_map_onto_the_error_tree(status: int, message: str, cls: type[ProviderError]) -> None:
    err = cohere.map_error("cohere", status, json.dumps({"id": "x", "message": message}), {}, ("COHERE_API_KEY",))
    assert type(err) is cls
    if cls is AuthError:
        assert "COHERE_API_KEY" in str(err)


def test_request_on_the_wire(fake_cohere: FakeCohere) -> None:
    resp = chat(ModelClient("cohere:/command-a-03-2025", retry=FAST))
    rec = fake_cohere.requests[-1]
    assert rec.path == "/v2/chat"
    assert rec.headers["Authorization"] == f"Bearer {fake_cohere.api_key}"
    assert rec.body == golden("cohere_request")
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (42, 17)  # billed, not 42 + template
    assert TEMPLATE_TOKENS > 0
    assert resp.cost_usd == pytest.approx((42 * 2.50 + 17 * 10.00) / 1e6)


def test_co_api_key_works_too(fake_cohere: FakeCohere, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COHERE_API_KEY")
    monkeypatch.setenv("CO_API_KEY", fake_cohere.api_key)
    resp = chat(ModelClient("cohere:/command-r-08-2024", retry=FAST), PLAIN)
    assert fake_cohere.requests[-1].headers["Authorization"] == f"Bearer {fake_cohere.api_key}"
    assert resp.text


def test_missing_key_names_the_env_var() -> None:
    with pytest.raises(ConfigError, match="COHERE_API_KEY"):
        ModelClient("cohere:/command-a-03-2025").check_ready()


def test_wrong_key_is_an_auth_error(fake_cohere: FakeCohere, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERE_API_KEY", "co-wrong-0123456789")
    with pytest.raises(AuthError, match="COHERE_API_KEY") as info:
        chat(ModelClient("cohere:/command-a-03-2025", retry=FAST))
    assert "co-wrong-0123456789" not in str(info.value)


def test_rate_limit_is_retried_and_context_length_is_not(fake_cohere: FakeCohere) -> None:
    fake_cohere.enqueue(rate_limited(0))
    chat(ModelClient("cohere:/command-a-03-2025", retry=FAST))
    assert fake_cohere.calls == 2
    fake_cohere.enqueue(too_long())
    with pytest.raises(ContextLengthError):
        chat(ModelClient("cohere:/command-a-03-2025", retry=FAST))
    assert fake_cohere.calls == 3


def test_schema_rejection_falls_back_to_prompt_json(fake_cohere: FakeCohere) -> None:
    fake_cohere.reject_schema = True
    client = ModelClient("cohere:/command-r7b-12-2024", retry=FAST)
    chat(client)
    chat(client)
    assert ["response_format" in r.body for r in fake_cohere.requests] == [True, False, False]


def test_server_errors_are_retried(fake_cohere: FakeCohere) -> None:
    fake_cohere.enqueue(cohere_error(500, "internal server error"))
    chat(ModelClient("cohere:/command-a-03-2025", retry=FAST))
    assert fake_cohere.calls == 2
