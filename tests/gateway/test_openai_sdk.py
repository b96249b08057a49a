"""The official ``openai`` SDK against the gateway on loopback, with a target of every wire format the
gateway translates to: structured output must come back in OpenAI's shape from each of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.bedrock import FakeBedrock
from tests.fakes.cohere import FakeCohere
from tests.fakes.gemini import FakeGemini
from tests.fakes.mistral import FakeMistral
from tests.gateway._fakes import StreamingOpenAI
from tests.gateway.conftest import Harness, Served, new_client

openai = pytest.importorskip("openai")  # a dev dependency (and LiteLLM's)


class Verdict(BaseModel):
    rationale: str
    result: Literal["yes", "no"]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    made = {"openai": StreamingOpenAI(api_key="sk-oa-0123456789"), "anthropic": FakeAnthropic(api_key="sk-ant-012345"),
            "gemini": FakeGemini(), "bedrock": FakeBedrock(), "cohere": FakeCohere(), "mistral": FakeMistral()}
    for s in made.values():
        s.start()
    yield made
    for s in made.values():
        s.stop()


MODELS = {"openai": "openai:/gpt-4o-mini", "anthropic": "anthropic:/claude-3-5-haiku",
          "gemini": "gemini:/gemini-2.0-flash", "bedrock": "bedrock:/anthropic.claude-3-5-sonnet-20240620-v1:0",
          "cohere": "cohere:/command-a-03-2025", "mistral": "mistral:/mistral-large-latest"}


@pytest.fixture
def gateway(harness: Harness, servers: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Iterator[tuple[Served, Any]]:
    bedrock = servers["bedrock"]
    for k, v in {"AWS_ACCESS_KEY_ID": bedrock.access_key, "AWS_SECRET_ACCESS_KEY": bedrock.secret_key,
                 "AWS_REGION": bedrock.region, "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
                 "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
                 "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    endpoints = []
    for name, server in servers.items():
        server.reset()
        t: dict[str, Any] = {"name": name, "model": MODELS[name], "base_url": server.base_url}
        if name != "bedrock":
            monkeypatch.setenv(f"SDK_{name.upper()}_KEY", server.api_key)
            t["key"] = f"env:SDK_{name.upper()}_KEY"
        endpoints.append({"name": name, "targets": [t], "retries": 0})
    served = harness.start({"endpoints": endpoints})
    with new_client(served) as c:
        token = c.headers["Authorization"].split()[1]
    client = openai.OpenAI(base_url=f"{served.url}/v1", api_key=token, max_retries=0)
    yield served, client
    client.close()


@pytest.mark.parametrize("provider", list(MODELS))
def test_parse_gives_the_parsed_object_from_every_target(gateway: tuple[Served, Any], provider: str) -> None:
    _, client = gateway
    completion = client.chat.completions.parse(
        model=provider, messages=[{"role": "user", "content": "Is 2+2 four?"}], response_format=Verdict,
        max_tokens=100)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert not choice.message.tool_calls  # no call of a tool the client never declared
    assert isinstance(choice.message.parsed, Verdict), choice.message
    assert choice.message.parsed.result == "yes"
    assert json.loads(choice.message.content)["result"] == "yes"


@pytest.mark.parametrize("provider", list(MODELS))
def test_a_streamed_json_schema_answer_is_json_content(gateway: tuple[Served, Any], provider: str) -> None:
    _, client = gateway
    schema = {"type": "object", "properties": {"rationale": {"type": "string"},
                                               "result": {"type": "string", "enum": ["yes", "no"]}},
              "required": ["rationale", "result"], "additionalProperties": False}
    stream = client.chat.completions.create(
        model=provider, messages=[{"role": "user", "content": "Is 2+2 four?"}], max_tokens=100, stream=True,
        response_format={"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}})
    text, finish = "", None
    calls: list[Any] = []
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            calls += choice.delta.tool_calls or []
            finish = choice.finish_reason or finish
    assert finish == "stop" and not calls
    assert json.loads(text)["result"] == "yes"


@pytest.mark.parametrize("provider", list(MODELS))
def test_json_object_mode_reaches_every_target_and_comes_back_as_json(
        gateway: tuple[Served, Any], servers: dict[str, Any], provider: str) -> None:
    _, client = gateway
    completion = client.chat.completions.create(
        model=provider, messages=[{"role": "user", "content": "Answer in JSON: is 2+2 four?"}],
        response_format={"type": "json_object"}, max_tokens=100)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert isinstance(json.loads(choice.message.content), dict)
    sent = servers[provider].requests[-1].body
    # The request asked each provider for JSON in its own terms.
    if provider in ("openai", "mistral"):
        assert sent["response_format"] == {"type": "json_object"}
    elif provider == "cohere":
        assert sent["response_format"]["type"] == "json_object"
    elif provider == "gemini":
        assert sent["generationConfig"]["responseMimeType"] == "application/json"
    elif provider == "anthropic":
        assert sent["tool_choice"] == {"type": "tool", "name": "json_object"}
    else:
        assert sent["toolConfig"]["toolChoice"] == {"tool": {"name": "json_object"}}


def test_a_declared_tool_call_is_still_a_tool_call(gateway: tuple[Served, Any], servers: dict[str, Any]) -> None:
    """Only the provider's own structured-output tool is hidden; a tool the client declared stays a call."""
    _, client = gateway
    servers["anthropic"].responder = lambda body: [{"name": "lookup", "arguments": {"q": "2+2"}}]
    completion = client.chat.completions.create(
        model="anthropic", messages=[{"role": "user", "content": "Look it up."}], max_tokens=100,
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {
            "type": "object", "properties": {"q": {"type": "string"}}}}}])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [c.function.name for c in choice.message.tool_calls] == ["lookup"]


def test_a_target_that_refuses_the_schema_gets_it_in_the_prompt(gateway: tuple[Served, Any],
                                                                servers: dict[str, Any]) -> None:
    _, client = gateway
    servers["gemini"].reject_schema = True
    completion = client.chat.completions.parse(
        model="gemini", messages=[{"role": "user", "content": "Is 2+2 four?"}], response_format=Verdict)
    assert completion.choices[0].message.parsed is not None
    last = servers["gemini"].requests[-1].body
    assert "responseSchema" not in last.get("generationConfig", {})
    assert '"rationale"' in last["systemInstruction"]["parts"][0]["text"]  # the schema, spelled out


def test_the_sdk_lists_and_retrieves_each_endpoint_as_a_model(gateway: tuple[Served, Any]) -> None:
    served, client = gateway
    listed = sorted(m.id for m in client.models.list())
    assert listed == sorted(MODELS)
    for name in listed:
        got = client.models.retrieve(name)
        assert (got.id, got.object, got.owned_by) == (name, "model", "jurist-gateway")
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("no-such-endpoint")
    assert e.value.body["code"] == "model_not_found"
    import httpx

    assert httpx.get(f"{served.url}/v1/models/openai").status_code == 401  # needs a client token too
