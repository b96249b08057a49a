"""evaluate() and the store: each judgment logged as it finishes, and a killed run resumed without loss."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jurist
from jurist import evaluate, scorer
from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.judges import Correctness, RetrievalGroundedness, Safety
from jurist.tracking import NotFoundError, RunStatus, get_store
from tests._helpers import some
from tests.evaluation.test_evaluate import qa_rows
from tests.fakes.openai import FakeOpenAI
from tests.tracking._db import count


def test_a_run_is_logged_with_rows_feedback_traces_metrics_and_totals(fake_openai: FakeOpenAI) -> None:
    @scorer
    def length(outputs: str) -> int:
        return len(outputs)

    result = evaluate(qa_rows(3), [Correctness(), length])
    assert result.run_id is not None
    run = jurist.get_run(result.run_id)
    assert run.status is RunStatus.FINISHED and run.metrics == result.metrics and run.row_count == 3
    assert (run.judge_calls, run.total_input_tokens, run.total_output_tokens) == (3, 3 * 42, 3 * 17)
    assert run.total_cost_usd == pytest.approx(result.total_cost_usd)
    assert [s["name"] for s in run.scorers] == ["correctness", "length"]
    assert run.scorers[0]["instructions"] and run.scorers[1] == {"kind": "code", "name": "length"}
    assert run.params["rows"] == 3 and run.end_time_ms is not None

    traces = jurist.search_traces(filter_string=f"run_id = '{result.run_id}'", order_by=["trace_id"])
    assert sorted(some(r.trace_id) for r in result.rows) == [t.trace_id for t in traces]
    row = result.rows[1]
    t = jurist.tracking.get_trace(some(row.trace_id))
    assert t.inputs == {"question": "q1"} and t.outputs == "answer 1"
    assert sorted((a.name, a.value) for a in t.feedbacks) == [("correctness", "yes"), ("length", 8)]
    judged = t.search_assessments("correctness")[0]
    assert isinstance(judged, Feedback) and judged.metadata["input_tokens"] == 42 and judged.rationale
    assert all(f.trace_id == row.trace_id for f in row.feedbacks)
    stored = get_store().load_rows(result.run_id)
    assert [r.data.inputs for r in stored] == [{"question": f"q{i}"} for i in range(3)]


def test_a_rows_own_trace_is_stored_and_span_feedback_attaches_to_its_spans(fake_openai: FakeOpenAI) -> None:
    trace = {"trace_id": "t1", "spans": [
        {"name": "app", "span_id": "root", "span_type": "CHAIN", "inputs": {"q": "x"}, "outputs": "y"},
        {"name": "r1", "span_id": "s1", "parent_id": "root", "span_type": "RETRIEVER", "outputs": ["doc a"]},
        {"name": "r2", "span_id": "s2", "parent_id": "root", "span_type": "RETRIEVER", "outputs": ["doc b"]},
    ]}
    result = evaluate([{"trace": trace}], [RetrievalGroundedness()])
    assert result.rows[0].trace_id == "t1"
    stored = jurist.tracking.get_trace("t1")
    assert [s.span_id for s in stored.spans] == ["root", "s1", "s2"]
    assert sorted(str(f.span_id) for f in stored.feedbacks) == ["s1", "s2"]
    # Judging the same traces again adds feedback to them, never copies of the traces.
    evaluate([{"trace": trace}], [RetrievalGroundedness()], cache=False)
    assert len(jurist.tracking.get_trace("t1").feedbacks) == 4 and len(jurist.search_traces()) == 1


def test_experiment_and_log_false(fake_openai: FakeOpenAI) -> None:
    result = evaluate(qa_rows(2), [Safety()], experiment="nightly")
    exp = jurist.tracking.get_experiment_by_name("nightly")
    assert exp is not None and jurist.get_run(some(result.run_id)).experiment_id == exp.experiment_id
    assert len(jurist.search_traces("nightly")) == 2
    quiet = evaluate(qa_rows(2), [Safety()], log=False)
    assert quiet.run_id is None and quiet.rows[0].trace_id is None
    assert len(jurist.search_runs("Default")) == 0
    with pytest.raises(ConfigError, match="drop log=False"):
        evaluate(qa_rows(2), [Safety()], log=False, resume="x")


def test_resuming_a_finished_run_judges_nothing_and_gives_the_same_result(fake_openai: FakeOpenAI) -> None:
    first = evaluate(qa_rows(5), [Correctness(), Safety()], cache=False)
    calls = fake_openai.calls
    again = evaluate(qa_rows(5), [Correctness(), Safety()], cache=False, resume=first.run_id)
    assert fake_openai.calls == calls
    assert again.run_id == first.run_id and again.metrics == first.metrics
    assert again.total_input_tokens == first.total_input_tokens and again.judge_calls == first.judge_calls
    assert [r.trace_id for r in again.rows] == [r.trace_id for r in first.rows]
    assert count(jurist.get_tracking_uri(), "SELECT count(*) FROM assessments") == 10


def test_resume_refuses_changed_data_other_judges_and_unknown_runs(fake_openai: FakeOpenAI) -> None:
    first = evaluate(qa_rows(3), [Correctness()])
    changed = qa_rows(3)
    changed[2]["outputs"] = "another answer"
    with pytest.raises(ConfigError, match="row 2 of the data differs from row 2 stored in run"):
        evaluate(changed, [Correctness()], resume=first.run_id)
    with pytest.raises(ConfigError, match="holds row 2 but the data has only 2 rows"):
        evaluate(qa_rows(2), [Correctness()], resume=first.run_id)
    with pytest.raises(ConfigError, match="was judged by correctness; resume it with the same scorers"):
        evaluate(qa_rows(3), [Safety()], resume=first.run_id)
    with pytest.raises(ConfigError, match="'correctness' is not the one run"):
        evaluate(qa_rows(3), [Correctness(model="openai:/gpt-4o")], resume=first.run_id)
    with pytest.raises(NotFoundError, match="no run with id 'no-such-run'"):
        evaluate(qa_rows(3), [Correctness()], resume="no-such-run")
    assert fake_openai.calls == 3


def test_an_interrupted_run_resumes_without_predicting_or_judging_again(fake_openai: FakeOpenAI) -> None:
    predicted: list[str] = []
    interrupt = {"at": "q6"}

    def app(question: str) -> str:
        predicted.append(question)
        return f"answer to {question}"

    @scorer
    async def gate(inputs: dict[str, str]) -> bool:
        if inputs["question"] == interrupt["at"]:
            raise asyncio.CancelledError  # as if the user pressed Ctrl-C here
        return True

    rows = [{"inputs": {"question": f"q{i}"}} for i in range(10)]
    with pytest.raises(BaseException) as info:
        evaluate(rows, [gate, Safety()], predict_fn=app, concurrency=1)
    assert "Cancelled" in type(info.value).__name__
    (run,) = jurist.search_runs("Default")
    assert run.status is RunStatus.KILLED
    stored = get_store().load_rows(run.run_id)
    assert [r.row_index for r in stored] == list(range(6)) and predicted == [f"q{i}" for i in range(7)]
    interrupt["at"] = ""
    result = evaluate(rows, [gate, Safety()], predict_fn=app, concurrency=1, resume=run.run_id)
    assert predicted[7:] == [f"q{i}" for i in range(6, 10)]  # rows 0-5 were predicted before
    assert fake_openai.calls == 10 and result.metrics["gate/pass_rate"] == 1.0
    assert jurist.get_run(run.run_id).status is RunStatus.FINISHED
    assert result.rows[3].outputs == "answer to q3" and some(result.rows[3].feedback("safety")).value == "yes"


def test_a_run_killed_with_sigkill_resumes_making_exactly_the_missing_calls(fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'killed.db'}"
    monkeypatch.setenv("JURIST_TRACKING_URI", uri)
    monkeypatch.setenv("JURIST_TRACKING_FLUSH_S", "0.05")
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in qa_rows(200)))
    total = 200 * 2
    fake_openai.latency = 0.01
    code = ("import sys; from jurist import evaluate; from jurist.judges import Correctness, Safety; "
            "evaluate(sys.argv[1], [Correctness(), Safety()], concurrency=4, cache=False, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(data)], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while stored < total // 4:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "nothing was stored within a minute"
            time.sleep(0.05)
            if Path(tmp_path / "killed.db").exists():
                try:
                    stored = count(uri, "SELECT count(*) FROM assessments")
                except Exception:
                    stored = 0  # the schema is still being made
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    (run,) = jurist.search_runs("Default", status="RUNNING")
    kept = count(uri, "SELECT count(*) FROM assessments")
    assert total // 4 <= kept < total
    calls_before = fake_openai.calls
    result = evaluate(str(data), [Correctness(), Safety()], concurrency=8, cache=False, resume=run.run_id)
    assert fake_openai.calls - calls_before == total - kept  # exactly the missing judgments, nothing again
    assert count(uri, "SELECT count(*) FROM assessments") == total
    assert count(uri, "SELECT count(*) FROM (SELECT DISTINCT row_index, scorer FROM assessments) d") == total
    assert count(uri, "SELECT count(*) FROM run_rows") == 200 and count(uri, "SELECT count(*) FROM traces") == 200
    assert result.run_id == run.run_id and result.metrics["correctness/count"] == 200
    assert result.metrics["safety/count"] == 200 and result.metrics["correctness/error_count"] == 0
    assert jurist.get_run(run.run_id).status is RunStatus.FINISHED


def test_the_command_line_names_the_run_and_resumes_it(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from jurist.cli import app

    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in qa_rows(3)))
    runner = CliRunner()
    r = runner.invoke(app, ["evaluate", str(data), "-s", "correctness", "--experiment", "cli"],
                      env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    (run,) = jurist.search_runs("cli")
    assert f"Run {run.run_id} in experiment cli" in r.output and f"--resume {run.run_id}" in r.output
    r = runner.invoke(app, ["evaluate", str(data), "-s", "correctness", "--resume", run.run_id],
                      env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert f"Resuming run {run.run_id} (3 judgments already stored)" in r.output and fake_openai.calls == 3
    r = runner.invoke(app, ["evaluate", str(data), "-s", "correctness", "--resume", "nope"])
    assert r.exit_code == 1
    assert [line for line in r.output.splitlines() if line.strip()][-1].startswith("Error: no run with id 'nope'")


def test_by_default_runs_go_to_jurist_db_in_the_working_directory(fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURIST_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    result = evaluate(qa_rows(2), [Safety()])
    assert (tmp_path / "jurist.db").exists() and jurist.get_run(some(result.run_id)).row_count == 2


def test_a_default_store_that_cannot_open_warns_and_judges_anyway(fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURIST_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jurist.db").mkdir()  # not a database
    with pytest.warns(RuntimeWarning, match="not logging to the tracking store"):
        result = evaluate(qa_rows(2), [Safety()])
    assert result.run_id is None and result.metrics["safety/count"] == 2


def test_a_tracking_uri_that_was_asked_for_must_work(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_TRACKING_URI", "mysql://root@127.0.0.1/test")
    with pytest.raises(ConfigError, match="unsupported tracking store 'mysql'"):
        evaluate(qa_rows(2), [Safety()])
    assert fake_openai.calls == 0


def test_resume_judges_again_what_failed_for_want_of_an_answer(fake_openai: FakeOpenAI) -> None:
    from jurist.models import RetryPolicy
    from tests.fakes.openai import openai_error, server_error

    judge = Correctness()
    judge.client.retry = RetryPolicy(max_attempts=1)  # one 500 is the judgment's end
    # concurrency 1: the first judgment meets a 500 (its provider failed), the second a 400 (refused)
    fake_openai.enqueue(server_error(500), openai_error(400, "bad", "invalid_request_error"))
    first = evaluate(qa_rows(4), [judge], cache=False, concurrency=1)
    codes = [fb.error.error_code if fb.error else None for r in first.rows for fb in r.feedbacks]
    assert codes == ["SERVER_ERROR", "BAD_REQUEST", None, None]
    calls = fake_openai.calls
    again = evaluate(qa_rows(4), [judge], cache=False, concurrency=1, resume=first.run_id)
    assert fake_openai.calls == calls + 1  # only the server error is judged again: a refusal would repeat
    codes = [fb.error.error_code if fb.error else None for r in again.rows for fb in r.feedbacks]
    assert codes == [None, "BAD_REQUEST", None, None]
    # the new verdict replaced the stored error: a later resume judges nothing
    assert count(jurist.get_tracking_uri(), "SELECT count(*) FROM assessments WHERE error_code IS NOT NULL") == 1
    evaluate(qa_rows(4), [judge], cache=False, concurrency=1, resume=first.run_id)
    assert fake_openai.calls == calls + 1
