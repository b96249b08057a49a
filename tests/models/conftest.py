"""Fake provider servers for the provider tests, each with the env that points jurist at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from tests.fakes._server import FakeServer
from tests.fakes.azure import FakeAzure
from tests.fakes.bedrock import FakeBedrock
from tests.fakes.cohere import FakeCohere
from tests.fakes.compatible import FakeCompatible
from tests.fakes.gemini import FakeGemini
from tests.fakes.mistral import FakeMistral

#: Every env var a provider reads, cleared before each test so the machine's own settings never leak in.
PROVIDER_ENV = (
    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_VERSION", "GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL", "COHERE_API_KEY",
    "CO_API_KEY", "COHERE_BASE_URL", "CO_API_URL", "TOGETHER_API_KEY", "TOGETHER_BASE_URL", "MISTRAL_API_KEY",
    "MISTRAL_BASE_URL", "OLLAMA_BASE_URL", "OLLAMA_API_KEY", "VLLM_BASE_URL", "VLLM_API_KEY", "XAI_API_KEY",
    "GROQ_API_KEY", "DEEPSEEK_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
_S = TypeVar("_S", bound=FakeServer)


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    # botocore must find no profile, config file or instance role of the machine running the tests.
    empty = tmp_path_factory.mktemp("aws")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _serve(server: _S) -> Iterator[_S]:
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _gemini_server() -> Iterator[FakeGemini]:
    yield from _serve(FakeGemini())


@pytest.fixture(scope="session")
def _bedrock_server() -> Iterator[FakeBedrock]:
    yield from _serve(FakeBedrock(session_token="fake-session-token/with+chars=="))


@pytest.fixture(scope="session")
def _cohere_server() -> Iterator[FakeCohere]:
    yield from _serve(FakeCohere())


@pytest.fixture(scope="session")
def _azure_server() -> Iterator[FakeAzure]:
    yield from _serve(FakeAzure())


@pytest.fixture(scope="session")
def _mistral_server() -> Iterator[FakeMistral]:
    yield from _serve(FakeMistral())


@pytest.fixture(scope="session")
def _together_server() -> Iterator[FakeCompatible]:
    yield from _serve(FakeCompatible("together-test-key", require_key=True))


@pytest.fixture(scope="session")
def _vllm_server() -> Iterator[FakeCompatible]:
    yield from _serve(FakeCompatible(models=("Qwen/Qwen2.5-7B-Instruct",), error_style="vllm"))


@pytest.fixture(scope="session")
def _ollama_server() -> Iterator[FakeCompatible]:
    yield from _serve(FakeCompatible(models=("llama3.1", "qwen2.5:7b")))


@pytest.fixture
def fake_gemini(_gemini_server: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> FakeGemini:
    """The fake Gemini API, reset, with GEMINI_API_KEY/GEMINI_BASE_URL pointing at it."""
    _gemini_server.reset()
    monkeypatch.setenv("GEMINI_API_KEY", _gemini_server.api_key)
    monkeypatch.setenv("GEMINI_BASE_URL", _gemini_server.base_url)
    return _gemini_server


@pytest.fixture
def fake_bedrock(_bedrock_server: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> FakeBedrock:
    """The fake Bedrock runtime, reset, with AWS credentials, region and endpoint pointing at it."""
    _bedrock_server.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _bedrock_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _bedrock_server.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", _bedrock_server.session_token or "")
    monkeypatch.setenv("AWS_REGION", _bedrock_server.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", _bedrock_server.base_url)
    return _bedrock_server


@pytest.fixture
def fake_cohere(_cohere_server: FakeCohere, monkeypatch: pytest.MonkeyPatch) -> FakeCohere:
    _cohere_server.reset()
    monkeypatch.setenv("COHERE_API_KEY", _cohere_server.api_key)
    monkeypatch.setenv("COHERE_BASE_URL", _cohere_server.base_url)
    return _cohere_server


@pytest.fixture
def fake_azure(_azure_server: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    _azure_server.reset()
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", _azure_server.api_key)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", _azure_server.base_url)
    return _azure_server


@pytest.fixture
def fake_mistral(_mistral_server: FakeMistral, monkeypatch: pytest.MonkeyPatch) -> FakeMistral:
    _mistral_server.reset()
    monkeypatch.setenv("MISTRAL_API_KEY", _mistral_server.api_key)
    monkeypatch.setenv("MISTRAL_BASE_URL", _mistral_server.base_url)
    return _mistral_server


@pytest.fixture
def fake_together(_together_server: FakeCompatible, monkeypatch: pytest.MonkeyPatch) -> FakeCompatible:
    _together_server.reset()
    monkeypatch.setenv("TOGETHER_API_KEY", _together_server.api_key)
    monkeypatch.setenv("TOGETHER_BASE_URL", _together_server.base_url)
    return _together_server


@pytest.fixture
def fake_vllm(_vllm_server: FakeCompatible, monkeypatch: pytest.MonkeyPatch) -> FakeCompatible:
    _vllm_server.reset()
    monkeypatch.setenv("VLLM_BASE_URL", _vllm_server.base_url)
    return _vllm_server


@pytest.fixture
def fake_ollama(_ollama_server: FakeCompatible, monkeypatch: pytest.MonkeyPatch) -> FakeCompatible:
    # As users write it: the server's root, without /v1.
    _ollama_server.reset()
    monkeypatch.setenv("OLLAMA_BASE_URL", _ollama_server.url)
    return _ollama_server
