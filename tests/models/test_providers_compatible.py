"""OpenAI-compatible vendors and servers: Together AI, vLLM, Ollama, and openai:/ with a base_url."""

from __future__ import annotations

import logging

import pytest

from jurist.errors import AuthError, BadRequestError, ConfigError, ContextLengthError, ServerError
from jurist.models import ModelClient
from jurist.models.providers import openai as oa
from tests.fakes.compatible import FakeCompatible
from tests.fakes.openai import rate_limited, server_error
from tests.models._providers import FAST, PLAIN, REQUEST, chat

QWEN = "Qwen/Qwen2.5-7B-Instruct"


# -- Together AI --------------------------------------------------------------------------------------
def test_together_speaks_openai_chat_completions(fake_together: FakeCompatible) -> None:
    resp = chat(ModelClient("together:/meta-llama/Llama-3.3-70B-Instruct-Turbo", retry=FAST))
    rec = fake_together.requests[-1]
    assert rec.path == "/v1/chat/completions"
    assert rec.headers["Authorization"] == f"Bearer {fake_together.api_key}"
    assert rec.body == oa.to_wire(REQUEST, "meta-llama/Llama-3.3-70B-Instruct-Turbo", REQUEST.params)
    assert rec.body["response_format"]["json_schema"]["name"] == "verdict"
    assert resp.cost_usd == pytest.approx((42 + 17) * 0.88 / 1e6)


def test_together_missing_and_wrong_keys(fake_together: FakeCompatible, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOGETHER_API_KEY")
    monkeypatch.delenv("TOGETHER_BASE_URL")
    with pytest.raises(ConfigError, match="TOGETHER_API_KEY"):
        ModelClient("together:/x").check_ready()
    monkeypatch.setenv("TOGETHER_BASE_URL", fake_together.base_url)
    monkeypatch.setenv("TOGETHER_API_KEY", "tgp-wrong-0123456789")
    with pytest.raises(AuthError, match="TOGETHER_API_KEY"):
        chat(ModelClient("together:/x", retry=FAST))


def test_together_429_and_5xx_are_retried(fake_together: FakeCompatible) -> None:
    fake_together.enqueue(rate_limited(0), server_error(502))
    chat(ModelClient("together:/x", retry=FAST), PLAIN)
    assert fake_together.calls == 3


def test_together_schema_fallback_is_remembered(fake_together: FakeCompatible) -> None:
    fake_together.reject_schema = True
    client = ModelClient("together:/mistralai/Mixtral-8x7B-Instruct-v0.1", retry=FAST)
    chat(client)
    chat(client)
    assert ["response_format" in r.body for r in fake_together.requests] == [True, False, False]


# -- vLLM ---------------------------------------------------------------------------------------------
def test_vllm_needs_no_key(fake_vllm: FakeCompatible) -> None:
    chat(ModelClient(f"vllm:/{QWEN}", retry=FAST))
    rec = fake_vllm.requests[-1]
    assert rec.path == "/v1/chat/completions" and "Authorization" not in rec.headers
    assert rec.body["model"] == QWEN and rec.body["seed"] == 7


def test_vllm_sends_its_key_when_set(fake_vllm: FakeCompatible, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_API_KEY", "vllm-secret-key")
    chat(ModelClient(f"vllm:/{QWEN}", retry=FAST), PLAIN)
    assert fake_vllm.requests[-1].headers["Authorization"] == "Bearer vllm-secret-key"


def test_vllm_schema_rejection_falls_back_once_and_is_remembered(fake_vllm: FakeCompatible) -> None:
    fake_vllm.reject_schema = True
    client = ModelClient(f"vllm:/{QWEN}", retry=FAST)
    assert chat(client).text
    chat(client)
    assert ["response_format" in r.body for r in fake_vllm.requests] == [True, False, False]


def test_vllm_errors_in_its_top_level_shape(fake_vllm: FakeCompatible) -> None:
    fake_vllm.enqueue(fake_vllm.error(400, "This model's maximum context length is 4096 tokens. However, you "
                                           "requested 5000 tokens in the messages."))
    with pytest.raises(ContextLengthError):
        chat(ModelClient(f"vllm:/{QWEN}", retry=FAST))
    with pytest.raises(BadRequestError, match="does not exist"):
        chat(ModelClient("vllm:/not-served", retry=FAST))


def test_vllm_default_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ModelClient("vllm:/m").provider.url(PLAIN) == "http://localhost:8000/v1/chat/completions"


def test_a_local_server_that_is_down_is_a_retryable_server_error(unused_tcp_port: int) -> None:
    client = ModelClient("vllm:/m", base_url=f"http://127.0.0.1:{unused_tcp_port}/v1", retry=FAST)
    with pytest.raises(ServerError, match="connection to vllm failed"):
        chat(client, PLAIN)


# -- Ollama -------------------------------------------------------------------------------------------
def test_ollama_base_url_without_v1_gets_it(fake_ollama: FakeCompatible) -> None:
    client = ModelClient("ollama:/llama3.1", retry=FAST)
    assert client.provider.base_url == f"{fake_ollama.url}/v1"
    chat(client)
    assert fake_ollama.requests[-1].path == "/v1/chat/completions"
    assert "Authorization" not in fake_ollama.requests[-1].headers


def test_ollama_default_endpoint() -> None:
    assert ModelClient("ollama:/llama3.1").provider.url(PLAIN) == "http://localhost:11434/v1/chat/completions"


# -- openai:/ at a self-hosted base_url ----------------------------------------------------------------
def test_openai_scheme_with_a_base_url_needs_no_key(fake_ollama: FakeCompatible) -> None:
    client = ModelClient("openai:/qwen2.5:7b", base_url=f"{fake_ollama.url}/v1", retry=FAST)
    client.check_ready()
    chat(client, PLAIN)
    assert fake_ollama.requests[-1].body["model"] == "qwen2.5:7b"


def test_openai_scheme_at_api_openai_com_still_needs_its_key() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        ModelClient("openai:/gpt-4o-mini").check_ready()


def test_dropped_parameters_are_logged_not_raised(fake_vllm: FakeCompatible, caplog: pytest.LogCaptureFixture) -> None:
    from jurist.models import ChatRequest

    caplog.set_level(logging.DEBUG, logger="jurist.models")
    req = ChatRequest(messages=PLAIN.messages, params={"temperature": 0, "repetition_penalty": 1.1})
    chat(ModelClient(f"vllm:/{QWEN}", retry=FAST), req)
    assert "repetition_penalty" not in fake_vllm.requests[-1].body and "repetition_penalty" in caplog.text
