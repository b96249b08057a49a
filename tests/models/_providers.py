"""What the provider tests share: the golden files, one canonical judge request, a sync call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from jurist._runtime import run_sync
from jurist.judges._values import verdict_schema
from jurist.models import ChatRequest, ChatResponse, Message, ModelClient, ResponseSchema, RetryPolicy

GOLDEN = Path(__file__).parent / "golden"

#: A judge's request as every provider receives it: instructions, the row, the verdict schema, params.
REQUEST = ChatRequest(
    messages=(Message("system", "You are a strict judge."), Message("user", "<request>\nWhat is 2+2?\n</request>")),
    response_schema=ResponseSchema("verdict", verdict_schema(Literal["yes", "no"])),
    params={"temperature": 0, "top_p": 0.9, "max_tokens": 256, "seed": 7, "stop": ["</verdict>"]},
)
PLAIN = ChatRequest(messages=REQUEST.messages, params={"temperature": 0})
FAST = RetryPolicy(max_attempts=4, total_budget_s=10, base_backoff_s=0.01, max_backoff_s=0.05)


def golden(name: str) -> Any:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def chat(client: ModelClient, request: ChatRequest = REQUEST, use_cache: bool = False) -> ChatResponse:
    return run_sync(client.chat(request, use_cache=use_cache))
