"""``jurist compare`` (a CI gate over two stored runs) and ``jurist probe``, in-process against the fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import jurist
from jurist.cli import app
from jurist.judges import PairwisePreference
from jurist.scorers import scorer
from tests.fakes.openai import FakeOpenAI

WIDE = {"COLUMNS": "220"}


@scorer
def correct(outputs: Any) -> str:
    return "yes" if outputs == "right" else "no"


def _run(answers: list[str]) -> str:
    result = jurist.evaluate([{"id": i, "inputs": {"q": i}, "outputs": a} for i, a in enumerate(answers)], [correct])
    assert result.run_id
    return result.run_id


def test_compare_prints_the_table_and_gates(tmp_path: Path) -> None:
    runner = CliRunner()
    old = _run(["wrong"] * 20)
    new = _run(["right"] * 16 + ["wrong"] * 4)
    out = tmp_path / "cmp.json"
    r = runner.invoke(app, ["compare", new, old, "--require", "improved", "--json", str(out)], env=WIDE)
    assert r.exit_code == 0, r.output
    assert "mcnemar" in r.output and "improved" in r.output
    data = json.loads(out.read_text())
    assert data["scorers"]["correct"]["better"] == 16 and data["candidate"] == new
    # The other way round, the gate fails with exit code 1 and says why.
    r = runner.invoke(app, ["compare", old, new, "--require", "no-regression"], env=WIDE)
    assert r.exit_code == 1 and "regressed" in r.output
    r = runner.invoke(app, ["compare", old, "no-such-run"], env=WIDE)
    assert r.exit_code == 1 and "no-such-run" in r.output


def test_probe_reports_each_metric(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: json.dumps({"rationale": "r", "result": "A"})
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps({"inputs": f"q{i}", "outputs_a": f"a{i}", "outputs_b": f"b{i}"})
                              for i in range(4)), encoding="utf-8")
    spec = tmp_path / "judge.json"
    spec.write_text(json.dumps(PairwisePreference(model="openai:/gpt-4o-mini").to_dict()), encoding="utf-8")
    out = tmp_path / "report.json"
    r = CliRunner().invoke(app, ["probe", "--judge", str(spec), "--data", str(data), "-p", "position",
                                 "-p", "verbosity", "--json", str(out)], env=WIDE)
    assert r.exit_code == 0, r.output
    assert "position_consistency" in r.output and "padded_preference" in r.output
    report = json.loads(out.read_text())
    values = {x["metric"]: x["value"] for x in report["results"]}
    assert values["position_consistency"] == 0.0 and values["first_position_preference"] == 1.0
    r = CliRunner().invoke(app, ["probe", "-j", "correctness", "-d", str(data), "-p", "gravity"], env=WIDE)
    assert r.exit_code == 1 and "unknown probe" in r.output
