"""Provider-neutral chat request and response shapes.

Every provider module translates a :class:`ChatRequest` to its wire format and its answer back to a
:class:`ChatResponse`; nothing above the provider layer sees a vendor's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ResponseSchema:
    """Structured output asked of the model: a JSON schema for one object, and its name."""

    name: str
    schema: dict[str, Any]


#: Inference parameters every provider understands the meaning of; each maps or drops them.
KNOWN_PARAMS = ("temperature", "max_tokens", "top_p", "seed", "stop")


@dataclass(frozen=True)
class ChatRequest:
    """What a judge asks of a model, before any provider's wire format."""

    messages: tuple[Message, ...]
    response_schema: ResponseSchema | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def system(self) -> str | None:
        parts = [m.content for m in self.messages if m.role == "system"]
        return "\n\n".join(parts) if parts else None

    @property
    def chat_messages(self) -> list[Message]:
        return [m for m in self.messages if m.role != "system"]

    def without_schema(self) -> ChatRequest:
        return ChatRequest(messages=self.messages, response_schema=None, params=self.params)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that decides the answer, as plain data (the cache key hashes this)."""
        return {
            "messages": [m.to_dict() for m in self.messages],
            "schema": None
            if self.response_schema is None
            else {"name": self.response_schema.name, "schema": self.response_schema.schema},
            "params": self.params,
        }


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


@dataclass
class ChatResponse:
    """A model's answer: its text (for structured output, the JSON text), usage and stop reason."""

    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    model: str | None = None
    #: Filled by the client, not the provider.
    latency_ms: float | None = None
    cost_usd: float | None = None
    cached: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": self.usage.to_dict(),
            "finish_reason": self.finish_reason,
            "model": self.model,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_cache(cls, d: dict[str, Any]) -> ChatResponse:
        u = d.get("usage") or {}
        return cls(
            text=d["text"],
            usage=Usage(u.get("input_tokens"), u.get("output_tokens")),
            finish_reason=d.get("finish_reason"),
            model=d.get("model"),
            cost_usd=d.get("cost_usd"),
            cached=True,
        )
