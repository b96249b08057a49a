"""A verdict's confidence read from token log-probabilities."""

from __future__ import annotations

import math
from typing import Literal

from jurist.judges._confidence import verdict_confidence
from jurist.judges._values import YesNo
from jurist.models import TokenLogprob
from tests._helpers import some


def _answer(pieces: list[tuple[str, float, list[tuple[str, float]]]]) -> list[TokenLogprob]:
    return [TokenLogprob(t, lp, tuple(top)) for t, lp, top in pieces]


def _lp(p: float) -> float:
    return math.log(p)


def test_yes_no_is_renormalised_over_the_allowed_rivals() -> None:
    toks = _answer([
        ('{"', _lp(0.9), []), ("rationale", _lp(0.9), []), ('":', _lp(0.9), []), (' "It says yes', _lp(0.5), []),
        ('",', _lp(0.9), []), (' "', _lp(0.9), []), ("result", _lp(0.9), []), ('":', _lp(0.9), []),
        (' "', _lp(0.9), []),
        # raw probabilities before the grammar: "true" is likelier, but only yes/no are allowed
        ("yes", _lp(0.3), [("true", _lp(0.5)), ("yes", _lp(0.3)), ("no", _lp(0.1))]),
        ('"}', _lp(0.9), []),
    ])
    c = verdict_confidence(toks, YesNo)
    assert c is not None
    assert abs(c["confidence"] - 0.75) < 1e-3 and c["confidence_rivals"] == 1


def test_the_result_token_may_carry_its_quote_and_the_rationale_may_mention_result() -> None:
    toks = _answer([
        ('{"rationale": "the \\"result\\": key', 0.0, []), ('", "result": ', 0.0, []),
        ('"no', _lp(0.6), [('"no', _lp(0.6)), ('"yes', _lp(0.2)), ("maybe", _lp(0.1))]), ('"}', 0.0, []),
    ])
    c = verdict_confidence(toks, YesNo)
    assert c is not None and abs(c["confidence"] - 0.75) < 1e-3


def test_booleans_literals_and_numbers() -> None:
    b = _answer([('{"result": ', 0.0, []), ("false", _lp(0.8), [("false", _lp(0.8)), ("true", _lp(0.2))]), ("}", 0.0, [])])
    assert some(verdict_confidence(b, bool))["confidence"] == 0.8
    lit = _answer([('{"result": "', 0.0, []), ("hi", _lp(0.4), [("hi", _lp(0.4)), ("lo", _lp(0.4)), ("med", _lp(0.2))])])
    assert some(verdict_confidence(lit, Literal["high", "low", "medium"]))["confidence"] == 0.4
    n = _answer([('{"result": ', 0.0, []), ("4", _lp(0.6), [("4", _lp(0.6)), ("5", _lp(0.2)), ("}", _lp(0.1))])])
    assert some(verdict_confidence(n, int))["confidence"] == 0.75


def test_no_logprobs_or_no_verdict_token_gives_none() -> None:
    assert verdict_confidence(None, YesNo) is None
    assert verdict_confidence(_answer([('{"rationale": "x"}', 0.0, [])]), YesNo) is None
    assert verdict_confidence(_answer([('{"result": ', 0.0, []), ('"maybe"', -0.1, [])]), YesNo) is None
    assert verdict_confidence(_answer([('{"result": ', 0.0, []), ("[1]", -0.1, [])]), list[int]) is None
