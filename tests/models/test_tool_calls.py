"""Native tool calling in the model layer: golden wire JSON for OpenAI and Anthropic, the cache, and the
clear error for providers that do not carry tools."""

from __future__ import annotations

import pytest

from jurist.errors import ConfigError
from jurist.models import ChatRequest, ChatResponse, Message, ModelClient, Tool, ToolCall
from jurist.models.providers import anthropic, bedrock, gemini, litellm, openai
from tests.fakes.openai import FakeOpenAI
from tests.models._providers import chat, golden

LIST_SPANS = Tool("list_spans", "List the trace's spans.",
                  {"type": "object", "properties": {"limit": {"type": "integer"}}, "required": []})
GET_SPAN = Tool("get_span", "One span in full.", {
    "type": "object", "properties": {"span_id": {"type": "string"}}, "required": ["span_id"],
    "additionalProperties": False,
})
CALLS = (ToolCall("call_Xq1", "list_spans", {"limit": 20}), ToolCall("call_Xq2", "get_span", {"span_id": "a1b2c3d4e5f60718"}))
HISTORY = (
    Message("system", "You judge traces."),
    Message("user", "Did the agent answer from its sources?"),
    Message("assistant", "", tool_calls=CALLS),
    Message("tool", '{"spans": []}', tool_call_id="call_Xq1", name="list_spans"),
    Message("tool", '{"error": "no span a1b2c3d4e5f60718"}', tool_call_id="call_Xq2", name="get_span"),
)
REQUEST = ChatRequest(messages=HISTORY, params={"temperature": 0, "seed": 0}, tools=(LIST_SPANS, GET_SPAN),
                      tool_choice="required")


# -- OpenAI ------------------------------------------------------------------------------------------
def test_openai_to_wire_matches_the_documented_request() -> None:
    assert openai.to_wire(REQUEST, "gpt-4o-mini", REQUEST.params) == golden("openai_tools_request")


def test_openai_forced_tool_choice_names_the_function() -> None:
    req = ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS,), tool_choice="list_spans")
    body = openai.to_wire(req, "gpt-4o-mini", {})
    assert body["tool_choice"] == {"type": "function", "function": {"name": "list_spans"}}


def test_openai_from_wire_reads_every_tool_call() -> None:
    resp = openai.from_wire(golden("openai_tools_response"))
    assert resp.tool_calls == [
        ToolCall("call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_span", {"span_id": "a1b2c3d4e5f60718", "offset": 0}),
        ToolCall("call_ABCD9pD3xa9XTPNJ32zg2hcB", "search_trace_regex", {"pattern": "refund"}),
    ]
    assert resp.finish_reason == "tool_calls"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (82, 40)


def test_openai_arguments_that_are_not_json_are_kept_raw_and_sent_back_as_they_came() -> None:
    body = golden("openai_tools_response")
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = '{"span_id": "a1'
    call = openai.from_wire(body).tool_calls[0]
    assert call.arguments == {} and call.raw_arguments == '{"span_id": "a1'
    wire = openai.wire_message(Message("assistant", "", tool_calls=(call,)))
    assert wire["tool_calls"][0]["function"]["arguments"] == '{"span_id": "a1'


def test_openai_plain_messages_are_unchanged() -> None:
    assert openai.wire_message(Message("user", "hi")) == {"role": "user", "content": "hi"}


# -- Anthropic ---------------------------------------------------------------------------------------
def test_anthropic_to_wire_matches_the_documented_request() -> None:
    ids = ("toolu_01A09q90qw90lq917835lq9", "toolu_01B09q90qw90lq917835lq8")
    calls = tuple(ToolCall(i, c.name, c.arguments) for i, c in zip(ids, CALLS, strict=True))
    history = (
        *HISTORY[:2], Message("assistant", "", tool_calls=calls),
        *(Message("tool", m.content, tool_call_id=i, name=m.name) for i, m in zip(ids, HISTORY[3:], strict=True)),
        Message("user", "Two steps left."),
    )
    req = ChatRequest(messages=history, params={"temperature": 0}, tools=(LIST_SPANS, GET_SPAN),
                      tool_choice="required")
    # Tool results and the user text after them share one user turn, as the API requires.
    assert anthropic.to_wire(req, "claude-sonnet-4-5", req.params) == golden("anthropic_tools_request")


@pytest.mark.parametrize("choice,wire", [
    ("auto", {"type": "auto"}), ("none", {"type": "none"}), ("required", {"type": "any"}),
    ("get_span", {"type": "tool", "name": "get_span"}),
])
def test_anthropic_tool_choice(choice: str, wire: dict[str, str]) -> None:
    req = ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS, GET_SPAN), tool_choice=choice)
    assert anthropic.to_wire(req, "claude-sonnet-4-5", {})["tool_choice"] == wire


def test_anthropic_from_wire_reads_tool_use_blocks() -> None:
    resp = anthropic.from_wire(golden("anthropic_tools_response"))
    assert [(c.id, c.name, c.arguments) for c in resp.tool_calls] == [
        ("toolu_01D7FLrfh4GYq7yT1ULFeyMV", "get_span", {"span_id": "a1b2c3d4e5f60718", "offset": 0}),
        ("toolu_01E8GMsgi5HZr8zU2VMGfzNW", "search_trace_regex", {"pattern": "refund"}),
    ]
    assert resp.finish_reason == "tool_use"
    assert resp.usage.input_tokens == 480  # cache reads count as input


def test_anthropic_assistant_text_is_kept_before_its_tool_use_blocks() -> None:
    body = anthropic.to_wire(ChatRequest(messages=(Message("user", "q"), Message(
        "assistant", "Looking.", tool_calls=CALLS[:1]))), "claude-sonnet-4-5", {})
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "call_Xq1", "name": "list_spans", "input": {"limit": 20}},
    ]


# -- LiteLLM (OpenAI's format, translated by LiteLLM) ---------------------------------------------------
def test_litellm_gets_tools_in_openai_format() -> None:
    kwargs = litellm.to_litellm(REQUEST, "xai/grok-3", {})
    golden_body = golden("openai_tools_request")
    assert kwargs["messages"] == golden_body["messages"]
    assert kwargs["tools"] == golden_body["tools"] and kwargs["tool_choice"] == "required"


# -- the request and the cache -------------------------------------------------------------------------
def test_fingerprint_includes_tools_and_choice_but_is_unchanged_without_them() -> None:
    plain = ChatRequest(messages=HISTORY[:2], params={"temperature": 0})
    assert set(plain.fingerprint()) == {"messages", "schema", "params"}
    a = ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS,))
    b = ChatRequest(messages=HISTORY[:2], tools=(GET_SPAN,))
    c = ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS,), tool_choice="required")
    fps = [a.fingerprint(), b.fingerprint(), c.fingerprint(), plain.fingerprint()]
    assert all(fps[i] != fps[j] for i in range(4) for j in range(i + 1, 4))


def test_tool_choice_must_be_a_mode_or_an_offered_tool() -> None:
    with pytest.raises(ValueError, match="tool_choice"):
        ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS,), tool_choice="get_span")


def test_cached_answers_keep_their_tool_calls() -> None:
    resp = ChatResponse(text="", tool_calls=list(CALLS), finish_reason="tool_calls")
    again = ChatResponse.from_cache(resp.to_cache())
    assert again.tool_calls == list(CALLS) and again.cached


def test_openai_client_round_trip_with_tools_is_cached(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: [{"name": "list_spans", "arguments": {"limit": 5}}]
    client = ModelClient("openai:/gpt-4o-mini")
    req = ChatRequest(messages=HISTORY[:2], params={"temperature": 0}, tools=(LIST_SPANS,), tool_choice="required")
    first = chat(client, req, use_cache=True)
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("list_spans", {"limit": 5})]
    second = chat(client, req, use_cache=True)
    assert second.cached and second.tool_calls == first.tool_calls and fake_openai.calls == 1
    other = ChatRequest(messages=HISTORY[:2], params={"temperature": 0}, tools=(GET_SPAN,), tool_choice="required")
    chat(client, other, use_cache=True)
    assert fake_openai.calls == 2  # other tools, another cache key


def test_providers_without_tool_calling_say_which_have_it() -> None:
    client = ModelClient("cohere:/command-r", api_key="unused")
    req = ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS,))
    with pytest.raises(ConfigError, match=r"tool calling.*openai, anthropic"):
        chat(client, req)


# -- Gemini and Bedrock --------------------------------------------------------------------------------
def test_gemini_to_wire_matches_the_documented_request() -> None:
    assert gemini.to_wire(REQUEST, {"temperature": 0}) == golden("gemini_tools_request")


def test_gemini_from_wire_reads_function_calls_and_ids_it_made_are_not_sent_back() -> None:
    resp = gemini.from_wire(golden("gemini_tools_response"))
    first, second = resp.tool_calls
    assert (first.name, first.arguments) == ("get_span", {"span_id": "a1b2c3d4e5f60718", "offset": 0})
    assert first.id.startswith(gemini.LOCAL_ID_PREFIX) and second.id == "fc-9a0b"
    body = gemini.to_wire(ChatRequest(messages=(
        Message("user", "q"), Message("assistant", "", tool_calls=(first, second)),
        Message("tool", "not json", tool_call_id=first.id, name="get_span"),
        Message("tool", '{"matches": []}', tool_call_id=second.id, name="search_trace_regex"),
    ), tools=(GET_SPAN,)), {})
    calls = [p["functionCall"] for p in body["contents"][1]["parts"]]
    assert "id" not in calls[0] and calls[1]["id"] == "fc-9a0b"
    assert [p["functionResponse"] for p in body["contents"][2]["parts"]] == [
        {"name": "get_span", "response": {"content": "not json"}},
        {"name": "search_trace_regex", "response": {"matches": []}, "id": "fc-9a0b"},
    ]


def test_gemini_schemas_it_cannot_express_go_as_json_schema() -> None:
    open_object = Tool("tag", "Tags.", {"type": "object", "additionalProperties": {"type": "integer"}})
    (decl,) = gemini.to_wire(ChatRequest(messages=HISTORY[:2], tools=(open_object,), tool_choice="tag"),
                             {})["tools"][0]["functionDeclarations"]
    assert decl["parametersJsonSchema"] == open_object.parameters and "parameters" not in decl


def test_gemini_forced_tool_names_it() -> None:
    body = gemini.to_wire(ChatRequest(messages=HISTORY[:2], tools=(GET_SPAN,), tool_choice="get_span"), {})
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_span"]}}


def test_bedrock_to_wire_matches_the_documented_request() -> None:
    assert bedrock.to_wire(REQUEST, {"temperature": 0}) == golden("bedrock_tools_request")


def test_bedrock_from_wire_reads_tool_use_blocks() -> None:
    resp = bedrock.from_wire(golden("bedrock_tools_response"))
    assert [(c.id, c.name, c.arguments) for c in resp.tool_calls] == [
        ("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_span", {"span_id": "a1b2c3d4e5f60718", "offset": 0}),
        ("tooluse_Q7pXn1c2RJ6eAyJE5GIl8R", "search_trace_regex", {"pattern": "refund"}),
    ]
    assert resp.finish_reason == "tool_use" and resp.usage.input_tokens == 300


def test_bedrock_structured_output_still_forces_its_verdict_tool() -> None:
    from typing import Literal

    from jurist.judges._values import verdict_schema
    from jurist.models import ResponseSchema

    req = ChatRequest(messages=HISTORY[:2], response_schema=ResponseSchema("verdict", verdict_schema(Literal["yes"])))
    config = bedrock.to_wire(req, {})["toolConfig"]
    assert config["toolChoice"] == {"tool": {"name": "verdict"}} and len(config["tools"]) == 1


@pytest.mark.parametrize("uri,fixture", [("gemini:/gemini-2.0-flash", "fake_gemini"),
                                         ("bedrock:/anthropic.claude-3-5-sonnet-20240620-v1:0", "fake_bedrock")])
def test_tool_calls_round_trip_through_the_fake_gemini_and_bedrock(uri: str, fixture: str, request: pytest.FixtureRequest) -> None:
    fake = request.getfixturevalue(fixture)
    fake.responder = lambda body: [{"name": "get_span", "arguments": {"span_id": "a1b2c3d4e5f60718"}}]
    client = ModelClient(uri)
    first = chat(client, ChatRequest(messages=HISTORY[:2], tools=(LIST_SPANS, GET_SPAN), tool_choice="required"))
    (call,) = first.tool_calls
    assert (call.name, call.arguments) == ("get_span", {"span_id": "a1b2c3d4e5f60718"})
    fake.responder = lambda body: "done"
    history = (*HISTORY[:2], Message("assistant", "", tool_calls=(call,)),
               Message("tool", '{"content": "..."}', tool_call_id=call.id, name=call.name))
    second = chat(client, ChatRequest(messages=history, tools=(LIST_SPANS, GET_SPAN), tool_choice="auto"))
    assert second.text == "done" and not second.tool_calls
    sent = fake.requests[-1].body
    turns = sent.get("contents") or sent["messages"]
    assert [t["role"] for t in turns] == (["user", "model", "user"] if "contents" in sent else
                                          ["user", "assistant", "user"])
