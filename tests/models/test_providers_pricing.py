"""Prices of the providers' common models, under the spellings each provider uses."""

from __future__ import annotations

import pytest

from jurist.models._pricing import cost_usd, lookup


@pytest.mark.parametrize("model,price", [
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", (3.00, 15.00)),    # Bedrock
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", (3.00, 15.00)),   # Bedrock inference profile
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
     (0.25, 1.25)),
    ("amazon.nova-pro-v1:0", (0.80, 3.20)),
    ("meta.llama3-1-70b-instruct-v1:0", (0.72, 0.72)),
    ("mistral.mistral-large-2407-v1:0", (2.00, 6.00)),
    ("models/gemini-2.0-flash-001", (0.10, 0.40)),                   # Gemini
    ("command-a-03-2025", (2.50, 10.00)),                            # Cohere
    ("command-r-08-2024", (0.15, 0.60)),
    ("mistral-large-latest", (2.00, 6.00)),                          # Mistral
    ("mistral-small-2503", (0.10, 0.30)),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", (0.88, 0.88)),       # Together
    ("deepseek-ai/DeepSeek-V3", (1.25, 1.25)),
    ("grok-3", (3.00, 15.00)),                                       # through LiteLLM
    ("deepseek-chat", (0.27, 1.10)),
    ("gpt-4o-2024-08-06", (2.50, 10.00)),                            # what an Azure answer names
])
def test_common_models_have_prices(model: str, price: tuple[float, float]) -> None:
    assert lookup(model) == price


def test_unknown_and_self_hosted_models_cost_nothing_known() -> None:
    assert lookup("llama3.1") is None and lookup("Qwen/Qwen2.5-7B-Instruct") is None
    assert cost_usd("my-deployment", 10, 10) is None
