"""``jurist.anthropic.autolog()`` and ``jurist.litellm.autolog()``: the application's own Anthropic SDK and
LiteLLM calls become CHAT_MODEL spans (sync and async), against the loopback fakes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

import jurist
from jurist.entities import SpanType
from tests._helpers import some
from tests.fakes._server import Reply
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

anthropic = pytest.importorskip("anthropic")


def _key_header(fake: FakeAnthropic) -> dict[str, str]:
    """Newer SDKs send the key as a bearer token; the fake (like the API's classic form) reads x-api-key."""
    return {"x-api-key": fake.api_key}


@pytest.fixture
def claude(fake_anthropic: FakeAnthropic) -> Iterator[Any]:
    jurist.anthropic.autolog()
    yield anthropic
    jurist.anthropic.autolog(disable=True)


def test_anthropic_messages_become_chat_model_spans(claude: Any, fake_anthropic: FakeAnthropic) -> None:
    client = claude.Anthropic(base_url=fake_anthropic.base_url, api_key=fake_anthropic.api_key, max_retries=0,
                              default_headers=_key_header(fake_anthropic))

    @jurist.trace
    def support_app(question: str) -> str:
        msg = client.messages.create(model="claude-sonnet-4-5", max_tokens=100,
                                     messages=[{"role": "user", "content": question}])
        return str(msg.content[0].text)

    fake_anthropic.enqueue(Reply.text("Paris."))
    assert support_app("Capital of France?") == "Paris."
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    (llm,) = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert llm.name == "Messages.create" and llm.parent_id == trace.root_span.span_id  # type: ignore[union-attr]
    assert llm.attributes["model"] == "claude-sonnet-4-5"
    assert llm.inputs["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert llm.outputs["content"][0]["text"] == "Paris."
    assert llm.attributes["usage"]["input_tokens"] >= 0


def test_anthropic_async_and_disable(claude: Any, fake_anthropic: FakeAnthropic) -> None:
    from anthropic.resources.messages import AsyncMessages, Messages

    client = claude.AsyncAnthropic(base_url=fake_anthropic.base_url, api_key=fake_anthropic.api_key, max_retries=0,
                                   default_headers=_key_header(fake_anthropic))

    async def ask() -> Any:
        return await client.messages.create(model="claude-haiku-4-5", max_tokens=50,
                                            messages=[{"role": "user", "content": "Hi"}])

    fake_anthropic.enqueue(Reply.text("Hello!"))
    asyncio.run(ask())
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    root = trace.root_span
    assert root is not None and root.name == "AsyncMessages.create" and root.span_type == "CHAT_MODEL"
    assert root.outputs["content"][0]["text"] == "Hello!"
    wrapped = Messages.__dict__["create"]
    jurist.anthropic.autolog()  # twice wraps once
    assert Messages.__dict__["create"] is wrapped
    jurist.anthropic.autolog(disable=True)
    assert not hasattr(Messages.__dict__["create"], "__jurist_autolog_original__")
    assert not hasattr(AsyncMessages.__dict__["create"], "__jurist_autolog_original__")


@pytest.fixture
def litellm(fake_openai: FakeOpenAI) -> Iterator[Any]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    module = pytest.importorskip("litellm")
    jurist.litellm.autolog()
    yield module
    jurist.litellm.autolog(disable=True)


def test_litellm_completion_sync_and_async(litellm: Any, fake_openai: FakeOpenAI) -> None:
    options = {"model": "openai/gpt-4o-mini", "api_base": fake_openai.base_url, "api_key": fake_openai.api_key}

    @jurist.trace
    def app(question: str) -> str:
        response = litellm.completion(messages=[{"role": "user", "content": question}], **options)
        return str(response.choices[0].message.content)

    fake_openai.enqueue(Reply.text("Four."))
    assert app("2+2?") == "Four."
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    (llm,) = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert llm.name == "litellm-completion" and llm.attributes["model"] == "openai/gpt-4o-mini"
    assert llm.outputs["choices"][0]["message"]["content"] == "Four."

    async def ask() -> Any:
        return await litellm.acompletion(messages=[{"role": "user", "content": "Hi"}], **options)

    fake_openai.enqueue(Reply.text("Hello."))
    asyncio.run(ask())
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    spans = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert [s.name for s in spans] == ["litellm-acompletion"]  # one span: acompletion's inner call is not traced twice
    assert spans[0].outputs["choices"][0]["message"]["content"] == "Hello."
    # A key passed to the call is never stored with the trace.
    assert fake_openai.api_key not in str(spans[0].inputs) and spans[0].inputs["api_key"] == "[REDACTED]"


def test_token_usage_sums_the_llm_spans(claude: Any, fake_anthropic: FakeAnthropic, fake_openai: FakeOpenAI) -> None:
    openai = pytest.importorskip("openai")
    jurist.openai.autolog()
    try:
        gpt = openai.OpenAI(base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0)
        haiku = claude.Anthropic(base_url=fake_anthropic.base_url, api_key=fake_anthropic.api_key, max_retries=0,
                                 default_headers=_key_header(fake_anthropic))

        @jurist.trace
        def two_models(question: str) -> str:
            draft = gpt.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
            final = haiku.messages.create(model="claude-haiku-4-5", max_tokens=50,
                                          messages=[{"role": "user", "content": str(draft.choices[0].message.content)}])
            return str(final.content[0].text)

        fake_openai.enqueue(Reply.text("draft", usage=(11, 3)))
        fake_anthropic.enqueue(Reply.text("final", usage=(7, 2)))
        two_models("hi")
    finally:
        jurist.openai.autolog(disable=True)
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    assert trace.info.token_usage == {"input_tokens": 18, "output_tokens": 5, "total_tokens": 23}
    openai_span = trace.search_spans(name="Completions")[0]
    assert fake_openai.api_key not in str(openai_span.inputs)

    @jurist.trace
    def no_llm() -> str:
        return "x"

    no_llm()
    assert some(jurist.get_trace(some(jurist.get_last_active_trace_id()))).info.token_usage is None
