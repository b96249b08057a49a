"""One built-in judge and one ``make_judge`` judge on every provider, each against its own fake server.

Each case names the fake, how to reach it with a per-judge ``base_url``, where the verdict schema sits
in that wire format, and how the inference parameters arrive there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from jurist import make_judge
from jurist.judges import Correctness

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # LiteLLM's pydantic models warn on first use

ROW = {
    "inputs": {"question": "What is the capital of France?"},
    "outputs": "Paris is the capital of France.",
    "expectations": {"expected_response": "Paris"},
}
PARAMS = {"temperature": 0.0, "max_tokens": 300, "top_p": 0.5, "stop": ["</verdict>"], "seed": 11}


def _openai_params(b: dict[str, Any]) -> dict[str, Any]:
    return {"temperature": b.get("temperature"), "max_tokens": b.get("max_tokens"), "top_p": b.get("top_p"),
            "stop": b.get("stop"), "seed": b.get("seed")}


def _mistral_params(b: dict[str, Any]) -> dict[str, Any]:
    return {**_openai_params(b), "seed": b.get("random_seed")}


def _anthropic_params(b: dict[str, Any]) -> dict[str, Any]:
    return {"temperature": b.get("temperature"), "max_tokens": b.get("max_tokens"), "top_p": b.get("top_p"),
            "stop": b.get("stop_sequences"), "seed": None}


def _gemini_params(b: dict[str, Any]) -> dict[str, Any]:
    c = b.get("generationConfig") or {}
    return {"temperature": c.get("temperature"), "max_tokens": c.get("maxOutputTokens"), "top_p": c.get("topP"),
            "stop": c.get("stopSequences"), "seed": c.get("seed")}


def _bedrock_params(b: dict[str, Any]) -> dict[str, Any]:
    c = b.get("inferenceConfig") or {}
    return {"temperature": c.get("temperature"), "max_tokens": c.get("maxTokens"), "top_p": c.get("topP"),
            "stop": c.get("stopSequences"), "seed": None}


def _cohere_params(b: dict[str, Any]) -> dict[str, Any]:
    return {"temperature": b.get("temperature"), "max_tokens": b.get("max_tokens"), "top_p": b.get("p"),
            "stop": b.get("stop_sequences"), "seed": b.get("seed")}


def _openai_schema(b: dict[str, Any]) -> Any:
    return b["response_format"]["json_schema"]["schema"]


@dataclass(frozen=True)
class Case:
    uri: str
    fake: str
    #: The env var holding the fake's address; the judge's own base_url replaces it in the tests.
    base_env: str | None
    base_url: Callable[[Any], str]
    schema: Callable[[dict[str, Any]], Any]
    params: Callable[[dict[str, Any]], dict[str, Any]]
    system: Callable[[dict[str, Any]], str]
    priced: bool = True
    env: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.uri


def _first_message(b: dict[str, Any]) -> str:
    return str(b["messages"][0]["content"])


CASES = [
    Case("openai:/gpt-4o-mini", "fake_openai", "OPENAI_BASE_URL", lambda f: f.base_url, _openai_schema,
         _openai_params, _first_message),
    Case("anthropic:/claude-sonnet-4", "fake_anthropic", "ANTHROPIC_BASE_URL", lambda f: f.base_url,
         lambda b: b["tools"][0]["input_schema"], _anthropic_params, lambda b: b["system"]),
    Case("gateway:/judge-endpoint", "fake_openai", None, lambda f: f.url, _openai_schema, _openai_params,
         _first_message, priced=False, env=(("JURIST_GATEWAY_TOKEN", "test-key"),)),
    Case("azure:/judge-gpt4o", "fake_azure", "AZURE_OPENAI_ENDPOINT", lambda f: f.base_url, _openai_schema,
         _openai_params, _first_message),
    Case("gemini:/gemini-2.0-flash", "fake_gemini", "GEMINI_BASE_URL", lambda f: f.base_url,
         lambda b: b["generationConfig"]["responseSchema"], _gemini_params,
         lambda b: b["systemInstruction"]["parts"][0]["text"]),
    Case("google:/gemini-2.5-flash", "fake_gemini", "GEMINI_BASE_URL", lambda f: f.base_url,
         lambda b: b["generationConfig"]["responseSchema"], _gemini_params,
         lambda b: b["systemInstruction"]["parts"][0]["text"]),
    Case("bedrock:/anthropic.claude-3-5-sonnet-20240620-v1:0", "fake_bedrock", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
         lambda f: f.base_url, lambda b: b["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"],
         _bedrock_params, lambda b: b["system"][0]["text"]),
    Case("cohere:/command-a-03-2025", "fake_cohere", "COHERE_BASE_URL", lambda f: f.base_url,
         lambda b: b["response_format"]["json_schema"], _cohere_params, _first_message),
    Case("together:/meta-llama/Llama-3.3-70B-Instruct-Turbo", "fake_together", "TOGETHER_BASE_URL",
         lambda f: f.base_url, _openai_schema, _openai_params, _first_message),
    Case("mistral:/mistral-large-latest", "fake_mistral", "MISTRAL_BASE_URL", lambda f: f.base_url, _openai_schema,
         _mistral_params, _first_message),
    Case("ollama:/llama3.1", "fake_ollama", "OLLAMA_BASE_URL", lambda f: f.url, _openai_schema, _openai_params,
         _first_message, priced=False),
    Case("vllm:/Qwen/Qwen2.5-7B-Instruct", "fake_vllm", "VLLM_BASE_URL", lambda f: f.base_url, _openai_schema,
         _openai_params, _first_message, priced=False),
    Case("xai:/grok-3", "fake_openai", None, lambda f: f.base_url, _openai_schema, _openai_params, _first_message,
         env=(("XAI_API_KEY", "test-key"),)),
]


def _setup(case: Case, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = request.getfixturevalue(case.fake)
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    if case.base_env:
        monkeypatch.delenv(case.base_env, raising=False)  # the judge's base_url must be what reaches it
    return fake


def _judges(case: Case, fake: Any, **kwargs: Any) -> list[Any]:
    base_url = case.base_url(fake)
    return [
        Correctness(model=case.uri, base_url=base_url, **kwargs),
        make_judge(name="grounded", instructions="Does {{ outputs }} answer {{ inputs }} correctly?",
                   feedback_value_type=bool, model=case.uri, base_url=base_url, **kwargs),
    ]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_judges_give_verdicts_on_every_provider(case: Case, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _setup(case, request, monkeypatch)
    correctness, grounded = _judges(case, fake)

    fb = correctness(**ROW)
    assert fb.error is None, fb.error
    assert fb.value == "yes" and fb.rationale
    assert (fb.metadata["input_tokens"], fb.metadata["output_tokens"]) == (42, 17)
    assert (fb.metadata["cost_usd"] is not None) == case.priced
    body = fake.requests[-1].body
    assert case.schema(body)["properties"]["result"].get("enum") == ["yes", "no"]
    assert case.system(body).startswith(correctness.instructions.strip()[:40])

    fb = grounded(inputs=ROW["inputs"], outputs=ROW["outputs"])
    assert fb.error is None, fb.error
    assert fb.value is True
    body = fake.requests[-1].body
    assert str(case.schema(body)["properties"]["result"]["type"]).lower() == "boolean"
    assert fake.calls == 2


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inference_params_and_extra_headers_reach_every_provider(case: Case, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _setup(case, request, monkeypatch)
    for judge in _judges(case, fake, inference_params=PARAMS, extra_headers={"X-Judge-Run": "run-7"}):
        judge(**ROW) if isinstance(judge, Correctness) else judge(inputs=ROW["inputs"], outputs=ROW["outputs"])
        rec = fake.requests[-1]
        assert {k.lower(): v for k, v in rec.headers.items()}["x-judge-run"] == "run-7"
        arrived = case.params(rec.body)
        expected = dict(PARAMS)
        if case.uri.startswith(("anthropic:", "bedrock:")):
            expected["seed"] = None  # not in those wire formats: dropped, not an error
        assert arrived == expected, json.dumps(rec.body)[:500]
