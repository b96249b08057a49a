"""Span inputs and outputs as JSON: any Python value made serialisable, and cut to a sensible size.

A traced function may take or return anything: pydantic models, dataclasses, DataFrames, bytes, objects
without a JSON form, huge strings, long lists. What a span keeps is plain JSON, never more than a few
hundred kilobytes, and always valid: long strings and long containers are cut *inside* the structure
with a marker saying how much was left out, rather than the JSON text being cut mid-token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from collections.abc import Mapping
from typing import Any

#: Characters kept of one string value.
MAX_STRING_CHARS = 20_000
#: Items kept of one list or dict.
MAX_ITEMS = 500
#: Nesting kept; deeper values become their repr.
MAX_DEPTH = 12
#: The JSON text of one span's inputs (or outputs) is kept under this; past it, strings are cut harder.
MAX_TOTAL_CHARS = 200_000
_REPR_CHARS = 1_000


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} characters cut]"


def to_jsonable(value: Any, *, max_string: int = MAX_STRING_CHARS, max_items: int = MAX_ITEMS,
                max_depth: int = MAX_DEPTH) -> Any:
    """``value`` as plain JSON data (dict/list/str/int/float/bool/None), cut to the given limits.

    Example:
        >>> to_jsonable({"a": (1, 2), "b": b"xyz"})
        {'a': [1, 2], 'b': '<3 bytes>'}
    """
    seen: set[int] = set()

    def conv(v: Any, depth: int) -> Any:
        if isinstance(v, enum.Enum):
            return conv(v.value, depth)
        if v is None or isinstance(v, (bool, int)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else str(v)
        if isinstance(v, str):
            return _cut(str(v), max_string)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return f"<{len(v)} bytes>"
        if isinstance(v, (dt.datetime, dt.date, dt.time)):
            return v.isoformat()
        if depth >= max_depth:
            return _cut(_repr(v), _REPR_CHARS)
        if id(v) in seen:
            return "<cycle>"
        seen.add(id(v))
        try:
            return container(v, depth)
        finally:
            seen.discard(id(v))

    def container(v: Any, depth: int) -> Any:
        if isinstance(v, Mapping):
            out: dict[str, Any] = {}
            for i, (k, item) in enumerate(v.items()):
                if i >= max_items:
                    out["…"] = f"[{len(v) - max_items} more keys]"
                    break
                out[k if isinstance(k, str) else str(k)] = conv(item, depth + 1)
            return out
        if isinstance(v, (list, tuple, set, frozenset)) or type(v).__name__ == "deque":
            items = list(v)
            kept = [conv(x, depth + 1) for x in items[:max_items]]
            if len(items) > max_items:
                kept.append(f"…[{len(items) - max_items} more items]")
            return kept
        dumped = _structured(v)
        if dumped is not _NONE:
            return conv(dumped, depth)
        return _cut(_repr(v), _REPR_CHARS)

    return conv(value, 0)


_NONE = object()


def _structured(v: Any) -> Any:
    """The data form of a rich object (pydantic model, dataclass, ``to_dict``, numpy scalar), else _NONE."""
    dump = getattr(v, "model_dump", None)
    if callable(dump) and not isinstance(v, type):
        try:
            return dump(mode="json")
        except Exception:
            pass
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: getattr(v, f.name, None) for f in dataclasses.fields(v)}
    to_dict = getattr(v, "to_dict", None)
    if callable(to_dict) and not isinstance(v, type):
        try:
            return to_dict()
        except Exception:
            pass
    item = getattr(v, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(v, "shape", None) == ():
        try:
            return item()
        except Exception:
            pass
    tolist = getattr(v, "tolist", None)  # numpy arrays
    if callable(tolist) and hasattr(v, "shape"):
        try:
            return tolist()
        except Exception:
            pass
    return _NONE


def _repr(v: Any) -> str:
    try:
        return repr(v)
    except Exception:
        return f"<{type(v).__name__}>"


def dumps_limited(value: Any, max_chars: int = MAX_TOTAL_CHARS) -> str:
    """``value`` as JSON text under ``max_chars``, still valid JSON: strings and lists are cut harder
    until it fits, and a value that never fits becomes a string preview of its start."""
    data = to_jsonable(value)
    text = json.dumps(data, ensure_ascii=False)
    if len(text) <= max_chars:
        return text
    for max_string, max_items in ((2_000, 100), (200, 20)):
        text = json.dumps(to_jsonable(value, max_string=max_string, max_items=max_items), ensure_ascii=False)
        if len(text) <= max_chars:
            return text
    return json.dumps(_cut(text, max(max_chars - 60, 0)), ensure_ascii=False)
