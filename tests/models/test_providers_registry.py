"""The provider registry: every promised scheme resolves, lazily, and unknown ones say what exists."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from jurist.errors import ConfigError
from jurist.models import ModelClient
from jurist.models.providers import BUILTIN_PROVIDERS, Provider, get_provider_class, provider_names


@pytest.mark.parametrize("scheme,cls_name", [
    ("openai", "OpenAIProvider"), ("anthropic", "AnthropicProvider"), ("gateway", "GatewayProvider"),
    ("azure", "AzureOpenAIProvider"), ("gemini", "GeminiProvider"), ("google", "GeminiProvider"),
    ("bedrock", "BedrockProvider"), ("cohere", "CohereProvider"), ("together", "TogetherProvider"),
    ("mistral", "MistralProvider"), ("ollama", "OllamaProvider"), ("vllm", "VLLMProvider"),
    ("litellm", "LiteLLMProvider"),
])
def test_every_builtin_scheme_resolves(scheme: str, cls_name: str) -> None:
    cls = get_provider_class(scheme)
    assert issubclass(cls, Provider) and cls.__name__ == cls_name
    assert scheme in provider_names()


def test_every_registry_entry_imports() -> None:
    for scheme in BUILTIN_PROVIDERS:
        if scheme == "local":
            continue  # the embedded model, tested with its own extra
        assert issubclass(get_provider_class(scheme), Provider)


def test_unknown_scheme_lists_providers_and_the_litellm_extra() -> None:
    with pytest.raises(ConfigError, match=r"Known providers: .*bedrock.*gemini.*jurist\[litellm\]"):
        ModelClient("nosuchprovider:/model")


def test_looking_up_a_provider_imports_neither_litellm_nor_botocore() -> None:
    script = textwrap.dedent("""
        import sys
        from jurist.models.providers import get_provider_class
        for s in ("openai", "azure", "gemini", "bedrock", "cohere", "mistral", "ollama", "xai"):
            get_provider_class(s)
        print(sorted(m for m in ("litellm", "botocore") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
