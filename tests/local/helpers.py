"""Prompts and schemas shared by the smoke-model and server tests."""

from __future__ import annotations

#: A verdict whose rationale the grammar bounds, so even the 135M smoke model always finishes its JSON.
SHORT_VERDICT = {
    "type": "object",
    "properties": {"rationale": {"type": "string", "maxLength": 40}, "result": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["rationale", "result"],
    "additionalProperties": False,
}
JUDGE_A = "You are judge A. You decide whether the answer to a question is correct. " * 6
JUDGE_B = "You are judge B. You decide whether a response is polite and safe to show. " * 6


def msgs(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def body(system: str, user: str, **params: object) -> dict[str, object]:
    """A chat completion body for the engine."""
    return {"messages": msgs(system, user), **params}
