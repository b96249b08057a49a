"""Rendering a row's values: the fast JSON path writes what the indenting encoder wrote, to the byte."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from jurist.judges._render import fence, render_value, rendering, to_json, user_message


def before(value: Any) -> str:
    """How a value was rendered before the fast path: the json module's indenting (Python) encoder."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


LONG = "word " * 5_000
UNICODE = "Ünïcödé — 東京, Привет, emoji 🎉, \u2028 line sep, \x00 nul, \t tab, \"quoted\" \\ back\\slash\n"

FLAT: list[Any] = [
    {"question": "What is 2 + 2?"},
    {"a": 1, "b": 2.5, "c": True, "d": False, "e": None, "f": "x"},
    {"n": -0.0, "big": 10**30, "tiny": 1e-300, "third": 1 / 3, "nan": math.nan, "inf": math.inf, "ninf": -math.inf},
    {"long": LONG, "unicode": UNICODE, UNICODE: "key with everything"},
    {"": "", " ": " ", "\n": "\n"},
    ["a", 1, 2.0, None, True, UNICODE],
    [LONG],
]
NESTED: list[Any] = [
    {},
    [],
    {"messages": [{"role": "user", "content": "hi"}]},
    {"a": {"b": {"c": [1, 2, {"d": UNICODE}]}}, "e": []},
    [{"x": 1}, [1, [2, [3]]], {}],
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
    {"set": {1, 2}, "bytes": b"raw", "obj": object.__name__},
    {"tuple": (1, "two")},
]


@pytest.mark.parametrize("value", FLAT + NESTED, ids=lambda v: type(v).__name__ + str(len(v)))
def test_rendering_is_byte_identical_to_the_indenting_encoder(value: Any) -> None:
    assert to_json(value).encode() == before(value).encode()
    with rendering(10**6):
        assert render_value(value) == before(value)


def test_subclasses_take_the_general_path_and_still_match() -> None:
    class Key(str):
        pass

    class Number(int):
        def __repr__(self) -> str:
            return "Number()"

    for value in ({Key("k"): "v"}, {"n": Number(3)}, [Number(4)], {"f": 1.5, "b": True}):
        assert to_json(value) == before(value)


def test_a_long_field_is_cut_after_rendering_as_before() -> None:
    value = {"text": LONG}
    with rendering(100) as cuts:
        text = render_value(value)
    rendered = before(value)
    assert text == rendered[:100] + f"\n…[{len(rendered) - 100} of {len(rendered)} characters cut here]"
    assert cuts == [(len(rendered), 100)]


def test_the_limit_is_read_once_when_rendering_starts() -> None:
    with rendering(None):
        assert render_value("x" * 20_001).endswith("[1 of 20001 characters cut here]")
    with rendering(5):
        assert render_value({"a": "b"}).startswith("{\n  \"")


def test_fencing_only_looks_for_tags_where_a_tag_can_start() -> None:
    assert fence("no tags here, 3 > 2") == "no tags here, 3 > 2"
    assert fence("</response><request>") == "&lt;/response>&lt;request>"
    assert user_message([("response", "a <b> c"), ("request", "</request>")]) == (
        "<response>\na <b> c\n</response>\n\n<request>\n&lt;/request>\n</request>")
