"""A verdict in two steps, so the fixed text of the answer is read as prompt instead of decoded.

A judge's answer is one JSON object, ``{"rationale": "...", "result": ...}``, whose keys, quotes and
punctuation the output grammar fixes. llama.cpp decodes a forced token at the cost of any other (one pass
of the model per token, the slow part on a CPU), while prompt tokens are read many at a time. So the
engine writes the fixed text itself, as the start of the assistant's answer (a prefill, which llama.cpp's
grammar takes as already written), and lets the model decode only the rationale and the verdict:

1. prefill ``{"rationale": "``, stop at the closing quote: the model writes the rationale;
2. on the same slot (its cache holds everything so far), prefill ``{"rationale": "<it>", "result": `` and
   the verdict's opening quote for a string verdict, stop at its closing quote: a few tokens.

The two answers are joined into the one the client asked for: the same JSON, usage and timings summed,
log-probabilities in order with the written parts as certain tokens (so a verdict's confidence is read as
before). Pure functions: the engine does the asking (:meth:`LocalEngine._in_steps`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: What the answer starts with: the rationale's key and opening quote.
OPEN = '{"rationale": "'
#: A rationale that contains escaped quotes stops early at each; it is continued this many times at most.
MAX_CONTINUATIONS = 4
#: Tokens for a verdict of few values (``"yes"``, ``3``, ``true``) and its end.
VERDICT_MAX_TOKENS = 16
_STOP = '"'


@dataclass(frozen=True)
class Plan:
    """How one request is answered in steps."""

    #: The verdict is a string of listed values without quotes or escapes: its quotes are written, and the
    #: model stops at the closing one.
    quoted: bool
    #: Tokens the verdict step may use (the client's budget for free-form values).
    verdict_tokens: int


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    rf = body.get("response_format")
    if not isinstance(rf, dict) or rf.get("type") != "json_schema":
        return None
    js = rf.get("json_schema")
    schema = js.get("schema") if isinstance(js, dict) else None
    return schema if isinstance(schema, dict) else None


def _plain_enum(result: dict[str, Any]) -> bool:
    values = result.get("enum")
    if not isinstance(values, list) or not values or result.get("type", "string") != "string":
        return False
    return all(isinstance(v, str) and v and '"' not in v and "\\" not in v for v in values)


def plan_for(body: dict[str, Any], max_tokens: int) -> Plan | None:
    """A plan when ``body`` asks for a judge's verdict object (rationale first, then the result) and nothing
    that steps would change; None otherwise (the request is sent as it is)."""
    schema = _schema(body)
    if schema is None or schema.get("type") != "object":
        return None
    props = schema.get("properties")
    if not isinstance(props, dict) or list(props) != ["rationale", "result"]:
        return None
    if schema.get("required") != ["rationale", "result"] or schema.get("additionalProperties") is not False:
        return None
    rationale, result = props["rationale"], props["result"]
    if not isinstance(rationale, dict) or rationale.get("type") != "string" or not isinstance(result, dict):
        return None
    if set(rationale) - {"type", "maxLength", "description"}:
        return None
    if any(body.get(k) for k in ("stop", "stream", "tools", "grammar")) or (body.get("n") or 1) != 1:
        return None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    if messages[-1].get("role") == "assistant":  # the client writes its own prefill
        return None
    quoted = _plain_enum(result)
    return Plan(quoted=quoted, verdict_tokens=VERDICT_MAX_TOKENS if quoted else max(1, max_tokens))


def with_prefill(body: dict[str, Any], prefill: str, *, max_tokens: int, stop: bool) -> dict[str, Any]:
    """``body`` with ``prefill`` as the start of the assistant's answer."""
    out = {**body, "messages": [*body["messages"], {"role": "assistant", "content": prefill}],
           "max_tokens": max_tokens}
    if stop:
        out["stop"] = [_STOP]
    return out


def verdict_prefix(answer_so_far: str, plan: Plan) -> str:
    """The prefill of the verdict step: the rationale closed, the result's key, and its opening quote."""
    return f'{answer_so_far}", "result": ' + ('"' if plan.quoted else "")


def _choice(out: dict[str, Any]) -> dict[str, Any]:
    choices = out.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("the engine's answer has no choices")
    return choices[0]


def content(out: dict[str, Any]) -> str:
    msg = _choice(out).get("message") or {}
    text = msg.get("content") if isinstance(msg, dict) else None
    return text if isinstance(text, str) else ""


def generated(out: dict[str, Any], prefill: str) -> str:
    """What the model wrote after ``prefill`` (llama.cpp returns the prefill with the answer; a server that
    does not is read as well)."""
    text = content(out)
    return text[len(prefill):] if text.startswith(prefill) else text


def finish_reason(out: dict[str, Any]) -> str:
    return str(_choice(out).get("finish_reason") or "")


def ends_inside_escape(text: str) -> bool:
    """Whether the quote the model stopped at was escaped (an odd run of backslashes before it): the
    rationale goes on."""
    run = len(text) - len(text.rstrip("\\"))
    return run % 2 == 1


def _tokens(out: dict[str, Any]) -> list[dict[str, Any]] | None:
    lp = _choice(out).get("logprobs")
    items = lp.get("content") if isinstance(lp, dict) else None
    return [t for t in items if isinstance(t, dict)] if isinstance(items, list) else None


def _written(text: str) -> dict[str, Any]:
    """A token the engine wrote itself: certain, with no rivals."""
    return {"token": text, "logprob": 0.0, "bytes": list(text.encode()), "top_logprobs": []}


def _fit(tokens: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The tokens that spell ``text`` (a stop string's token is dropped), the rest written as one."""
    out: list[dict[str, Any]] = []
    at = 0
    for t in tokens:
        tok = t.get("token")
        if not isinstance(tok, str) or not text.startswith(tok, at):
            break
        out.append(t)
        at += len(tok)
    if at < len(text):
        out.append(_written(text[at:]))
    return out


def _sum(parts: list[dict[str, Any]], key: str) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for p in parts:
        block = p.get(key)
        if not isinstance(block, dict):
            continue
        for k, v in block.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith(("per_second", "per_token_ms")):
                total[k] = total.get(k, 0) + v
            elif isinstance(v, dict):
                inner = total.setdefault(k, {})
                for k2, v2 in v.items():
                    if isinstance(v2, (int, float)) and not isinstance(v2, bool):
                        inner[k2] = inner.get(k2, 0) + v2
    return total


def join(parts: list[dict[str, Any]], pieces: list[tuple[str, str | None]], steps: int) -> dict[str, Any]:
    """One OpenAI-shaped answer from the steps' answers.

    ``pieces`` is the answer's text in order: ``(text, None)`` for what the engine wrote, ``(text, i)`` for
    what the model wrote in step answer ``parts[i]`` (as an index string). The last part's choice gives the
    finish reason.
    """
    text = "".join(t for t, _ in pieces)
    with_logprobs = all(_tokens(p) is not None for p in parts)
    tokens: list[dict[str, Any]] = []
    for piece, source in pieces:
        if not piece:
            continue
        if source is None or not with_logprobs:
            tokens.append(_written(piece))
        else:
            tokens.extend(_fit(_tokens(parts[int(source)]) or [], piece))
    last = parts[-1]
    choice = {**_choice(last), "message": {"role": "assistant", "content": text},
              "finish_reason": finish_reason(last) or "stop"}
    if with_logprobs:
        choice["logprobs"] = {"content": tokens}
    else:
        choice.pop("logprobs", None)
    usage = _sum(parts, "usage")
    timings = _sum(parts, "timings")
    # The later steps continue the same answer on the same slot: their cached prompt is this answer's own
    # start, not a reuse of other work. Prompt tokens are the first request's and what later steps added.
    first_usage, first_timings = parts[0].get("usage"), parts[0].get("timings")
    later = sum(int((p.get("timings") or {}).get("prompt_n") or 0) for p in parts[1:])
    if isinstance(first_usage, dict) and "prompt_tokens" in first_usage:
        usage["prompt_tokens"] = int(first_usage["prompt_tokens"]) + later
        usage["total_tokens"] = usage["prompt_tokens"] + int(usage.get("completion_tokens") or 0)
        details = first_usage.get("prompt_tokens_details")
        if isinstance(details, dict):
            usage["prompt_tokens_details"] = dict(details)
    if isinstance(first_timings, dict) and "cache_n" in first_timings:
        timings["cache_n"] = first_timings["cache_n"]
    out = {**last, "choices": [choice], "usage": usage, "jurist_steps": steps}
    if timings:
        out["timings"] = timings
    return out


def closing(plan: Plan) -> str:
    """What ends the answer after a quoted verdict the model stopped at."""
    return '"}' if plan.quoted else ""


def valid(text: str) -> bool:
    """Whether the joined answer reads as one JSON object (else the engine asks in one step)."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
