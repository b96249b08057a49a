"""The gateway's OpenAI format to jurist's provider-neutral request and back (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jurist.errors import ConfigError
from jurist.gateway._wire import from_chat_response, stream_chunks, to_chat_request
from jurist.models._types import ChatResponse, ToolCall, Usage


def test_a_request_with_everything() -> None:
    req = to_chat_request({
        "model": "judge",
        "messages": [
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": [{"type": "text", "text": "Weather in "}, {"type": "text", "text": "Oslo?"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "-3 C"},
        ],
        "temperature": 0, "max_completion_tokens": 30, "seed": 7, "stop": ["\n"],
        "response_format": {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}},
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
    })
    assert [m.role for m in req.messages] == ["system", "user", "assistant", "tool"]
    assert req.messages[1].content == "Weather in Oslo?"
    assert req.messages[2].tool_calls[0].arguments == {"city": "Oslo"}
    assert req.messages[3].tool_call_id == "call_1"
    assert req.params == {"temperature": 0, "seed": 7, "stop": ["\n"], "max_tokens": 30}
    assert req.response_schema is not None and req.response_schema.name == "v"
    assert req.tools[0].name == "weather" and req.tool_choice == "weather"


@pytest.mark.parametrize("body, words", [
    ({}, "'messages' must be a non-empty list"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role must be one of"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "'image_url' is not supported"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "'n' above 1"),
])
def test_requests_that_cannot_be_translated_say_why(body: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as e:
        to_chat_request(body)
    assert words in str(e.value)


def test_an_answer_as_a_completion_and_as_a_stream() -> None:
    resp = ChatResponse(text="", usage=Usage(10, 3), finish_reason="tool_use", model="claude-3-5-haiku",
                        tool_calls=[ToolCall(id="t1", name="weather", arguments={"city": "Oslo"})])
    body = from_chat_response(resp, "fallback-model")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert json.loads(choice["message"]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    assert body["model"] == "claude-3-5-haiku"
    events = stream_chunks(ChatResponse(text="hi", usage=Usage(1, 1), finish_reason="end_turn"), "m", True)
    assert events[-1] == b"data: [DONE]\n\n"
    parsed = [json.loads(e[6:]) for e in events[:-1]]
    assert parsed[0]["choices"][0]["delta"] == {"role": "assistant", "content": "hi"}
    assert parsed[1]["choices"][0]["finish_reason"] == "stop"
    assert parsed[2]["usage"]["total_tokens"] == 2
