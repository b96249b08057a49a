from typing import Literal

import pytest

from jurist.errors import JudgeParseError
from jurist.judges._parsing import parse_verdict
from jurist.judges._values import validate

YN = Literal["yes", "no"]


@pytest.mark.parametrize("text", [
    '{"rationale": "fine", "result": "yes"}',
    '```json\n{"rationale": "fine", "result": "yes"}\n```',
    'Here is my verdict:\n{"rationale": "fine", "result": "yes"}\nThanks!',
    '{"rationale": "line one\nline two", "result": "yes"}',          # raw newline inside a string
    '{"reasoning": "fine", "result": "Yes"}',                          # case of a Literal option
    'I think {not json} but then {"rationale": "fine", "result": "yes"}',
])
def test_accepts_what_models_write(text: str) -> None:
    value, rationale = parse_verdict(text, YN)
    assert value == "yes" and rationale and rationale.startswith(("fine", "line one"))


@pytest.mark.parametrize("text,match", [
    ("", "empty"),
    ("The answer is yes.", "no JSON object"),
    ('{"rationale": "r", "result": "maybe"}', "exactly one of"),
    ('{"rationale": "r"}', "no 'result'"),
    ('{"rationale": "r", "result": "ye', "no JSON object"),             # truncated
])
def test_rejects_without_guessing(text: str, match: str) -> None:
    with pytest.raises(JudgeParseError, match=match) as info:
        parse_verdict(text, YN)
    assert info.value.raw == text


@pytest.mark.parametrize("tp,value,ok", [
    (bool, True, True), (bool, "true", False), (bool, 1, False),
    (int, 3, True), (int, 3.0, False), (int, True, False), (int, "3", False),
    (float, 3, True), (float, 0.5, True), (float, "0.5", False),
    (str, "x", True), (str, 1, False),
    (list[int], [1, 2], True), (list[int], [1, "2"], False),
    (dict[str, bool], {"a": True}, True), (dict[str, bool], {"a": "yes"}, False),
    (Literal[1, 2, 3], 2, True), (Literal[1, 2, 3], 4, False), (Literal[1, 2, 3], "2", False),
])
def test_values_are_never_coerced(tp: object, value: object, ok: bool) -> None:
    if ok:
        assert validate(tp, value) == value
    else:
        with pytest.raises(JudgeParseError):
            validate(tp, value)
