"""``samples=n``: several answers at a temperature above 0, one majority verdict, its vote share as confidence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.judges import Correctness, judge_from_dict, make_judge
from jurist.judges._reduce import cohen_kappa, fleiss_kappa, reduce_values, vote
from tests.fakes.openai import FakeOpenAI

MODEL = "openai:/gpt-4o-mini"
ROW = {"inputs": {"question": "Capital of France?"}, "outputs": "Paris",
       "expectations": {"expected_response": "Paris"}}


def by_seed(answers: dict[int, Any]) -> Any:
    def respond(body: dict[str, Any]) -> str:
        value = answers[body["seed"]]
        return json.dumps({"rationale": f"seed {body['seed']}", "result": value})
    return respond


def test_three_samples_vote_and_report_the_share(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = by_seed({0: "yes", 1: "no", 2: "yes"})
    judge = Correctness(model=MODEL, inference_params={"samples": 3})
    fb = judge(**ROW)
    assert fb.error is None and fb.value == "yes" and fb.rationale == "seed 0"
    assert fb.metadata["confidence"] == pytest.approx(2 / 3, abs=1e-3)
    assert fb.metadata["confidence_method"] == "vote"
    assert fb.metadata["votes"] == {"yes": 2, "no": 1} and fb.metadata["samples"] == 3
    assert fb.metadata["input_tokens"] == 3 * 42 and fb.metadata["output_tokens"] == 3 * 17
    bodies = [r.body for r in fake_openai.requests]
    assert sorted(b["seed"] for b in bodies) == [0, 1, 2]
    assert {b["temperature"] for b in bodies} == {0.7}
    assert all("samples" not in b for b in bodies)  # the judge's own parameter never reaches the model


def test_a_set_temperature_is_kept_and_a_failed_sample_does_not_vote(fake_openai: FakeOpenAI) -> None:
    def respond(body: dict[str, Any]) -> str:
        return "not json at all" if body["seed"] == 11 else json.dumps({"rationale": "r", "result": "no"})
    fake_openai.responder = respond
    judge = Correctness(model=MODEL, inference_params={"samples": 2, "temperature": 1.0, "seed": 10})
    fb = judge(**ROW)
    assert fb.value == "no" and fb.metadata["confidence"] == 1.0 and fb.metadata["sample_errors"] == 1
    assert {r.body["temperature"] for r in fake_openai.requests} == {1.0}


def test_all_samples_failing_is_an_error_not_a_verdict(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: "no verdict here"
    fb = Correctness(model=MODEL, inference_params={"samples": 2})(**ROW)
    assert fb.value is None and fb.error is not None and fb.error.error_code == "PARSE_ERROR"


def test_samples_survive_serialisation_and_bad_counts_are_refused() -> None:
    judge = make_judge(name="polite", instructions="Is {{ outputs }} polite?", feedback_value_type=bool,
                       model=MODEL, inference_params={"samples": 5})
    again = judge_from_dict(judge.to_dict())
    assert again.samples == 5
    for bad in (0, -1, 2.5, True, 100):
        with pytest.raises(ConfigError, match="samples"):
            Correctness(model=MODEL, inference_params={"samples": bad})


def test_vote_ties_go_to_the_earliest_answer() -> None:
    src = AssessmentSource(AssessmentSourceType.LLM_JUDGE, MODEL)
    fbs = [Feedback(name="x", value=v, metadata={"input_tokens": 1, "output_tokens": 1, "latency_ms": 1.0,
                                                 "cost_usd": None}) for v in ("no", "yes", "yes", "no")]
    fb = vote("x", src, fbs)
    assert fb.value == "no" and fb.metadata["confidence"] == 0.5
    assert fb.metadata["cost_usd"] is None and fb.metadata["input_tokens"] == 4


def test_reducers() -> None:
    fbs = [Feedback(name="j", value=v) for v in (4, 2, 3)]
    assert reduce_values("mean", fbs) == (3.0, None)
    assert reduce_values("median", fbs) == (3.0, None)
    assert reduce_values("min", fbs) == (2.0, None)
    yn = [Feedback(name="j", value=v) for v in ("yes", "no", "yes")]
    assert reduce_values("majority", yn) == ("yes", None)
    assert reduce_values("all", yn) == ("no", None)
    assert reduce_values("any", yn) == ("yes", None)
    assert reduce_values("mean", yn) == (pytest.approx(2 / 3), None)
    value, why = reduce_values("majority", yn[:2])
    assert value is None and why is not None and "split evenly" in why
    value, why = reduce_values("all", fbs)
    assert value is None and why is not None and "yes/no" in why


def test_kappa() -> None:
    # Two raters who always agree, across two categories: κ = 1; who never agree: κ < 0.
    assert cohen_kappa(["y", "n", "y", "n"], ["y", "n", "y", "n"]) == 1.0
    assert cohen_kappa(["y", "n", "y", "n"], ["n", "y", "n", "y"]) == -1.0
    assert cohen_kappa(["y", "y"], ["y", "y"]) is None  # one category only: undefined
    # Fleiss' worked example (Wikipedia's 10 items × 14 raters, 5 categories) gives κ ≈ 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    items = [[c for c, n in enumerate(counts) for _ in range(n)] for counts in table]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=1e-3)
    assert fleiss_kappa([["a", "a"]]) is None
