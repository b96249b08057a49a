"""Meta-evaluation: agreement figures with bootstrap intervals, ``meta_evaluate`` over labelled rows, traces and
DataFrames against the fake model, pairwise position consistency, and the ``meta-eval``/``align`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

import jurist
from jurist.cli import app
from jurist.errors import ConfigError
from jurist.evaluation._meta import agreement
from jurist.judges import PairwiseJudge, make_judge, make_pairwise_judge
from jurist.judges._reduce import cohen_kappa
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI

WIDE = {"COLUMNS": "220"}


def _verdict(result: str) -> str:
    return json.dumps({"rationale": "Looked at it.", "result": result})


def likes_good(body: dict[str, Any]) -> str:
    """A fake judge that passes any answer saying 'good' and fails the rest."""
    user = body["messages"][-1]["content"]
    return _verdict("yes" if "good" in user.split("<outputs>", 1)[-1] else "no")


def judge() -> Any:
    return make_judge(name="quality", instructions="Is {{ outputs }} right for {{ inputs }}?",
                      feedback_value_type=Literal["yes", "no"], model="openai:/gpt-4o-mini")


def labelled() -> list[dict[str, Any]]:
    # People accept 'good' and 'fine' answers; the judge only 'good' ones: it misses every 'fine'.
    words = ["good"] * 10 + ["fine"] * 5 + ["bad"] * 15
    return [{"inputs": {"q": f"q{i}"}, "outputs": f"a {w} answer", "label": w != "bad"} for i, w in enumerate(words)]


# -- the figures ----------------------------------------------------------------------------------------
def test_agreement_figures_and_their_intervals() -> None:
    human = ["yes"] * 15 + ["no"] * 15
    judged = ["yes"] * 10 + ["no"] * 5 + ["no"] * 15
    r = agreement(human, judged, judge="j")
    assert r.n == 30
    assert r.accuracy.value == pytest.approx(25 / 30, abs=1e-4)
    assert r.balanced_accuracy.value == pytest.approx((10 / 15 + 1.0) / 2, abs=1e-4)
    assert r.kappa.value == cohen_kappa(human, judged)
    assert r.confusion == {"no": {"no": 15, "yes": 0}, "yes": {"no": 5, "yes": 10}}
    for est in (r.accuracy, r.balanced_accuracy, r.kappa):
        assert est.value is not None and est.low is not None and est.high is not None
        assert est.low <= est.value <= est.high
        assert est.high - est.low > 0.05  # 30 items: the interval is honest about it
    lo, hi = r.confusion_ci["yes"]["no"]
    assert lo < 5 / 30 < hi
    again = agreement(human, judged, judge="j")
    assert again.to_dict() == r.to_dict()  # seeded: the same intervals every time


def test_balanced_accuracy_sees_through_an_always_no_judge() -> None:
    human = ["no"] * 18 + ["yes"] * 2
    r = agreement(human, ["no"] * 20)
    assert r.accuracy.value == 0.9
    assert r.balanced_accuracy.value == 0.5
    assert r.kappa.value == 0.0


# -- meta_evaluate ------------------------------------------------------------------------------------
def test_meta_evaluate_rows(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = likes_good
    r = jurist.meta_evaluate(judge(), labelled())
    assert r.n == 30 and r.errors == 0
    assert r.confusion["yes"] == {"yes": 10, "no": 5}
    assert r.confusion["no"] == {"yes": 0, "no": 15}
    assert r.balanced_accuracy.value == pytest.approx((10 / 15 + 1) / 2, abs=1e-4)
    assert len(r.feedbacks) == 30


def test_meta_evaluate_reads_expectations_dataframes_and_files(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    import pandas as pd

    fake_openai.responder = likes_good
    as_expectations = [{"inputs": r["inputs"], "outputs": r["outputs"],
                        "expectations": {"human_label": "pass" if r["label"] else "fail"}} for r in labelled()]
    frame = pd.DataFrame(labelled())
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in labelled()), encoding="utf-8")
    figures = {jurist.meta_evaluate(judge(), data).balanced_accuracy.value
               for data in (as_expectations, frame, str(path))}
    assert len(figures) == 1


def test_judge_errors_are_counted_not_scored(fake_openai: FakeOpenAI) -> None:
    # The item of q3 gets no verdict, not even after the repair request.
    fake_openai.responder = lambda body: "not json" if '\\"q3\\"' in json.dumps(body) else likes_good(body)
    r = jurist.meta_evaluate(judge(), labelled())
    assert r.errors == 1 and r.n == 29


def test_no_labels_is_a_config_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ConfigError, match="no labelled examples"):
        jurist.meta_evaluate(judge(), [{"inputs": "a", "outputs": "b"}])


def test_pairwise_agreement_and_position_consistency(fake_openai: FakeOpenAI) -> None:
    def answer(body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        a = user.split("<outputs_a>", 1)[1].split("</outputs_a>", 1)[0]
        return _verdict("A" if "right" in a else "B")

    rows = [{"inputs": {"q": i}, "outputs_a": "right" if i % 2 else "wrong", "outputs_b": "wrong" if i % 2 else "right",
             "label": 1 if i % 2 else 2} for i in range(12)]
    def pj(model: str = "openai:/gpt-4o-mini") -> PairwiseJudge:
        return make_pairwise_judge(name="better", model=model,
                                   instructions="Which reply to {{ inputs }} is better: {{ outputs_a }} or {{ outputs_b }}?")

    fake_openai.responder = answer
    r = jurist.meta_evaluate(pj(), rows)
    assert r.pairwise and r.accuracy.value == 1.0 and r.position_consistency is not None
    assert r.position_consistency.value == 1.0
    fake_openai.responder = lambda body: _verdict("A")  # always the first position
    r = jurist.meta_evaluate(pj("openai:/gpt-4o"), rows)  # another model: not the answers cached above
    assert some(r.position_consistency).value == 0.0
    assert r.confusion["A"] == {"A": 0, "B": 0, "tie": 6}
    assert "position_consistency" in r.to_dict()


# -- the commands -------------------------------------------------------------------------------------
def test_meta_eval_command_prints_a_table_and_writes_json(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.responder = likes_good
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in labelled()), encoding="utf-8")
    spec = tmp_path / "judge.json"
    spec.write_text(json.dumps(judge().to_dict()), encoding="utf-8")
    out = tmp_path / "report.json"
    r = CliRunner().invoke(app, ["meta-eval", "-j", str(spec), "-d", str(data), "--json", str(out)], env=WIDE)
    assert r.exit_code == 0, r.output
    assert "balanced accuracy" in r.output and "Cohen's κ" in r.output and "people said yes" in r.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["confusion"]["yes"] == {"no": 5, "yes": 10}
    r = CliRunner().invoke(app, ["meta-eval", "-j", str(spec), "-d", str(data), "--json", "-"], env=WIDE)
    assert r.exit_code == 0 and json.loads(r.stdout)["n"] == 30
    r = CliRunner().invoke(app, ["meta-eval", "-j", str(spec)], env=WIDE)
    assert r.exit_code != 0 and "--data FILE or --experiment NAME" in r.output


def test_align_command_shows_before_and_after_and_writes_the_judge(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    def answer(body: dict[str, Any]) -> str:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if "improve an LLM judge" in system:
            return json.dumps({"rules": ["Fine answers are acceptable: answer yes."], "demonstrations": []})
        item = user.split("<outputs>", 1)[-1]
        return _verdict("yes" if "good" in item or ("Fine answers" in system and "fine" in item) else "no")

    fake_openai.responder = answer
    words = (["good"] * 2 + ["fine"] * 2 + ["bad"] * 2) * 10
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps({"inputs": {"q": f"q{i}"}, "outputs": f"a {w} answer", "label": w != "bad"})
                              for i, w in enumerate(words)), encoding="utf-8")
    spec = tmp_path / "judge.json"
    spec.write_text(json.dumps(judge().to_dict()), encoding="utf-8")
    out, report = tmp_path / "aligned.json", tmp_path / "report.json"
    r = CliRunner().invoke(app, ["align", "-j", str(spec), "-d", str(data), "--optimizer", "instruction",
                                 "--optimizer-model", "openai:/gpt-4o", "-o", str(out), "--json", str(report)],
                           env=WIDE)
    assert r.exit_code == 0, r.output
    assert "before" in r.output and "after" in r.output and "held-out" in r.output
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["after"]["balanced_accuracy"]["value"] == 1.0 > saved["before"]["balanced_accuracy"]["value"]
    aligned = json.loads(out.read_text(encoding="utf-8"))
    assert "Fine answers are acceptable" in aligned["instructions"]
    r = CliRunner().invoke(app, ["align", "-j", str(spec), "-d", str(data), "--optimizer", "magic"], env=WIDE)
    assert r.exit_code != 0 and "takes one of instruction, memory, calibration" in r.output and "magic" in r.output
