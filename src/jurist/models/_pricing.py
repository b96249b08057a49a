"""Prices of common judge models, in USD per million tokens (input, output), list prices.

A model not in the table costs ``None``: jurist never reports a number it does not know.
Dated or ``-latest`` variants of a listed model take its price (``gpt-4o-mini-2024-07-18``).
"""

from __future__ import annotations

import functools
import re

PRICES: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    # Anthropic
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.00, 75.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-haiku-4-5": (1.00, 5.00),
    # Google
    "gemini-1.5-flash": (0.075, 0.30),
    "gemini-1.5-pro": (1.25, 5.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-pro": (1.25, 10.00),
    # Amazon (Bedrock)
    "nova-micro": (0.035, 0.14),
    "nova-lite": (0.06, 0.24),
    "nova-pro": (0.80, 3.20),
    "nova-premier": (2.50, 12.50),
    "llama3-1-8b-instruct": (0.22, 0.22),
    "llama3-1-70b-instruct": (0.72, 0.72),
    "llama3-3-70b-instruct": (0.72, 0.72),
    # Cohere
    "command-a-03-2025": (2.50, 10.00),
    "command-r-plus-08-2024": (2.50, 10.00),
    "command-r-08-2024": (0.15, 0.60),
    "command-r7b-12-2024": (0.0375, 0.15),
    "command-r-plus": (3.00, 15.00),
    "command-r": (0.50, 1.50),
    # Mistral
    "mistral-large": (2.00, 6.00),
    "mistral-medium": (0.40, 2.00),
    "mistral-small": (0.10, 0.30),
    "magistral-medium": (2.00, 5.00),
    "magistral-small": (0.50, 1.50),
    "ministral-8b": (0.10, 0.10),
    "ministral-3b": (0.04, 0.04),
    "codestral": (0.30, 0.90),
    "open-mistral-nemo": (0.15, 0.15),
    # Together AI (the name after the organisation, lower-cased)
    "llama-3.3-70b-instruct-turbo": (0.88, 0.88),
    "meta-llama-3.1-8b-instruct-turbo": (0.18, 0.18),
    "meta-llama-3.1-70b-instruct-turbo": (0.88, 0.88),
    "meta-llama-3.1-405b-instruct-turbo": (3.50, 3.50),
    "qwen2.5-72b-instruct-turbo": (1.20, 1.20),
    "deepseek-v3": (1.25, 1.25),
    "deepseek-r1": (3.00, 7.00),
    # Served through LiteLLM
    "grok-4": (3.00, 15.00),
    "grok-3": (3.00, 15.00),
    "grok-3-mini": (0.30, 0.50),
    "deepseek-chat": (0.27, 1.10),
    "deepseek-reasoner": (0.55, 2.19),
    "llama-3.3-70b-versatile": (0.59, 0.79),
    "llama-3.1-8b-instant": (0.05, 0.08),
}

#: Other spellings of listed models.
ALIASES: dict[str, str] = {
    "claude-4-opus": "claude-opus-4",
    "claude-4-sonnet": "claude-sonnet-4",
    "claude-4.1-opus": "claude-opus-4-1",
    "claude-3.5-sonnet": "claude-3-5-sonnet",
    "claude-3.5-haiku": "claude-3-5-haiku",
    "claude-3.7-sonnet": "claude-3-7-sonnet",
    "command-a": "command-a-03-2025",
    "mistral-large-latest": "mistral-large",
}

# Dated or versioned spellings: -20240718, -2024-07-18, -2411 (Mistral), -001 (Gemini), -latest, -v1:0 (Bedrock).
_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|\d{4}|\d{3}|latest|v\d+(:\d+)?)$")
# Bedrock model ids: an optional cross-region prefix, then the vendor (us.anthropic.claude-…, amazon.nova-pro-…).
_BEDROCK_PREFIX = re.compile(
    r"^((us|us-gov|eu|apac|jp|au|ca|global)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|writer|qwen)\."
)


@functools.lru_cache(maxsize=1024)  # asked with every answer, of the same few names; the tables never change
def lookup(model: str) -> tuple[float, float] | None:
    name = model.lower().rsplit("/", 1)[-1]
    name = _BEDROCK_PREFIX.sub("", name)
    while True:
        name = ALIASES.get(name, name)
        if name in PRICES:
            return PRICES[name]
        stripped = _SUFFIX.sub("", name)
        if stripped == name:
            return None
        name = stripped


def cost_usd(model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """Cost of one call, or None when the model's price or the token counts are unknown."""
    price = lookup(model)
    if price is None or input_tokens is None or output_tokens is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
