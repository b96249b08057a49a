"""Azure OpenAI: deployment URLs, api-key and Entra ID auth, content filters, against the fake resource."""

from __future__ import annotations

import json
import time

import pytest

from jurist.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
)
from jurist.models import ModelClient
from jurist.models.providers import azure
from jurist.models.providers import openai as oa
from tests.fakes.azure import FakeAzure, content_filtered, rate_limited, too_long
from tests.models._providers import FAST, PLAIN, REQUEST, chat, golden


def test_deployment_url_is_pure_and_quoted() -> None:
    assert azure.deployment_url("https://res.openai.azure.com/", "judge gpt", "2024-10-21") == (
        "https://res.openai.azure.com/openai/deployments/judge%20gpt/chat/completions?api-version=2024-10-21")
    assert azure.deployment_url("https://res.openai.azure.com/openai", "d", "v").startswith(
        "https://res.openai.azure.com/openai/deployments/d/")


def test_from_wire_reads_an_azure_answer_with_filter_results() -> None:
    resp = oa.from_wire(golden("azure_response"), "azure")
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (58, 19)
    assert resp.model == "gpt-4o-2024-08-06"


def test_a_filtered_answer_is_content_filtered() -> None:
    with pytest.raises(ContentFilteredError):
        oa.from_wire(golden("azure_response_filtered"), "azure")


def test_request_on_the_wire_with_an_api_key(fake_azure: FakeAzure) -> None:
    resp = chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    rec = fake_azure.requests[-1]
    assert rec.path == "/openai/deployments/judge-gpt4o/chat/completions"
    assert rec.query == {"api-version": azure.DEFAULT_API_VERSION}
    assert rec.headers["api-key"] == fake_azure.api_key and "Authorization" not in rec.headers
    assert rec.body["response_format"]["type"] == "json_schema"
    assert rec.body["messages"][0] == {"role": "system", "content": "You are a strict judge."}
    # The deployment name says nothing of the price; the answer's model does.
    assert resp.cost_usd == pytest.approx((42 * 2.50 + 17 * 10.00) / 1e6)


def test_entra_id_token_is_a_bearer_header(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", fake_azure.ad_token)
    chat(ModelClient("azure:/judge-gpt4o", retry=FAST), PLAIN)
    rec = fake_azure.requests[-1]
    assert rec.headers["Authorization"] == f"Bearer {fake_azure.ad_token}" and "api-key" not in rec.headers


def test_api_version_from_the_environment(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-01-01-preview")
    chat(ModelClient("azure:/judge-gpt4o", retry=FAST), PLAIN)
    assert fake_azure.requests[-1].query["api-version"] == "2025-01-01-preview"


def test_an_old_api_version_falls_back_from_json_schema(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-02-01")
    client = ModelClient("azure:/judge-gpt4o", retry=FAST)
    chat(client)
    chat(client)
    assert ["response_format" in r.body for r in fake_azure.requests] == [True, False, False]


def test_missing_endpoint_and_credentials_name_the_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT"):
        ModelClient("azure:/judge-gpt4o")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com")
    with pytest.raises(ConfigError, match=r"AZURE_OPENAI_API_KEY.*AZURE_OPENAI_AD_TOKEN"):
        ModelClient("azure:/judge-gpt4o").check_ready()


def test_wrong_key_is_an_auth_error_naming_both_ways(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "0123456789abcdef-wrong")
    with pytest.raises(AuthError, match=r"AZURE_OPENAI_API_KEY.*AZURE_OPENAI_AD_TOKEN") as info:
        chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    assert "0123456789abcdef-wrong" not in str(info.value)
    assert fake_azure.calls == 1


def test_unknown_deployment_says_what_to_check(fake_azure: FakeAzure) -> None:
    with pytest.raises(BadRequestError, match="deployment"):
        chat(ModelClient("azure:/no-such-deployment", retry=FAST))


def test_429_retry_after_is_honoured(fake_azure: FakeAzure) -> None:
    fake_azure.enqueue(rate_limited(1))
    start = time.monotonic()
    chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    # retry-after-ms (1000) and retry-after (1) agree; the client waited for them.
    assert time.monotonic() - start >= 1.0 and fake_azure.calls == 2


def test_content_filter_and_context_length_are_not_retried(fake_azure: FakeAzure) -> None:
    fake_azure.enqueue(content_filtered())
    with pytest.raises(ContentFilteredError):
        chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    fake_azure.enqueue(too_long())
    with pytest.raises(ContextLengthError):
        chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    assert fake_azure.calls == 2


def test_5xx_is_retried(fake_azure: FakeAzure) -> None:
    from tests.fakes.azure import azure_error

    fake_azure.enqueue(azure_error(500, "InternalServerError", "The server had an error processing your request."))
    chat(ModelClient("azure:/judge-gpt4o", retry=FAST))
    assert fake_azure.calls == 2


def test_key_echoed_back_is_redacted(fake_azure: FakeAzure) -> None:
    from tests.fakes.azure import azure_error

    fake_azure.enqueue(azure_error(400, "BadRequest", f"header api-key={fake_azure.api_key} malformed"))
    with pytest.raises(ProviderError) as info:
        chat(ModelClient("azure:/judge-gpt4o", retry=FAST), REQUEST)
    assert fake_azure.api_key not in str(info.value) + (info.value.body or "")
