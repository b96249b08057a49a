"""Pairwise judges: both orders asked, a verdict that changes with the order is a tie, consistency measured."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import jurist
from jurist.errors import ConfigError
from jurist.judges import PairwiseJudge, PairwisePreference, judge_from_dict, make_pairwise_judge
from tests.fakes.openai import FakeOpenAI

MODEL = "openai:/gpt-4o-mini"


def shown(body: dict[str, Any]) -> dict[str, str]:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {tag: text.strip() for tag, text in re.findall(r"<(\w+)>\n(.*?)\n</\1>", user, re.DOTALL)}


def prefers(word: str) -> Callable[[dict[str, Any]], str]:
    """A judge that picks whichever response mentions ``word``, wherever it is shown."""
    def respond(body: dict[str, Any]) -> str:
        s = shown(body)
        pick = "A" if word in s["outputs_a"] else "B" if word in s["outputs_b"] else "tie"
        return json.dumps({"rationale": f"the one with {word}", "result": pick})
    return respond


def always(letter: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: json.dumps({"rationale": "the first one, surely", "result": letter})


def test_a_consistent_preference_survives_the_swap(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = prefers("Paris")
    judge = PairwisePreference(model=MODEL)
    fb = judge(inputs={"question": "Capital of France?"}, outputs_a="Lyon.", outputs_b="Paris.")
    assert fb.error is None and fb.value == "B"
    assert fb.metadata["position_consistent"] is True
    assert fb.metadata["verdicts"] == {"order AB": "B", "order BA": "B"}
    assert fb.metadata["input_tokens"] == 2 * 42
    # Asked twice, with the responses in both places; the system prompt (the cached prefix) is the same.
    bodies = [r.body for r in fake_openai.requests]
    assert len(bodies) == 2
    assert {shown(b)["outputs_a"] for b in bodies} == {"Lyon.", "Paris."}
    assert bodies[0]["messages"][0] == bodies[1]["messages"][0]
    assert "(none given)" in shown(bodies[0])["expectations"]


def test_a_position_biased_answer_becomes_a_tie_or_is_kept_flagged(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = always("A")
    judge = PairwisePreference(model=MODEL)
    fb = judge(inputs="q", outputs_a="one", outputs_b="two")
    assert fb.value == "tie" and fb.metadata["position_consistent"] is False
    assert "changed with the order" in (fb.rationale or "")
    keep = PairwisePreference(model=MODEL, on_inconsistent="keep")
    fb = keep(inputs="q", outputs_a="one", outputs_b="two")
    assert fb.value == "A" and fb.metadata["position_consistent"] is False


def test_evaluate_reports_position_consistency(fake_openai: FakeOpenAI) -> None:
    rows = [{"inputs": {"q": f"q{i}"}, "outputs_a": f"Paris {i}", "outputs_b": f"Lyon {i}"} for i in range(3)]
    rows.append({"inputs": {"q": "q3"}, "outputs_a": "Nice", "outputs_b": "Lyon"})  # neither: the model says A

    def respond(body: dict[str, Any]) -> str:
        s = shown(body)
        if "Paris" in s["outputs_a"] + s["outputs_b"]:
            return prefers("Paris")(body)
        return always("A")(body)

    fake_openai.responder = respond
    result = jurist.evaluate(rows, [PairwisePreference(model=MODEL)])
    m = result.metrics
    assert m["pairwise_preference/position_consistency"] == 0.75
    assert [r.feedbacks[0].value for r in result.rows] == ["A", "A", "A", "tie"]


def test_an_error_in_either_order_is_the_judgment_s_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: "A" if "Lyon" in shown(body)["outputs_a"] else "unreadable"
    fb = PairwisePreference(model=MODEL)(inputs="q", outputs_a="Lyon", outputs_b="Paris")
    assert fb.value is None and fb.error is not None and fb.error.error_code == "PARSE_ERROR"
    assert "order" in (fb.error.error_message or "")


def test_make_pairwise_judge_checks_its_variables_and_serialises(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ConfigError, match="outputs_b"):
        make_pairwise_judge(name="p", instructions="Is {{ outputs_a }} good?", model=MODEL)
    with pytest.raises(ConfigError, match="unknown template variable"):
        make_pairwise_judge(name="p", instructions="{{ outputs_a }} {{ outputs_b }} {{ outputs }}", model=MODEL)
    judge = make_pairwise_judge(name="concise", model=MODEL, allow_ties=False, on_inconsistent="keep",
                                instructions="Which reply to {{ inputs }} is shorter: {{ outputs_a }} or {{ outputs_b }}?")
    again = judge_from_dict(json.loads(json.dumps(judge.to_dict())))
    assert isinstance(again, PairwiseJudge) and again.to_dict() == judge.to_dict()
    assert again.allow_ties is False and again.on_inconsistent == "keep"
    schema = again.response_schema().schema["properties"]["result"]
    assert schema.get("enum") == ["A", "B"]
    builtin = judge_from_dict(PairwisePreference(model=MODEL).to_dict())
    assert type(builtin) is PairwisePreference
    with pytest.raises(ConfigError, match="both orders"):
        PairwisePreference(model=MODEL, inference_params={"samples": 3})


def test_rows_without_the_second_response_fail_alone(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = prefers("Paris")
    rows = [{"inputs": "q", "outputs_a": "Paris", "outputs_b": "Lyon"}, {"inputs": "q", "outputs_a": "Paris"}]
    result = jurist.evaluate(rows, [PairwisePreference(model=MODEL)])
    assert result.rows[0].feedbacks[0].value == "A"
    err = result.rows[1].feedbacks[0].error
    assert err is not None and "outputs_b" in (err.error_message or "")


def test_pairwise_columns_are_refused_without_a_pairwise_judge() -> None:
    from jurist.judges import Correctness

    with pytest.raises(ConfigError, match="pairwise judge"):
        jurist.evaluate([{"inputs": "q", "outputs_a": "x", "outputs_b": "y"}], [Correctness(model=MODEL)])
