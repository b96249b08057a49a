"""The ``local`` provider's pure parts: URIs, the wire format, capabilities, errors before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurist.errors import ConfigError
from jurist.local._provider import LocalProvider, from_wire, grammar_problem, to_wire
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema, parse_model_uri
from jurist.models.providers import get_provider_class, provider_names

SCHEMA = {
    "type": "object",
    "properties": {"rationale": {"type": "string"}, "result": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["rationale", "result"],
    "additionalProperties": False,
}


def test_registered_as_local() -> None:
    assert "local" in provider_names()
    assert get_provider_class("local") is LocalProvider
    assert LocalProvider.in_process and LocalProvider.supports_response_schema and not LocalProvider.requires_key


def test_uris() -> None:
    assert parse_model_uri("local:/default").model == "default"
    assert parse_model_uri("local:/qwen2.5-1.5b").model == "qwen2.5-1.5b"
    assert parse_model_uri("local:///models/x.gguf").model == "//models/x.gguf"


def test_to_wire_keeps_instructions_first_and_asks_for_a_schema_and_logprobs() -> None:
    req = ChatRequest(
        messages=(Message("system", "Judge this."), Message("user", "<response>\nParis\n</response>")),
        response_schema=ResponseSchema("verdict", SCHEMA),
        params={"temperature": 0, "seed": 0, "max_tokens": 300},
    )
    assert to_wire(req, req.params) == {
        "messages": [
            {"role": "system", "content": "Judge this."},
            {"role": "user", "content": "<response>\nParis\n</response>"},
        ],
        "temperature": 0.0,
        "seed": 0,
        "max_tokens": 300,
        "response_format": {"type": "json_schema", "json_schema": {"name": "verdict", "schema": SCHEMA,
                                                                   "strict": True}},
        "logprobs": True,
        "top_logprobs": 10,
    }
    assert "logprobs" not in to_wire(req.without_schema(), req.params)


def test_from_wire_reads_llama_cpp_completions() -> None:
    body = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "/m/qwen.gguf",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"rationale": "ok", "result": "yes"}'},
                     "logprobs": {"content": [
                         {"id": 1, "token": '{"', "logprob": -0.1, "top_logprobs": [{"token": '{"', "logprob": -0.1}]},
                         {"id": 2, "token": "yes", "logprob": -0.2, "top_logprobs": [
                             {"token": "yes", "logprob": -0.2}, {"token": "no", "logprob": -1.7}]},
                     ]}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 231, "completion_tokens": 30, "total_tokens": 261},
    }
    resp = from_wire(body, "Qwen")
    assert resp.text == '{"rationale": "ok", "result": "yes"}'
    assert (resp.usage.input_tokens, resp.usage.output_tokens, resp.finish_reason, resp.model) == (231, 30, "stop", "Qwen")
    assert resp.logprobs is not None and [t.token for t in resp.logprobs] == ['{"', "yes"]
    assert resp.logprobs[1].top == (("yes", -0.2), ("no", -1.7))


def test_schemas_llama_cpp_cannot_compile_are_spotted() -> None:
    assert grammar_problem(SCHEMA) is None
    assert grammar_problem({"type": "string", "maxLength": 40}) is None
    assert "maxLength=1500" in (grammar_problem({"properties": {"r": {"type": "string", "maxLength": 1500}}}) or "")


def test_a_base_url_is_refused_with_the_way_to_a_served_model() -> None:
    with pytest.raises(ConfigError, match="serve-local"):
        LocalProvider("default", base_url="http://127.0.0.1:9/v1")


def test_two_models_never_share_cached_answers(tmp_path: Path) -> None:
    f = tmp_path / "other.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 8)
    a, b = ModelClient("local:/default"), ModelClient(f"local:/{f}")
    assert a.provider.base_url != b.provider.base_url  # the cache key includes it
    assert ModelClient("local:/qwen2.5-1.5b").provider.base_url == a.provider.base_url


def test_check_ready_names_what_is_missing(tmp_path: Path) -> None:
    f = tmp_path / "broken.gguf"
    f.write_bytes(b"GGUF")
    f.unlink()
    with pytest.raises(ConfigError):
        ModelClient(f"local:/{f}")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"PK\x03\x04 a zip file")
    client = ModelClient(f"local:/{bad}")
    with pytest.raises(ConfigError, match=r"not a GGUF model file|xllamacpp"):
        client.check_ready()
