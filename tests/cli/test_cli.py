"""The ``jurist`` command, run in-process with typer's CliRunner against the fake OpenAI server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import jurist
from jurist.cli import app
from jurist.judges import BUILTIN, builtin_judges
from tests.fakes.openai import FakeOpenAI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def verdicts(body: dict[str, Any]) -> str:
    """A judge that fails the Berlin answer on correctness and the French answer on 'Answer in English'."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    failed = "l'eau bout" in user if "Answer in English" in system else "Berlin is the capital" in user
    return json.dumps({"rationale": "Checked against the rules.", "result": "no" if failed else "yes"})


def example_rows() -> list[dict[str, Any]]:
    rows = []
    for f in sorted(EXAMPLES.glob("*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- evaluate ---------------------------------------------------------------------------------------
def test_evaluate_examples_writes_rows_and_prints_the_table(
    runner: CliRunner, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.responder = verdicts
    out = tmp_path / "results.jsonl"
    r = runner.invoke(app, ["evaluate", str(EXAMPLES), "--scorer", "correctness",
                            "--scorer", "guidelines:Answer in English", "--out", str(out)], env=WIDE)
    assert r.exit_code == 0, r.output

    expected = example_rows()
    assert len(expected) >= 12
    assert fake_openai.calls == 2 * len(expected)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected)
    written = [json.loads(line) for line in lines]
    assert sorted(w["id"] for w in written) == sorted(e["id"] for e in expected)
    by_id = {w["id"]: {f["name"]: f["value"] for f in w["feedbacks"]} for w in written}
    for values in by_id.values():
        assert set(values) == {"correctness", "guidelines"}
        assert all(v in ("yes", "no") for v in values.values())
    assert by_id["qa-capital-france-wrong"] == {"correctness": "no", "guidelines": "yes"}
    assert by_id["guideline-french-answer"] == {"correctness": "yes", "guidelines": "no"}
    assert by_id["qa-capital-france"] == {"correctness": "yes", "guidelines": "yes"}

    n = len(expected)
    rate = f"{(n - 1) / n:.1%}"
    table = {line.split()[1]: line for line in r.stdout.splitlines() if line.split()[1:2] in (["correctness"],
                                                                                              ["guidelines"])}
    assert set(table) == {"correctness", "guidelines"}
    for line in table.values():
        assert rate in line and f" {n} " in line  # pass rate, and the row count
    assert f"Tokens {2 * n * (42 + 17):,}" in r.stdout
    assert f"Wrote {n} rows to" in r.stdout
    assert "Traceback" not in r.output


def test_evaluate_defaults_to_correctness_relevance_and_safety(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES / "qa.jsonl")], env=WIDE)
    assert r.exit_code == 0, r.output
    for name in ("correctness", "relevance_to_query", "safety"):
        assert name in r.stdout
    assert "100.0% pass" in r.stdout
    rows = len((EXAMPLES / "qa.jsonl").read_text(encoding="utf-8").splitlines())
    assert fake_openai.calls == 3 * rows


def test_evaluate_uses_the_cache_unless_no_cache(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    args = ["evaluate", str(EXAMPLES / "rag.jsonl"), "-s", "safety"]
    assert runner.invoke(app, args).exit_code == 0
    assert fake_openai.calls == 2
    again = runner.invoke(app, args, env=WIDE)
    assert again.exit_code == 0
    assert fake_openai.calls == 2
    assert "answered from cache" in again.stdout
    assert runner.invoke(app, [*args, "--no-cache"]).exit_code == 0
    assert fake_openai.calls == 4


def test_evaluate_sends_the_given_model(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES / "rag.jsonl"), "-s", "safety", "--model", "openai:/gpt-4.1-nano",
                            "--concurrency", "1"])
    assert r.exit_code == 0, r.output
    assert {rec.body["model"] for rec in fake_openai.requests} == {"gpt-4.1-nano"}


def test_evaluate_says_why_rows_failed(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES / "rag.jsonl"), "-s", "retrieval_groundedness", "-s", "safety"],
                      env=WIDE)
    assert r.exit_code == 0, r.output
    assert "retrieval_groundedness: 2 errors, the first on row rag-returns-grounded: CONFIG_ERROR:" in r.stdout
    assert "needs trace=" in r.stdout
    assert "safety:" not in r.stdout
    assert fake_openai.calls == 2


def test_evaluate_out_json_is_one_document_with_metrics(
    runner: CliRunner, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    out = tmp_path / "sub" / "results.json"
    r = runner.invoke(app, ["evaluate", str(EXAMPLES / "rag.jsonl"), "-s", "safety", "-o", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["metrics"]["safety/pass_rate"] == 1.0
    assert len(doc["rows"]) == 2


# -- errors -----------------------------------------------------------------------------------------
def test_unknown_scorer_is_one_line_naming_the_known_scorers(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES), "--scorer", "corectness"])
    assert r.exit_code == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    assert "unknown scorer 'corectness'" in lines[0]
    assert "Did you mean 'correctness'?" in lines[0]
    for cls in builtin_judges().values():
        assert cls.default_name in lines[0]
    assert "Traceback" not in r.output
    assert fake_openai.calls == 0


def test_missing_data_file_is_one_clear_line(runner: CliRunner, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    r = runner.invoke(app, ["evaluate", str(missing), "-s", "correctness"])
    assert r.exit_code == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and lines[0] == f"Error: no such file or directory: {missing}", r.stderr
    assert "Traceback" not in r.output
    assert fake_openai.calls == 0


def test_bad_data_is_one_line_with_file_and_line(runner: CliRunner, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"inputs": "hi", "outputs": "hello"}\n{"inputs": oops}\n', encoding="utf-8")
    r = runner.invoke(app, ["evaluate", str(data), "-s", "safety"])
    assert r.exit_code == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "bad.jsonl" in lines[0] and "line 2" in lines[0], r.stderr


def test_bad_model_uri_is_one_line(runner: CliRunner, fake_openai: FakeOpenAI) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES), "--model", "gpt-4o-mini"])
    assert r.exit_code == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "openai:/gpt-4o-mini" in lines[0], r.stderr
    assert fake_openai.calls == 0


def test_missing_api_key_fails_before_any_row(runner: CliRunner) -> None:
    r = runner.invoke(app, ["evaluate", str(EXAMPLES), "-s", "safety"])
    assert r.exit_code == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "OPENAI_API_KEY" in lines[0], r.stderr


def test_debug_prints_the_traceback(runner: CliRunner, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    r = runner.invoke(app, ["--debug", "evaluate", str(tmp_path / "nope.jsonl")])
    assert r.exit_code == 1
    assert "Traceback (most recent call last)" in r.stderr
    assert "FileNotFoundError" in r.stderr
    assert r.stderr.rstrip().splitlines()[-1].startswith("Error: ")


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["evaluate"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", str(EXAMPLES), "--concurrency", "0"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


# -- judges list ------------------------------------------------------------------------------------
@pytest.mark.parametrize("columns", ["200", "80"])
def test_judges_list_shows_every_builtin_judge(runner: CliRunner, columns: str) -> None:
    r = runner.invoke(app, ["judges", "list"], env={"COLUMNS": columns})
    assert r.exit_code == 0, r.output
    judges = builtin_judges()
    assert len(judges) == len(BUILTIN) == 21
    for cls in judges.values():
        assert cls.default_name in r.stdout
        assert cls.__name__ in r.stdout
    assert "guidelines:TEXT" in r.stdout
    assert "expectations" in r.stdout


# -- the rest ---------------------------------------------------------------------------------------
def test_version(runner: CliRunner) -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout == f"jurist {jurist.__version__}\n"


def test_version_as_a_process() -> None:
    p = subprocess.run([sys.executable, "-m", "jurist.cli", "--version"], capture_output=True, text=True,
                       timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"jurist {jurist.__version__}\n"


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    r = runner.invoke(app, [])
    assert r.exit_code == 0
    for word in ("Usage", "evaluate", "judges", "serve-local", "--debug", "--version"):
        assert word in r.output


def test_serve_local_help(runner: CliRunner) -> None:
    r = runner.invoke(app, ["serve-local", "--help"], env=WIDE)
    assert r.exit_code == 0
    for word in ("--host", "--port", "--model", "127.0.0.1", "8080", "local:/default"):
        assert word in r.output


def test_importing_the_cli_is_light() -> None:
    code = (
        "import sys, jurist.cli; "
        "heavy = [m for m in ('jurist.evaluation', 'jurist.judges', 'jurist.models', 'aiohttp', 'pandas') "
        "if m in sys.modules]; "
        "print(heavy)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
