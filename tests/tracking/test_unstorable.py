"""A value the database will not take costs that one judgment at most, on SQLite and PostgreSQL alike:
NUL is kept as U+FFFD, an over-long key is refused for its row with the reason, the rest is stored, and
the command line says (exit 1) when anything was not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import jurist
from jurist import Feedback, evaluate, scorer
from jurist.entities import Trace
from jurist.errors import ConfigError
from jurist.judges import Correctness
from jurist.tracking import RunStatus, SqlStore
from jurist.tracking._entities import Judgment, RowData
from tests._helpers import some
from tests.evaluation.test_evaluate import qa_rows
from tests.fakes.openai import FakeOpenAI, openai_error
from tests.tracking._db import count


@scorer
def length(outputs: Any) -> int:
    return len(str(outputs))


def traced_rows(n: int, bad: int, trace_id: str | None = None, tags: dict[str, str] | None = None) -> list[Any]:
    """``n`` rows each with its own trace; row ``bad`` gets ``trace_id`` or ``tags``."""
    out = []
    for i in range(n):
        t: dict[str, Any] = {"trace_id": f"t{i:04d}", "spans": [{"name": "app", "span_id": "root", "outputs": f"a{i}"}]}
        if i == bad:
            t["trace_id"] = trace_id or t["trace_id"]
            t["tags"] = tags or {}
        out.append({"outputs": f"a{i}", "trace": t})
    return out


def test_nul_in_a_rationale_is_stored_as_a_replacement_character(tracking: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: json.dumps({"rationale": "before\x00after", "result": "yes"})
    result = evaluate(qa_rows(40), [Correctness()], concurrency=8)
    assert result.unstored == 0 and result.unstored_message == ""
    assert jurist.get_run(some(result.run_id)).status is RunStatus.FINISHED
    assert count(tracking, "SELECT count(*) FROM assessments") == 40
    t = jurist.tracking.get_trace(some(result.rows[0].trace_id))
    assert t.feedbacks[0].rationale == "before\ufffdafter"


def test_nul_in_a_providers_error_text_is_stored(tracking: str, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(*[openai_error(400, "bad\x00request", "invalid_request_error")] * 5)
    result = evaluate(qa_rows(5), [Correctness()], concurrency=1)
    assert [some(r.feedback("correctness")).error is not None for r in result.rows] == [True] * 5
    assert result.unstored == 0 and count(tracking, "SELECT count(*) FROM assessments") == 5
    messages = [some(f.error).error_message for r in result.rows for f in
                jurist.tracking.get_trace(some(r.trace_id)).feedbacks]
    assert all("bad\ufffdrequest" in (m or "") for m in messages)


@pytest.mark.parametrize("bad", [{"trace_id": "x" * 80}, {"tags": {"k" * 300: "v"}}],
                         ids=["80-character trace id", "300-character tag key"])
def test_one_unstorable_row_costs_only_that_row(tracking: str, bad: dict[str, Any]) -> None:
    rows = traced_rows(300, 100, **bad)
    with pytest.warns(RuntimeWarning, match="1 judgments of run .* could not be stored .*row 100"):
        result = evaluate(rows, [length], concurrency=8)
    assert result.unstored == 1 and "row 100" in result.unstored_message
    assert "characters" in result.unstored_message  # the reason: what is too long
    assert count(tracking, "SELECT count(*) FROM assessments") == 299
    assert count(tracking, "SELECT count(*) FROM run_rows") == 299
    run = jurist.get_run(some(result.run_id))
    assert run.status is RunStatus.FAILED  # resume may judge the missing row again
    with pytest.warns(RuntimeWarning, match="could not be stored"):
        again = evaluate(rows, [length], resume=result.run_id)
    assert again.unstored == 1 and count(tracking, "SELECT count(*) FROM assessments") == 299


def test_the_store_refuses_the_same_values_on_every_backend(store_uri: str) -> None:
    store = SqlStore(store_uri)
    try:
        exp = store.get_or_create_experiment("e")
        run = store.create_run(exp.experiment_id)

        def judgment(i: int, trace_id: str, tags: dict[str, str] | None = None) -> Judgment:
            trace = Trace(trace_id, [], dict(tags or {}))
            row = RowData(row_hash="h", trace_id=trace_id, inputs={"q": "\x00"}, outputs="o", expectations=None,
                          tags={}, row_id=None, trace=trace)
            return Judgment(i, "s", [Feedback(name="s", value="v\x00", rationale="r\x00")], row)

        with pytest.raises(ConfigError, match="trace_id of 1 to 64 characters"):
            store.log_judgments(run.run_id, [judgment(0, "x" * 65)])
        with pytest.raises(ConfigError, match="tag key must be 1 to 256 characters"):
            store.log_judgments(run.run_id, [judgment(0, "t0", {"k" * 257: "v"})])
        store.log_judgments(run.run_id, [judgment(1, "t1", {"k\x00": "v\x00"})])
        (stored,) = store.load_rows(run.run_id)
        assert stored.data.inputs == {"q": "\x00"}  # JSON keeps it, escaped
        fb = stored.feedbacks["s"][0]
        assert fb.value == "v\x00" and fb.rationale == "r\ufffd"
        assert store.get_trace("t1").tags == {"k\ufffd": "v\ufffd"}
    finally:
        store.close()


@pytest.mark.filterwarnings("ignore:.*could not be stored:RuntimeWarning")
def test_the_command_line_exits_1_when_a_judgment_was_not_stored(tracking: str, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from jurist.cli import app

    data = tmp_path / "rows.jsonl"
    rows = [{"inputs": {"question": f"q{i}"}, "outputs": f"a{i}", "expectations": {"expected_response": f"a{i}"},
             "trace": {"trace_id": ("y" * 80) if i == 1 else f"t{i}", "spans": []}} for i in range(3)]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    runner = CliRunner()
    r = runner.invoke(app, ["evaluate", str(data), "-s", "safety"], env={"COLUMNS": "200"})
    assert r.exit_code == 1, r.output
    assert "Error: 1 judgments of run" in r.output and "row 1" in r.output
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps({**row, "trace": None}) for row in rows))
    assert runner.invoke(app, ["evaluate", str(good), "-s", "safety"]).exit_code == 0


def test_a_value_the_database_itself_refuses_costs_only_its_row(tracking: str) -> None:
    # A span time past a 64-bit integer passes every check of jurist's own; the database refuses it, and
    # the batch is then written one judgment at a time so that only this row is lost.
    rows = traced_rows(50, 7)
    rows[7]["trace"]["spans"][0]["start_time_ns"] = 2**64
    with pytest.warns(RuntimeWarning, match="could not be stored .*row 7"):
        result = evaluate(rows, [length], concurrency=4)
    assert result.unstored == 1
    assert count(tracking, "SELECT count(*) FROM assessments") == 49
