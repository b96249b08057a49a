"""The provider registry: URI scheme → adapter class, imported only when first used.

Third-party packages add providers through the ``jurist.providers`` entry-point group, each entry
pointing at a :class:`Provider` subclass (``mypkg.providers:MyProvider``); they are looked up only
when a URI names a scheme jurist does not ship.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points

from jurist.errors import ConfigError
from jurist.models._uri import ModelURI
from jurist.models.providers._base import Provider

ENTRY_POINT_GROUP = "jurist.providers"

#: Built-in schemes, as "module:Class" so nothing is imported until a URI names them.
BUILTIN_PROVIDERS: dict[str, str] = {
    "openai": "jurist.models.providers.openai:OpenAIProvider",
    "anthropic": "jurist.models.providers.anthropic:AnthropicProvider",
    "gateway": "jurist.models.providers.gateway:GatewayProvider",
    "local": "jurist.local._provider:LocalProvider",
    "azure": "jurist.models.providers.azure:AzureOpenAIProvider",
    "gemini": "jurist.models.providers.gemini:GeminiProvider",
    "google": "jurist.models.providers.gemini:GeminiProvider",
    "bedrock": "jurist.models.providers.bedrock:BedrockProvider",
    "cohere": "jurist.models.providers.cohere:CohereProvider",
    "together": "jurist.models.providers.together:TogetherProvider",
    "mistral": "jurist.models.providers.mistral:MistralProvider",
    "ollama": "jurist.models.providers.selfhosted:OllamaProvider",
    "vllm": "jurist.models.providers.selfhosted:VLLMProvider",
    "litellm": "jurist.models.providers.litellm:LiteLLMProvider",
    "fake": "jurist.models.providers.fake:FakeProvider",
}

#: Schemes served through LiteLLM (the ``litellm`` extra). Any other provider the installed LiteLLM
#: knows resolves too; these are listed so that they resolve, and say how to install LiteLLM, without it.
LITELLM_SCHEMES: frozenset[str] = frozenset({
    "xai", "groq", "deepseek", "fireworks", "fireworks_ai", "openrouter", "perplexity", "cerebras",
    "deepinfra", "sambanova", "nvidia_nim", "huggingface", "replicate", "ai21", "cloudflare", "databricks",
    "watsonx", "vertex_ai", "sagemaker", "friendliai", "novita", "nebius", "hyperbolic", "moonshot",
    "dashscope", "github", "lm_studio", "llamafile", "xinference",
})


def _load(target: str) -> type[Provider]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def provider_names() -> list[str]:
    """Every scheme that resolves: built-in and installed through entry points."""
    names = set(BUILTIN_PROVIDERS) | LITELLM_SCHEMES
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def get_provider_class(name: str) -> type[Provider]:
    """The adapter class for a URI scheme (:class:`LiteLLMProvider` for every scheme LiteLLM serves; build
    providers with :func:`make_provider`); an unknown scheme is a ConfigError listing the known ones."""
    target = BUILTIN_PROVIDERS.get(name)
    if target is not None:
        return _load(target)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Provider)):
                raise ConfigError(f"entry point {ep.value!r} for provider {name!r} is not a jurist Provider class")
            return cls
    from jurist.models.providers.litellm import LiteLLMProvider, litellm_installed_providers

    if name in LITELLM_SCHEMES or name in litellm_installed_providers():
        return LiteLLMProvider
    raise ConfigError(
        f"Unknown model provider {name!r}. Known providers: {', '.join(provider_names())} "
        f"(other LiteLLM providers too, with pip install 'jurist[litellm]'). "
        f"Model URIs look like 'openai:/gpt-4o-mini'."
    )


def make_provider(
    uri: ModelURI,
    *,
    base_url: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    api_key: str | None = None,
) -> Provider:
    """The provider adapter for a parsed model URI; an unknown scheme is a ConfigError listing the known ones.

    Example:
        >>> make_provider(parse_model_uri("xai:/grok-3")).name   # doctest: +SKIP
        'xai'
    """
    cls = get_provider_class(uri.provider)
    return cls.for_scheme(uri.provider, uri.model, base_url=base_url, extra_headers=extra_headers, api_key=api_key)


def tool_calling_providers() -> list[str]:
    """The built-in schemes whose wire format carries native tool calling (for error messages)."""
    names = []
    for scheme, target in BUILTIN_PROVIDERS.items():
        try:
            if _load(target).supports_tools:
                names.append(scheme)
        except Exception:  # a provider whose optional dependency is missing still counts as unknown
            continue
    return names


def tools_unsupported(provider: str, model: str, what: str = "This request") -> ConfigError:
    """The error for tool calling asked of a provider whose wire module does not carry it."""
    return ConfigError(
        f"{what} needs native tool calling, which '{provider}:/{model}' does not support in jurist yet. "
        f"Providers with tool calling: {', '.join(tool_calling_providers())} (and the schemes served "
        f"through LiteLLM)."
    )


__all__ = ["BUILTIN_PROVIDERS", "ENTRY_POINT_GROUP", "LITELLM_SCHEMES", "Provider", "get_provider_class", "make_provider",
           "provider_names",
           "tool_calling_providers", "tools_unsupported"]
