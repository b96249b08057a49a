"""Juries: jurors judge side by side, one reduce step, a failing juror costs its vote, κ over the run."""

from __future__ import annotations

import json
from typing import Any

import pytest

import jurist
from jurist.errors import ConfigError
from jurist.judges import Jury, judge_from_dict, make_judge
from jurist.scorers import scorer
from tests.fakes._server import Responder
from tests.fakes.openai import FakeOpenAI

MODEL = "openai:/gpt-4o-mini"


def juror(tag: str, value_type: Any = bool) -> Any:
    return make_judge(name=f"juror_{tag}", instructions=f"[{tag}] Is {{{{ outputs }}}} right?",
                      feedback_value_type=value_type, model=MODEL)


def votes(table: dict[str, Any]) -> Responder:
    """Each juror (told by its tag in the system prompt) answers from ``table[tag]``: a value, or a function
    of the judged text."""
    def respond(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        tag = system[1:system.index("]")]
        user = body["messages"][1]["content"]
        answer = table[tag]
        value = answer(user) if callable(answer) else answer
        if value == "garbage":
            return "not json"
        return json.dumps({"rationale": f"{tag} thinks so", "result": value})
    return respond


def test_majority_verdict_with_each_juror_named(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = votes({"a": True, "b": True, "c": False})
    jury = Jury([juror("a"), juror("b"), juror("c")], name="panel")
    fb = jury(outputs="Paris")
    assert fb.name == "panel" and fb.value is True and fb.error is None
    assert [j["value"] for j in fb.metadata["jurors"]] == [True, True, False]
    assert fb.metadata["agreement"] == pytest.approx(2 / 3, abs=1e-3)
    assert fb.metadata["input_tokens"] == 3 * 42
    assert "2 of 3 jurors" in (fb.rationale or "") and "a thinks so" in (fb.rationale or "")


def test_named_reducers(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = votes({"a": 3, "b": 5, "c": 4})
    jurors = [juror("a", int), juror("b", int), juror("c", int)]
    assert Jury(jurors, "mean")(outputs="x").value == 4.0
    assert Jury(jurors, "min")(outputs="x").value == 3.0
    assert Jury(jurors, "max")(outputs="x").value == 5.0
    assert Jury(jurors, "median")(outputs="x").value == 4.0
    fake_openai.responder = votes({"a": True, "b": False, "c": True})
    yn = [juror("a"), juror("b"), juror("c")]
    assert Jury(yn, "all")(outputs="x").value is False
    assert Jury(yn, "any")(outputs="x").value is True
    pick = Jury(yn, lambda fbs: sum(bool(f.value) for f in fbs))
    assert pick(outputs="x").value == 2


def test_a_failing_juror_does_not_fail_the_jury_until_the_quorum_is_lost(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = votes({"a": True, "b": "garbage", "c": True})
    fb = Jury([juror("a"), juror("b"), juror("c")])(outputs="x")
    assert fb.value is True and fb.metadata["jurors"][1]["error"]
    fake_openai.responder = votes({"a": True, "b": "garbage", "c": "garbage"})
    fb = Jury([juror("a"), juror("b"), juror("c")])(outputs="y")  # not the cached answers to "x"
    assert fb.value is None and fb.error is not None and fb.error.error_code == "QUORUM_LOST"
    assert "1 of 3 jurors answered" in (fb.error.error_message or "")
    # With a quorum of one, a single answer is enough.
    assert Jury([juror("a"), juror("b"), juror("c")], quorum=1)(outputs="y").value is True


def test_an_even_split_is_an_error_not_a_coin_toss(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = votes({"a": True, "b": False})
    fb = Jury([juror("a"), juror("b")])(outputs="x")
    assert fb.value is None and fb.error is not None and "split evenly" in (fb.error.error_message or "")


def test_evaluate_reports_agreement_kappa(fake_openai: FakeOpenAI) -> None:
    # a and b agree on every row; c says the opposite of them on two rows out of four.
    flips = {"r0": True, "r1": False, "r2": True, "r3": False}
    c_flips = {"r0": False, "r1": True, "r2": True, "r3": False}
    fake_openai.responder = votes({
        "a": lambda user: next(v for k, v in flips.items() if k in user),
        "b": lambda user: next(v for k, v in flips.items() if k in user),
        "c": lambda user: next(v for k, v in c_flips.items() if k in user),
    })
    rows = [{"outputs": k} for k in flips]
    result = jurist.evaluate(rows, [Jury([juror("a"), juror("b"), juror("c")], name="panel")])
    m = result.metrics
    assert [r.feedbacks[0].value for r in result.rows] == [True, False, True, False]
    assert m["panel/pass_rate"] == 0.5
    assert m["panel/agreement"] == pytest.approx((2 / 3 + 2 / 3 + 1 + 1) / 4, abs=1e-3)
    # Fleiss' κ of the three raters over the four rows: (P̄ − P̄e) / (1 − P̄e) = (2/3 − 1/2) / (1/2) = 1/3.
    assert m["panel/agreement_kappa"] == pytest.approx(1 / 3, abs=1e-3)


def test_juries_are_data(fake_openai: FakeOpenAI) -> None:
    jury = Jury([juror("a"), juror("b"), juror("c")], "all", name="strict", quorum=3)
    data = json.loads(json.dumps(jury.to_dict()))
    again = judge_from_dict(data)
    assert isinstance(again, Jury) and again.to_dict() == data
    assert [j.name for j in again.jurors] == ["juror_a", "juror_b", "juror_c"] and again.quorum == 3
    with pytest.raises(ConfigError, match="function"):
        Jury([juror("a"), juror("b")], lambda fbs: 1).to_dict()


def test_bad_juries_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least two"):
        Jury([juror("a")])
    with pytest.raises(ConfigError, match="share the name"):
        Jury([juror("a"), juror("a")])
    with pytest.raises(ConfigError, match="reduce must be one of"):
        Jury([juror("a"), juror("b")], "vote")
    with pytest.raises(ConfigError, match="quorum"):
        Jury([juror("a"), juror("b")], quorum=3)
    from jurist.judges import RetrievalRelevance

    with pytest.raises(ConfigError, match="per span"):
        Jury([RetrievalRelevance(model=MODEL), juror("b")])


def test_code_scorers_sit_on_juries_too(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = votes({"a": True})

    @scorer
    def short(outputs: str) -> bool:
        return len(outputs) < 10

    fb = Jury([juror("a"), short], "all")(outputs="Paris")
    assert fb.value is True and fb.metadata["jurors"][1] == {"name": "short", "value": True}
