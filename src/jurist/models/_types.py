"""Provider-neutral chat request and response shapes.

Every provider module translates a :class:`ChatRequest` to its wire format and its answer back to a
:class:`ChatResponse`; nothing above the provider layer sees a vendor's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A model's request to call one tool: the provider's call id, the tool's name, its arguments.

    ``raw_arguments`` keeps the provider's text when it was not a JSON object (``arguments`` is then
    empty), so that the caller can say so to the model instead of guessing.
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.raw_arguments is not None:
            d["raw_arguments"] = self.raw_arguments
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCall:
        return cls(id=str(d["id"]), name=str(d["name"]), arguments=dict(d.get("arguments") or {}),
                   raw_arguments=d.get("raw_arguments"))


@dataclass(frozen=True)
class Tool:
    """A tool offered to the model: its name, what it does, and the JSON schema of its arguments object."""

    name: str
    description: str
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


@dataclass(frozen=True)
class Message:
    """One chat turn.

    An assistant turn may carry ``tool_calls``; a ``"tool"`` turn is the result of one call, naming it
    by ``tool_call_id`` (and the tool by ``name``, which some wire formats need).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id is not None:
            d["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            d["name"] = self.name
        return d


@dataclass(frozen=True)
class ResponseSchema:
    """Structured output asked of the model: a JSON schema for one object, and its name."""

    name: str
    schema: dict[str, Any]

    @property
    def any_object(self) -> bool:
        """Whether any JSON object will do (OpenAI's ``json_object`` mode): no properties are fixed."""
        return self.schema.get("type") == "object" and not self.schema.get("properties")


#: Inference parameters every provider understands the meaning of; each maps or drops them.
KNOWN_PARAMS = ("temperature", "max_tokens", "top_p", "seed", "stop")


#: ``ChatRequest.tool_choice`` modes; any other value names the one tool the model must call.
TOOL_CHOICE_MODES = ("auto", "required", "none")


@dataclass(frozen=True)
class ChatRequest:
    """What a judge asks of a model, before any provider's wire format.

    ``tools`` are offered for native tool calling; ``tool_choice`` is ``"auto"`` (the model decides),
    ``"required"`` (it must call some tool), ``"none"``, or a tool's name (it must call that one).
    """

    messages: tuple[Message, ...]
    response_schema: ResponseSchema | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tools: tuple[Tool, ...] = ()
    tool_choice: str | None = None

    def __post_init__(self) -> None:
        if self.tool_choice is not None and self.tool_choice not in TOOL_CHOICE_MODES:
            if self.tool_choice not in {t.name for t in self.tools}:
                raise ValueError(
                    f"tool_choice {self.tool_choice!r} is neither one of {TOOL_CHOICE_MODES} nor an offered tool"
                )

    @property
    def system(self) -> str | None:
        parts = [m.content for m in self.messages if m.role == "system"]
        return "\n\n".join(parts) if parts else None

    @property
    def chat_messages(self) -> list[Message]:
        return [m for m in self.messages if m.role != "system"]

    @property
    def uses_tools(self) -> bool:
        """Whether the request offers tools or carries tool calls or results in its history."""
        return bool(self.tools) or any(m.tool_calls or m.role == "tool" for m in self.messages)

    def without_schema(self) -> ChatRequest:
        return ChatRequest(messages=self.messages, response_schema=None, params=self.params, tools=self.tools,
                           tool_choice=self.tool_choice)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that decides the answer, as plain data (the cache key hashes this)."""
        fp: dict[str, Any] = {
            "messages": [m.to_dict() for m in self.messages],
            "schema": None
            if self.response_schema is None
            else {"name": self.response_schema.name, "schema": self.response_schema.schema},
            "params": self.params,
        }
        # Only present when used, so that the keys of requests without tools stay what they were.
        if self.tools:
            fp["tools"] = [t.to_dict() for t in self.tools]
        if self.tool_choice is not None:
            fp["tool_choice"] = self.tool_choice
        return fp


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token's log-probability, and the most likely alternatives at its position."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()

    def to_list(self) -> list[Any]:
        return [self.token, self.logprob, [list(t) for t in self.top]]

    @classmethod
    def from_list(cls, d: Any) -> TokenLogprob:
        return cls(str(d[0]), float(d[1]), tuple((str(t), float(lp)) for t, lp in d[2]))


@dataclass
class ChatResponse:
    """A model's answer: its text (for structured output, the JSON text), tool calls, usage and stop reason."""

    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    model: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    #: Filled by the client, not the provider.
    latency_ms: float | None = None
    cost_usd: float | None = None
    cached: bool = False
    #: Per-token log-probabilities, where the provider was asked for them and gave them.
    logprobs: list[TokenLogprob] | None = None

    def to_cache(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "text": self.text,
            "usage": self.usage.to_dict(),
            "finish_reason": self.finish_reason,
            "model": self.model,
            "cost_usd": self.cost_usd,
        }
        if self.tool_calls:
            d["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.logprobs:
            d["logprobs"] = [t.to_list() for t in self.logprobs]
        return d

    @classmethod
    def from_cache(cls, d: dict[str, Any]) -> ChatResponse:
        u = d.get("usage") or {}
        return cls(
            text=d["text"],
            usage=Usage(u.get("input_tokens"), u.get("output_tokens")),
            finish_reason=d.get("finish_reason"),
            model=d.get("model"),
            cost_usd=d.get("cost_usd"),
            tool_calls=[ToolCall.from_dict(c) for c in d.get("tool_calls") or []],
            cached=True,
            logprobs=[TokenLogprob.from_list(t) for t in d["logprobs"]] if d.get("logprobs") else None,
        )
