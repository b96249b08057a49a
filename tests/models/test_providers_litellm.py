"""Providers served through LiteLLM (the ``litellm`` extra), against the loopback fake OpenAI server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from jurist.errors import (
    AuthError,
    ConfigError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.models import ModelClient, parse_model_uri
from jurist.models.providers import get_provider_class, make_provider, provider_names
from jurist.models.providers import litellm as ll
from jurist.models.providers._base import missing_extra
from tests.fakes.openai import FakeOpenAI, openai_error, rate_limited, server_error
from tests.models._providers import FAST, PLAIN, REQUEST, chat

litellm = ll.import_litellm()


@pytest.fixture
def xai(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """``xai:/`` pointed at the fake OpenAI server, with LiteLLM's own key variable."""
    monkeypatch.setenv("XAI_API_KEY", fake_openai.api_key)
    return fake_openai


def _litellm_provider(uri: str) -> ll.LiteLLMProvider:
    provider = make_provider(parse_model_uri(uri))
    assert isinstance(provider, ll.LiteLLMProvider), type(provider)
    return provider


def test_litellm_schemes_resolve_to_litellm_providers() -> None:
    assert get_provider_class("xai") is ll.LiteLLMProvider  # one plain class for every LiteLLM scheme
    xai = _litellm_provider("xai:/grok-3")
    assert xai.name == "xai" and xai.in_process
    assert xai.litellm_model == "xai/grok-3" and xai.key_env == "XAI_API_KEY"
    assert ModelClient("xai:/grok-3").provider.name == "xai"
    assert _litellm_provider("fireworks:/llama").litellm_provider == "fireworks_ai"
    assert {"xai", "groq", "deepseek", "fireworks"} <= set(provider_names())
    # Any other provider the installed LiteLLM knows resolves too.
    assert _litellm_provider("cohere_chat:/command").litellm_provider == "cohere_chat"
    # ``litellm:/`` takes LiteLLM's own model string, prefix included.
    full = _litellm_provider("litellm:/deepseek/deepseek-chat")
    assert full.name == "litellm" and full.litellm_model == "deepseek/deepseek-chat"
    assert full.key_env == "DEEPSEEK_API_KEY"
    # Two schemes never share a connection (a session, a limiter).
    assert xai.connection_key != make_provider(parse_model_uri("groq:/grok-3")).connection_key


def test_to_litellm_is_openai_format_with_the_prefixed_model() -> None:
    kwargs = ll.to_litellm(REQUEST, "xai/grok-3", REQUEST.params)
    assert kwargs["model"] == "xai/grok-3"
    assert kwargs["messages"][0] == {"role": "system", "content": "You are a strict judge."}
    assert kwargs["response_format"]["type"] == "json_schema"
    assert {k: kwargs[k] for k in ("temperature", "top_p", "max_tokens", "seed", "stop")} == REQUEST.params


def test_request_through_litellm_reaches_the_fake(xai: FakeOpenAI) -> None:
    client = ModelClient("xai:/grok-3", base_url=xai.base_url, extra_headers={"X-Team": "judges"}, retry=FAST)
    resp = chat(client)
    rec = xai.requests[-1]
    headers = {k.lower(): v for k, v in rec.headers.items()}  # the OpenAI SDK sends lower-case names
    assert rec.path == "/v1/chat/completions"
    assert headers["authorization"] == f"Bearer {xai.api_key}"
    assert headers["x-team"] == "judges"
    assert rec.body["model"] == "grok-3"
    assert rec.body["response_format"]["json_schema"]["schema"]["required"] == ["rationale", "result"]
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (42, 17)
    assert resp.cost_usd == pytest.approx((42 * 3.00 + 17 * 15.00) / 1e6)


def test_litellm_does_not_retry_our_loop_does(xai: FakeOpenAI) -> None:
    xai.enqueue(server_error(500), rate_limited(0.2))
    start = time.monotonic()
    chat(ModelClient("xai:/grok-3", base_url=xai.base_url, retry=FAST), PLAIN)
    # One attempt each: LiteLLM and its OpenAI SDK client gave up at once; jurist waited Retry-After.
    assert xai.calls == 3 and time.monotonic() - start >= 0.2


def test_wrong_key_is_an_auth_error_naming_the_env_var(xai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", "xai-wrong-key-0123456789")
    with pytest.raises(AuthError, match="XAI_API_KEY") as info:
        chat(ModelClient("xai:/grok-3", base_url=xai.base_url, retry=FAST))
    assert "xai-wrong-key-0123456789" not in str(info.value) + (info.value.body or "")
    assert xai.calls == 1


def test_schema_rejection_falls_back_through_litellm(xai: FakeOpenAI) -> None:
    xai.enqueue(openai_error(400, "Invalid schema for response_format 'verdict'", "invalid_request_error",
                             param="response_format"))
    client = ModelClient("xai:/grok-3", base_url=xai.base_url, retry=FAST)
    chat(client)
    chat(client)
    assert ["response_format" in r.body for r in xai.requests] == [True, False, False]


def test_litellm_scheme_takes_a_full_litellm_model_string(xai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", xai.api_key)
    resp = chat(ModelClient("litellm:/deepseek/deepseek-chat", base_url=xai.base_url, retry=FAST), PLAIN)
    assert xai.requests[-1].body["model"] == "deepseek-chat"
    assert resp.cost_usd == pytest.approx((42 * 0.27 + 17 * 1.10) / 1e6)


def _exc(cls_name: str, status: int, headers: dict[str, str] | None = None, message: str = "boom") -> Exception:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, headers=headers or {}, request=request)
    cls: Callable[..., Exception] = getattr(litellm.exceptions, cls_name)
    kwargs: dict[str, Any] = {"message": message, "llm_provider": "xai", "model": "grok-3"}
    if cls_name == "APIConnectionError":
        return cls(**kwargs, request=request)
    if cls_name == "Timeout":
        return cls(**kwargs)
    return cls(**kwargs, response=response)


@pytest.mark.parametrize("cls_name,status,expected", [
    ("AuthenticationError", 401, AuthError),
    ("PermissionDeniedError", 403, AuthError),
    ("RateLimitError", 429, RateLimitError),
    ("ContextWindowExceededError", 400, ContextLengthError),
    ("ContentPolicyViolationError", 400, ContentFilteredError),
    ("InternalServerError", 500, ServerError),
    ("ServiceUnavailableError", 503, ServerError),
    ("APIConnectionError", 0, ServerError),
    ("Timeout", 0, ProviderTimeout),
])
def test_litellm_exceptions_map_onto_the_error_tree(cls_name: str, status: int, expected: type[ProviderError]) -> None:
    err = ll.map_exception("xai", _exc(cls_name, status or 500), "XAI_API_KEY")
    assert type(err) is expected


def test_rate_limit_carries_retry_after() -> None:
    err = ll.map_exception("xai", _exc("RateLimitError", 429, {"retry-after": "7"}), "XAI_API_KEY")
    assert isinstance(err, RateLimitError) and err.retry_after == 7.0


def test_a_schema_complaint_is_schema_unsupported() -> None:
    err = ll.map_exception("xai", _exc("BadRequestError", 400, message="response_format json_schema not supported"),
                           "XAI_API_KEY")
    assert isinstance(err, SchemaUnsupportedError)


def test_missing_litellm_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "pip install 'jurist[litellm]'" in str(missing_extra("litellm", "litellm", "xai:/"))
    monkeypatch.setitem(sys.modules, "litellm", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"pip install 'jurist\[litellm\]'"):
        ModelClient("xai:/grok-3").check_ready()
    assert issubclass(get_provider_class("groq"), ll.LiteLLMProvider)  # still resolves, to say so


def test_importing_litellm_does_not_touch_the_network() -> None:
    script = textwrap.dedent("""
        import os, socket
        seen = []
        real = socket.getaddrinfo
        def record(host, *a, **k):
            seen.append(host)
            return real(host, *a, **k)
        socket.getaddrinfo = record
        os.environ.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
        from jurist.models.providers.litellm import import_litellm
        import_litellm()
        print(os.environ["LITELLM_LOCAL_MODEL_COST_MAP"], [h for h in seen if h not in ("localhost", "127.0.0.1")])
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "[]"]


def test_a_key_past_the_cut_of_an_exception_message_is_taken_out_first() -> None:
    key = "sk-xai-0123456789abcdefghij"
    err = ll.map_exception("xai", _exc("BadRequestError", 400, message="x" * 460 + f" bad key {key}"),
                           "XAI_API_KEY", key)
    assert key[:6] not in str(err) and "***" in str(err)
