"""``local:/<name-or-path>``: a GGUF model run by llama.cpp on this machine (the ``local`` extra).

``local:/default`` is ``JURIST_LOCAL_MODEL`` when set, else the bundled Qwen2.5-Coder-1.5B-Instruct
(also ``local:/qwen2.5-1.5b``); ``local:/path/to/model.gguf`` is any other GGUF file. No key, no network.

The wire format is OpenAI's Chat Completions, which llama.cpp's server speaks: structured output is a
``json_schema`` response format that llama.cpp compiles to a grammar, so the model cannot write anything
else; temperature 0 decodes greedily; per-token log-probabilities come back with every answer, for the
verdict's confidence. The model runs in a supervised child process shared by every judge of this process
(:mod:`jurist.local._engine`), started when a judgment is first made.

The provider lives with the local model, not in ``jurist.models``: the model layer names it only in its
registry (``"jurist.local._provider:LocalProvider"``), and asks it through :meth:`LocalProvider.offer_default`
whether ``local:/default`` can be the default judge model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.errors import ConfigError, SchemaUnsupportedError
from jurist.local._supply import (
    OFF_VALUES,
    ModelSpec,
    default_available,
    local_model_setting,
    require_runtime,
    resolve,
    runtime_installed,
)
from jurist.models._types import KNOWN_PARAMS, ChatRequest, ChatResponse
from jurist.models.providers._base import Provider
from jurist.models.providers.openai import from_wire as openai_from_wire
from jurist.models.providers.openai import response_format

#: Parameters llama.cpp's server takes under the same names.
_PARAMS = frozenset(KNOWN_PARAMS)
#: Alternatives returned per generated token: enough to see a verdict's rivals.
TOP_LOGPROBS = 10


#: llama.cpp unrolls a bounded repetition (``maxLength``, ``maxItems``...) into nested grammar rules
#: and fails (in some builds: crashes) beyond a few hundred.
MAX_GRAMMAR_REPEAT = 256
_REPEAT_KEYS = ("minLength", "maxLength", "minItems", "maxItems")


def grammar_problem(schema: Any) -> str | None:
    """Why llama.cpp cannot compile ``schema`` to a grammar safely, or None when it can."""
    if isinstance(schema, dict):
        for k in _REPEAT_KEYS:
            v = schema.get(k)
            if isinstance(v, int) and v > MAX_GRAMMAR_REPEAT:
                return f"{k}={v} is more than the {MAX_GRAMMAR_REPEAT} repetitions llama.cpp grammars allow"
        for v in schema.values():
            if (why := grammar_problem(v)) is not None:
                return why
    elif isinstance(schema, list):
        for v in schema:
            if (why := grammar_problem(v)) is not None:
                return why
    return None


def to_wire(request: ChatRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    """A Chat Completions body for llama.cpp's server. Pure: no I/O, no env.

    Instructions stay the first message and the row's values the last, which is what lets the engine's
    prompt cache reuse a judge's instructions across its judgments.
    """
    body: dict[str, Any] = {"messages": [m.to_dict() for m in request.messages]}
    for k, v in params.items():
        if k in _PARAMS and v is not None:
            body[k] = float(v) if k in ("temperature", "top_p") else v
    if request.response_schema is not None:
        body["response_format"] = response_format(request.response_schema)
        body["logprobs"] = True
        body["top_logprobs"] = TOP_LOGPROBS
    return body


def from_wire(body: Any, label: str | None = None) -> ChatResponse:
    """Read llama.cpp's (OpenAI-shaped) chat completion."""
    resp = openai_from_wire(body, "local")
    if label:
        resp.model = label
    return resp


class LocalProvider(Provider):
    """``local:/<name-or-path>``: llama.cpp in a supervised child process."""

    name = "local"
    requires_key = False
    in_process = True
    supports_response_schema = True
    supported_params: ClassVar[frozenset[str]] = _PARAMS

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
    ) -> None:
        if base_url:
            raise ConfigError(
                f"local:/{model} runs in this process and takes no base_url. To call a local model served "
                f"by `jurist serve-local`, use model='openai:/<name>' with base_url='http://host:port/v1'."
            )
        self.spec: ModelSpec = resolve(model)
        # The endpoint identity is the model file's: the response cache never mixes two models' answers.
        super().__init__(model, base_url=f"local://{self.spec.identity}", extra_headers=extra_headers,
                         api_key=api_key)

    @classmethod
    def offer_default(cls) -> tuple[str | None, str]:
        """Whether ``local:/default`` can be the default judge model: the label of the model it would use
        (None if it cannot), and why it cannot (a parenthesised hint, or '')."""
        label = default_available()
        if label is not None:
            return label, ""
        local = local_model_setting()
        if local.lower() in OFF_VALUES:
            return None, f" (JURIST_LOCAL_MODEL={local} turns it off)"
        if not runtime_installed():
            return None, " (its runtime, xllamacpp, is not installed)"
        if local:
            return None, f" (JURIST_LOCAL_MODEL={local} names no usable GGUF file)"
        return None, ""

    def check_ready(self) -> None:
        require_runtime()
        self.spec.check_available()

    @property
    def connection_key(self) -> str:
        return f"local|{self.spec.key}"

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        return to_wire(request, self.params(request))

    def from_wire(self, body: Any) -> ChatResponse:
        return from_wire(body, self.spec.label)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        from jurist.local._engine import engine_for

        if request.response_schema is not None:
            why = grammar_problem(request.response_schema.schema)
            if why is not None:
                # The client then asks again without the schema (prompt-only JSON).
                raise SchemaUnsupportedError(f"local: the output schema cannot be a grammar: {why}",
                                             provider="local", status=400)
        out = await engine_for(self.spec).achat(self.to_wire(request))
        return self.from_wire(out)
