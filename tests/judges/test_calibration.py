"""Calibration: a judge model biased towards "yes" whose token probabilities still rank the items (a bad
answer's "yes" is less likely than a good one's) learns, from labelled examples, where its threshold
should be; the fitted offsets travel with the judge's data."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

from jurist.align import (
    AlignmentError,
    CalibrationOptimizer,
    InstructionOptimizer,
    fit_offsets,
    labelled_examples,
)
from jurist.align._calibration import MIN_CV_GAIN, balanced_accuracy, predict
from jurist.cli import app
from jurist.errors import ConfigError
from jurist.judges import PairwisePreference, judge_from_dict, make_judge
from jurist.judges._base import CALIBRATION_NOT_APPLIED
from jurist.judges._confidence import calibrated_verdict, option_values, verdict_confidence
from jurist.models import TokenLogprob
from tests._helpers import some
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

JUDGE = "openai:/judge-mini"
WIDE = {"COLUMNS": "220"}


def rows(n: int = 50) -> list[dict[str, Any]]:
    """Every other answer is bad, and people say so; each item's "yes" probability is in its text."""
    out = []
    for i in range(n):
        bad = i % 2 == 1
        # The model says yes to everything, but less surely to the bad answers: 0.55-0.75 against 0.8-0.97.
        p_yes = (0.55 + 0.2 * (i % 5) / 4) if bad else (0.8 + 0.17 * (i % 7) / 6)
        out.append({"inputs": {"question": f"Question {i} about lake {i * 3}?"},
                    "outputs": f"Answer {i} [p={p_yes:.4f}] {'wrong' if bad else 'right'}.",
                    "label": "no" if bad else "yes"})
    return out


def _p_yes(body: dict[str, Any]) -> float:
    user = body["messages"][-1]["content"]
    return float(user.split("[p=", 1)[1].split("]", 1)[0])


def biased_yes(fake: FakeOpenAI, yes: Any = "yes", no: Any = "no", *, says: Any = None) -> None:
    """Always answer ``says`` (default ``yes``); the verdict token's log-probabilities rank the items."""
    token_yes, token_no = json.dumps(yes).strip('"'), json.dumps(no).strip('"')

    def answer(body: dict[str, Any]) -> str:
        said = says(body) if callable(says) else yes
        return json.dumps({"rationale": "Looked at it.", "result": said})

    fake.responder = answer
    fake.verdict_logprobs = lambda body: {token_yes: math.log(_p_yes(body)), token_no: math.log(1 - _p_yes(body)),
                                          "maybe": math.log(0.001)}


def quality(**params: Any) -> Any:
    return make_judge(name="quality", instructions="Is {{ outputs }} a good answer to {{ inputs }}?",
                      feedback_value_type=Literal["yes", "no"], model=JUDGE, inference_params=params or None)


# -- the optimizer ---------------------------------------------------------------------------------
def test_calibration_raises_held_out_agreement_of_a_biased_judge(fake_openai: FakeOpenAI) -> None:
    biased_yes(fake_openai)
    opt = CalibrationOptimizer()
    aligned = quality().align(rows(), optimizer=opt)
    report = aligned.alignment
    assert report.optimizer == "CalibrationOptimizer"
    assert report.before.balanced_accuracy.value == 0.5
    assert report.after.balanced_accuracy.value == 1.0 and some(report.gain) == 0.5
    calibration = aligned.inference_params["calibration"]
    assert calibration["offsets"]["yes"] < 0 < calibration["offsets"]["no"]
    assert aligned.inference_params["logprobs"] is True and aligned.inference_params["top_logprobs"] == 5
    fit = some(opt.fit)
    assert fit.applied and fit.train_balanced_accuracy_before == 0.5 and fit.train_balanced_accuracy_after == 1.0
    assert fit.scored == fit.examples == report.train
    # One pass over the training split, and no optimizer model.
    usage = opt.usage()
    assert usage["optimizer_calls"] == 0 and usage["judge_calls"] == report.train
    assert {r.body["model"] for r in fake_openai.requests} == {"judge-mini"}
    asked = [r.body for r in fake_openai.requests if r.body.get("logprobs")]
    assert asked and all(b["top_logprobs"] == 5 and "calibration" not in b for b in asked)

    bad = aligned(inputs={"question": "Question 1 about lake 3?"}, outputs="Answer 1 [p=0.6000] wrong.")
    assert bad.value == "no" and bad.metadata["uncalibrated_value"] == "yes"
    assert bad.metadata["calibration"] == "applied" and bad.metadata["confidence"] > 0.5
    assert set(bad.metadata["verdict_probabilities"]) == {"yes", "no"}
    good = aligned(inputs={"question": "Question 0 about lake 0?"}, outputs="Answer 0 [p=0.9500] right.")
    assert good.value == "yes" and good.metadata["uncalibrated_value"] == "yes"


def test_a_bool_judge_is_calibrated_on_true_and_false(fake_openai: FakeOpenAI) -> None:
    biased_yes(fake_openai, True, False)
    judge = make_judge(name="ok", instructions="Is {{ outputs }} right for {{ inputs }}?", feedback_value_type=bool,
                       model=JUDGE)
    data = [{**r, "label": r["label"] == "yes"} for r in rows()]
    aligned = judge.align(data, optimizer=CalibrationOptimizer())
    assert set(aligned.inference_params["calibration"]["offsets"]) == {"true", "false"}
    assert aligned.alignment.after.balanced_accuracy.value == 1.0
    fb = aligned(inputs={"question": "q"}, outputs="Answer [p=0.6000] wrong.")
    assert fb.value is False and fb.metadata["uncalibrated_value"] is True


def test_an_answer_without_logprobs_keeps_the_models_verdict(fake_openai: FakeOpenAI) -> None:
    biased_yes(fake_openai)
    calibrated = quality(calibration={"offsets": {"yes": -3.0, "no": 3.0}})  # never asks for logprobs
    fb = calibrated(inputs={"question": "q"}, outputs="Answer [p=0.9000] right.")
    assert fb.value == "yes" and fb.metadata["calibration"] == CALIBRATION_NOT_APPLIED
    assert "uncalibrated_value" not in fb.metadata
    asked = quality(calibration={"offsets": {"yes": -3.0, "no": 3.0}}, logprobs=True, top_logprobs=3)
    fb = asked(inputs={"question": "q"}, outputs="Answer [p=0.9000] right.")
    # log 0.9 - 3 < log 0.1 + 3: the offsets win, and the confidence is the calibrated share.
    assert fb.value == "no" and fb.metadata["calibration"] == "applied"
    assert fb.metadata["confidence"] == round(1 / (1 + 9 * math.exp(-6)), 4)


def test_pairwise_judges_are_refused(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(AlignmentError, match="cannot be calibrated yet"):
        CalibrationOptimizer().align(PairwisePreference(model=JUDGE), [])


def test_a_model_without_logprobs_is_an_error_naming_the_providers_that_have_them(
        fake_anthropic: FakeAnthropic) -> None:
    judge = make_judge(name="quality", instructions="Is {{ outputs }} a good answer to {{ inputs }}?",
                       feedback_value_type=Literal["yes", "no"], model="anthropic:/claude-haiku")
    examples = labelled_examples(rows(12), "quality")
    with pytest.raises(AlignmentError, match=r"log-probabilities .*local, openai, azure, together, vllm"):
        CalibrationOptimizer().align(judge, examples)


def test_too_few_scored_examples_and_a_single_class_are_errors(fake_openai: FakeOpenAI) -> None:
    biased_yes(fake_openai)
    with pytest.raises(AlignmentError, match="at least 8"):
        CalibrationOptimizer().align(quality(), labelled_examples(rows(7), "quality"))
    same = labelled_examples([r for r in rows(30) if r["label"] == "yes"], "quality")
    with pytest.raises(AlignmentError, match="at least two"):
        CalibrationOptimizer().align(quality(), same)


def test_no_gain_on_the_training_split_returns_the_judge_uncalibrated(fake_openai: FakeOpenAI) -> None:
    # The model already says no where its "yes" is under one half: the threshold is right as it is.
    biased_yes(fake_openai, says=lambda body: "yes" if _p_yes(body) >= 0.5 else "no")
    data = [{**r, "outputs": r["outputs"].replace("[p=0.", "[p=0.0") if r["label"] == "no" else r["outputs"]}
            for r in rows()]
    opt = CalibrationOptimizer()
    aligned = quality().align(data, optimizer=opt)
    assert "calibration" not in aligned.inference_params
    assert not some(opt.fit).applied and some(opt.fit).train_balanced_accuracy_before == 1.0


def test_a_threshold_that_only_fits_the_training_noise_is_not_kept(fake_openai: FakeOpenAI) -> None:
    # The "yes" probabilities carry nothing about the labels (a fixed pseudo-random order): a cut fitted on
    # the training split gains there, and loses on the folds it was not fitted on.
    import random

    rng = random.Random(7)
    data = [{**r, "outputs": r["outputs"].split(" [p=")[0] + f" [p={rng.uniform(0.55, 0.95):.4f}]."} for r in rows(60)]
    biased_yes(fake_openai)
    opt = CalibrationOptimizer()
    aligned = quality().align(data, optimizer=opt)
    fit = some(opt.fit)
    assert fit.train_balanced_accuracy_after > fit.train_balanced_accuracy_before  # the noise is fitted ...
    assert some(fit.cross_validated_balanced_accuracy) < fit.train_balanced_accuracy_before + MIN_CV_GAIN  # ... not kept
    assert not fit.applied and "calibration" not in aligned.inference_params
    assert fit.to_dict()["cross_validated_balanced_accuracy"] == round(some(fit.cross_validated_balanced_accuracy), 4)


def test_cross_validation_keeps_a_threshold_that_carries_over() -> None:
    from jurist.align._calibration import cross_validated

    scores = [{"yes": 0.97 - i / 100, "no": 0.03 + i / 100} for i in range(30)]
    labels = ["yes"] * 15 + ["no"] * 15  # the model says yes to all; its order is right
    assert balanced_accuracy(predict(scores, {"yes": 0.0, "no": 0.0}), labels) == 0.5
    assert cross_validated(scores, labels) > 0.9


def test_after_runs_another_optimizer_first_and_usage_adds_up(fake_openai: FakeOpenAI) -> None:
    def answer(body: dict[str, Any]) -> str:
        if "improve an LLM judge" in body["messages"][0]["content"]:
            return json.dumps({"rules": ["Read the whole answer."], "demonstrations": []})
        return json.dumps({"rationale": "ok", "result": "yes"})

    biased_yes(fake_openai)
    fake_openai.responder = answer
    opt = CalibrationOptimizer(after=InstructionOptimizer(max_rounds=1, batch_size=4))
    aligned = quality().align(rows(), optimizer=opt)
    assert aligned.alignment.optimizer == "InstructionOptimizer+CalibrationOptimizer"
    assert aligned.alignment.after.balanced_accuracy.value == 1.0
    usage = opt.usage()
    assert usage["optimizer_calls"] == 1 and usage["judge_calls"] > aligned.alignment.train


def test_a_memory_judge_keeps_its_memory_when_calibrated(fake_openai: FakeOpenAI) -> None:
    from jurist.align import MemoryJudge
    from jurist.align._memory import memory_item

    biased_yes(fake_openai)
    examples = labelled_examples(rows(), "quality")
    base = quality()
    remembered = MemoryJudge(base=base, memory=[memory_item(base, e) for e in examples[:3]], retrieval_k=0)
    aligned = CalibrationOptimizer().align(remembered, examples)
    assert isinstance(aligned, MemoryJudge) and len(aligned.memory) == 3
    assert "calibration" in aligned.inference_params and "calibration" in aligned.base.inference_params
    again = judge_from_dict(json.loads(json.dumps(aligned.to_dict())))
    assert isinstance(again, MemoryJudge) and again.inference_params["calibration"] == aligned.inference_params[
        "calibration"]


# -- serialisation and configuration --------------------------------------------------------------
def test_a_calibrated_judge_round_trips_as_data_and_through_registration(fake_openai: FakeOpenAI) -> None:
    from jurist.genai.scorers import get_scorer

    biased_yes(fake_openai)
    aligned = quality().align(rows(), optimizer=CalibrationOptimizer())
    data = json.loads(json.dumps(aligned.to_dict()))
    again = judge_from_dict(data)
    assert again.inference_params == aligned.inference_params
    aligned.register(name="calibrated_quality")
    stored = get_scorer(name="calibrated_quality")
    assert stored.inference_params["calibration"] == aligned.inference_params["calibration"]
    fb = stored(inputs={"question": "q"}, outputs="Answer [p=0.6000] wrong.")
    assert fb.value == "no" and fb.metadata["calibration"] == "applied"


def test_calibration_settings_are_checked_when_the_judge_is_made() -> None:
    with pytest.raises(ConfigError, match="at least two"):
        make_judge(name="n", instructions="Score {{ outputs }}", feedback_value_type=int, model=JUDGE,
                   inference_params={"calibration": {"offsets": {"1": 0.5}}})
    with pytest.raises(ConfigError, match="mapping with 'offsets'"):
        quality(calibration={"yes": 0.5})
    with pytest.raises(ConfigError, match="mapping with 'offsets'"):
        quality(calibration=[0.5])
    with pytest.raises(ConfigError, match=r"'maybe'.*takes yes, no"):
        quality(calibration={"offsets": {"maybe": 0.5}})
    with pytest.raises(ConfigError, match="finite number"):
        quality(calibration={"offsets": {"yes": "high"}})
    with pytest.raises(ConfigError, match="finite number"):
        quality(calibration={"offsets": {"yes": math.inf}})
    judge = make_judge(name="b", instructions="Is {{ outputs }} ok?", feedback_value_type=bool, model=JUDGE,
                       inference_params={"calibration": {"offsets": {True: 0.5, "False": -0.5}}})
    assert judge.calibration_offsets == {"true": 0.5, "false": -0.5}
    assert "calibration" not in judge.request(judge.units(outputs="x")[0]).params


# -- the pieces ----------------------------------------------------------------------------------
def _scores(log_odds: list[float]) -> list[dict[str, float]]:
    return [{"yes": 1 / (1 + math.exp(-d)), "no": 1 / (1 + math.exp(d))} for d in log_odds]


def test_fit_offsets_two_verdicts_cuts_midway_between_neighbours() -> None:
    scores = _scores([1.0, 2.0, 3.0, 4.0])
    offsets = fit_offsets(scores, ["no", "no", "yes", "yes"])
    assert offsets == {"yes": -1.25, "no": 1.25}  # the cut at 2.5, between 2 and 3
    assert predict(scores, offsets) == ["no", "no", "yes", "yes"]


def test_fit_offsets_prefers_the_tied_cut_nearest_zero_and_stays_at_zero_without_a_gain() -> None:
    # Cuts at 1.5 and at 3.5 are equally good (3 of 4 right, balanced): 1.5 is nearer zero.
    assert fit_offsets(_scores([1.0, 2.0, 3.0, 4.0]), ["no", "yes", "no", "yes"]) == {"yes": -0.75, "no": 0.75}
    assert fit_offsets(_scores([-4.0, -3.0, -2.0, -1.0]), ["no", "yes", "no", "yes"]) == {"yes": 0.75, "no": -0.75}
    # Already right at zero: nothing moves; one class only: nothing to fit.
    assert fit_offsets(_scores([-2.0, -1.0, 1.0, 2.0]), ["no", "no", "yes", "yes"]) == {"yes": 0.0, "no": 0.0}
    assert fit_offsets(_scores([1.0, 2.0]), ["yes", "yes"]) == {"yes": 0.0, "no": 0.0}
    bools = [{"true": s["yes"], "false": s["no"]} for s in _scores([1.0, 2.0, 3.0, 4.0])]
    assert fit_offsets(bools, [False, False, True, True]) == {"true": -1.25, "false": 1.25}


def test_fit_offsets_three_verdicts_by_coordinate_passes() -> None:
    scores = [{"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 0.45, "b": 0.35, "c": 0.2}, {"a": 0.4, "b": 0.2, "c": 0.4},
              {"a": 0.6, "b": 0.2, "c": 0.2}, {"a": 0.5, "b": 0.1, "c": 0.4}]
    labels = ["a", "b", "c", "a", "c"]
    before = balanced_accuracy(predict(scores, {}), labels)
    offsets = fit_offsets(scores, labels)
    assert before < 1.0 == balanced_accuracy(predict(scores, offsets), labels)
    assert abs(sum(offsets.values())) < 1e-3
    with pytest.raises(ConfigError, match="not one of the verdict options"):
        fit_offsets(scores, ["a", "b", "c", "a", "d"])


def test_verdict_probabilities_floor_unseen_options_and_calibrated_verdict() -> None:
    toks = [TokenLogprob('{"result": "', 0.0, ()),
            TokenLogprob("yes", math.log(0.6), (("yes", math.log(0.6)), ("Yes", math.log(0.3)), ("x", math.log(0.05)))),
            TokenLogprob('"}', 0.0, ())]
    conf = some(verdict_confidence(toks, Literal["yes", "no", "unsure"]))
    probs = conf["verdict_probabilities"]
    # "no" and "unsure" were unseen: each counted at 0.05, the least likely top-k token.
    assert probs == pytest.approx({"yes": 0.9 / 1.0, "no": 0.05, "unsure": 0.05})
    no_top = [TokenLogprob('{"result": "', 0.0, ()), TokenLogprob("yes", -0.1, ())]
    assert "verdict_probabilities" not in some(verdict_confidence(no_top, Literal["yes", "no"]))
    assert option_values(bool) == {"true": True, "false": False}
    assert option_values(Literal["High", "low"]) == {"high": "High", "low": "low"}
    assert option_values(int) is None
    chosen, shares = calibrated_verdict({"yes": 0.7, "no": 0.3}, {"no": math.log(7 / 3)})
    assert chosen == "yes" and shares == pytest.approx({"yes": 0.5, "no": 0.5})  # a tie keeps the first


# -- the command ---------------------------------------------------------------------------------
def test_align_command_with_calibration(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    biased_yes(fake_openai)
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows()), encoding="utf-8")
    spec = tmp_path / "judge.json"
    spec.write_text(json.dumps(quality().to_dict()), encoding="utf-8")
    out, report = tmp_path / "calibrated.json", tmp_path / "report.json"
    r = CliRunner().invoke(app, ["align", "-j", str(spec), "-d", str(data), "--optimizer", "calibration",
                                 "-o", str(out), "--json", str(report)], env=WIDE)
    assert r.exit_code == 0, r.output
    assert "calibration applied" in r.output
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["after"]["balanced_accuracy"]["value"] == 1.0 > saved["before"]["balanced_accuracy"]["value"]
    assert saved["calibration"]["applied"] and saved["usage"]["optimizer_calls"] == 0
    judge = json.loads(out.read_text(encoding="utf-8"))
    assert set(judge["inference_params"]["calibration"]["offsets"]) == {"yes", "no"}
    r = CliRunner().invoke(app, ["align", "-j", str(spec), "-d", str(data), "--optimizer", "calibrate"], env=WIDE)
    assert r.exit_code != 0 and "instruction+calibration" in r.output and "'calibrate'" in r.output
