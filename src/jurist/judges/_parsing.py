"""Reading a verdict out of what a model wrote.

Models wrap JSON in code fences, put prose around it, or leave raw newlines inside strings. All of
that is accepted; anything that still is not an object with a valid ``result`` raises
:class:`JudgeParseError` — the verdict is never guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jurist.errors import JudgeParseError
from jurist.judges._values import validate

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw control characters inside strings

RESULT_KEYS = ("result", "value", "verdict", "score", "rating", "answer")
RATIONALE_KEYS = ("rationale", "reasoning", "reason", "explanation", "justification")


def _objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object that can be decoded from ``text``, outermost first."""
    found: list[dict[str, Any]] = []
    i = text.find("{")
    while i != -1:
        try:
            obj, end = _DECODER.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = text.find("{", end)
    return found


def extract_object(text: str) -> dict[str, Any]:
    """The JSON object a model answered with, wherever it sits in the text."""
    if not text or not text.strip():
        raise JudgeParseError("the model returned an empty answer", raw=text)
    candidates: list[dict[str, Any]] = []
    for block in _FENCE.findall(text):
        candidates.extend(_objects(block))
    candidates.extend(_objects(text))
    for obj in candidates:
        if any(k in obj for k in RESULT_KEYS):
            return obj
    if candidates:
        return candidates[0]
    raise JudgeParseError("no JSON object found in the model's answer", raw=text)


def parse_verdict(text: str, value_type: Any) -> tuple[Any, str | None]:
    """``(value, rationale)`` from a model's answer, the value checked against ``value_type``."""
    obj = extract_object(text)
    key = next((k for k in RESULT_KEYS if k in obj), None)
    if key is None:
        raise JudgeParseError(f"the JSON answer has no 'result' field (keys: {sorted(obj)})", raw=text)
    rationale = next((obj[k] for k in RATIONALE_KEYS if k in obj), None)
    if rationale is not None and not isinstance(rationale, str):
        rationale = json.dumps(rationale, ensure_ascii=False)
    try:
        value = validate(value_type, obj[key])
    except JudgeParseError as e:
        raise JudgeParseError(str(e), raw=text) from None
    return value, rationale
