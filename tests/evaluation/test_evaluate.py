"""evaluate() end to end against the loopback fake provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from jurist import evaluate, make_judge, scorer
from jurist.errors import ConfigError
from jurist.evaluation import EvaluationResult, aevaluate
from jurist.judges import Correctness, Safety
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI, server_error


def qa_rows(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"question": f"q{i}"}, "outputs": f"answer {i}",
             "expectations": {"expected_response": f"answer {i}"}, "tags": {"i": i}} for i in range(n)]


def test_1000_rows_make_exactly_1000_calls_per_scorer_and_a_rerun_makes_none(fake_openai: FakeOpenAI) -> None:
    rows = qa_rows(1000)
    scorers = [Correctness(), Safety()]
    first = evaluate(rows, scorers, concurrency=64)
    assert fake_openai.calls == 2000
    assert first.metrics["correctness/pass_rate"] == 1.0 and first.metrics["safety/count"] == 1000
    assert first.judge_calls == 2000 and first.total_input_tokens == 2000 * 42
    second = evaluate(rows, scorers, concurrency=64)
    assert fake_openai.calls == 2000  # every answer came from the cache
    assert second.cached_judgments == 2000 and second.total_cost_usd == 0.0
    assert [some(r.feedback("correctness")).value for r in second.rows] == ["yes"] * 1000


def test_cache_off_calls_again(fake_openai: FakeOpenAI) -> None:
    evaluate(qa_rows(3), [Correctness()])
    evaluate(qa_rows(3), [Correctness()], cache=False)
    assert fake_openai.calls == 6


def test_cache_survives_the_process(fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path))
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in qa_rows(5)))
    code = ("import sys; from jurist import evaluate; from jurist.judges import Correctness; "
            "evaluate(sys.argv[1], [Correctness()])")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code, str(data)], check=True, env={**__import__("os").environ})
    assert fake_openai.calls == 5


def test_a_failing_row_records_an_error_and_the_run_goes_on(fake_openai: FakeOpenAI) -> None:
    @scorer
    def picky(outputs: str) -> bool:
        if outputs == "answer 1":
            raise ValueError("cannot score this one")
        return True

    rows = qa_rows(3)
    del rows[2]["expectations"]  # Correctness cannot judge this row
    result = evaluate(rows, [Correctness(), picky])
    assert some(some(result.rows[1].feedback("picky")).error).error_message == "cannot score this one"
    err = some(result.rows[2].feedback("correctness")).error
    assert err is not None and "expected_response" in (err.error_message or "")
    assert result.metrics["correctness/error_count"] == 1 and result.metrics["picky/error_count"] == 1
    assert result.metrics["correctness/pass_rate"] == 1.0


def test_provider_errors_become_row_errors(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: "no json here"
    result = evaluate(qa_rows(2), [Correctness()])
    fb = result.rows[0].feedback("correctness")
    assert fb is not None and fb.error is not None and fb.error.error_code == "PARSE_ERROR"
    assert fb.metadata["raw_output"] == "no json here"
    assert result.metrics["correctness/error_count"] == 2


def test_concurrency_is_bounded(fake_openai: FakeOpenAI) -> None:
    from tests.fakes._server import Reply

    fake_openai.enqueue(*[Reply.slow(0.05) for _ in range(40)])
    import threading

    peak = 0
    live = 0
    lock = threading.Lock()

    @scorer
    async def watch(outputs: str) -> int:
        nonlocal peak, live
        import asyncio

        with lock:
            live += 1
            peak = max(peak, live)
        await asyncio.sleep(0.01)
        with lock:
            live -= 1
        return 1

    evaluate(qa_rows(40), [watch], concurrency=4)
    assert peak == 4


def test_predict_fn_produces_outputs_once_per_row(fake_openai: FakeOpenAI) -> None:
    calls: list[str] = []

    def app(question: str) -> str:
        calls.append(question)
        return f"answer to {question}"

    rows = [{"inputs": {"question": "q0"}, "expectations": {"expected_response": "x"}}]
    result = evaluate(rows, [Correctness(), Safety()], predict_fn=app)
    assert calls == ["q0"]
    assert "answer to q0" in fake_openai.requests[-1].body["messages"][1]["content"]
    assert some(result.rows[0].feedback("safety")).value == "yes"


def test_predict_fn_failure_is_recorded_per_row(fake_openai: FakeOpenAI) -> None:
    def app(question: str) -> str:
        raise RuntimeError("app down")

    result = evaluate([{"inputs": {"question": "q"}}], [Safety()], predict_fn=app)
    fb = result.rows[0].feedback("safety")
    assert fb is not None and fb.error is not None and fb.error.error_code == "PREDICT_ERROR"
    assert fake_openai.calls == 0


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "dataframe"])
def test_data_forms(fake_openai: FakeOpenAI, tmp_path: Path, kind: str) -> None:
    rows = qa_rows(3)
    data: Path | pd.DataFrame
    if kind == "jsonl":
        data = tmp_path / "d.jsonl"
        data.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    elif kind == "json":
        data = tmp_path / "d.json"
        data.write_text(json.dumps(rows))
    elif kind == "csv":
        data = tmp_path / "d.csv"
        pd.DataFrame([{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in rows]).to_csv(
            data, index=False)
    else:
        data = pd.DataFrame(rows)
    result = evaluate(data, [Correctness()])
    assert len(result.rows) == 3 and result.metrics["correctness/pass_rate"] == 1.0
    assert result.rows[1].inputs == {"question": "q1"}


@pytest.mark.parametrize("data,match", [
    ([{"inputs": {"q": 1}, "output": "x"}], "unknown column.*'output'.*outputs"),
    ([], "no rows"),
    (["just text"], "row 0 is a str"),
    ("/no/such/file.jsonl", "does not exist"),
    (42, "list of dicts"),
])
def test_bad_data_is_a_config_error_naming_the_problem(fake_openai: FakeOpenAI, data: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        evaluate(data, [Correctness()])


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"outputs": "a"}\n{oops\n')
    with pytest.raises(ConfigError, match="line 2"):
        evaluate(p, [Safety(model="openai:/gpt-4o-mini")])


def test_missing_key_fails_before_any_row(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        evaluate(qa_rows(2), [Correctness()])


def test_scorer_checks(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ConfigError, match="Correctness\\(\\)"):
        evaluate(qa_rows(1), [Correctness])  # type: ignore[list-item]  # the class where an instance belongs, on purpose
    with pytest.raises(ConfigError, match="share the name"):
        evaluate(qa_rows(1), [Correctness(), Correctness()])
    with pytest.raises(ConfigError, match="concurrency"):
        evaluate(qa_rows(1), [Correctness()], concurrency=0)


def test_metrics_numbers_and_exports(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    @scorer(aggregations=["mean", "max"])
    def length(outputs: str) -> int:
        return len(outputs)

    tone = make_judge(name="tone", instructions="Rate the tone of {{ outputs }} from 1 to 5.",
                      feedback_value_type=int)
    fake_openai.responder = lambda body: '{"rationale": "ok", "result": 4}'
    result = evaluate(qa_rows(4), [length, tone])
    assert result.metrics["length/mean"] == 8.0 and result.metrics["length/max"] == 8.0
    assert result.metrics["tone/mean"] == 4.0
    df = result.to_pandas()
    assert list(df.columns[-6:]) == ["length/value", "length/rationale", "length/error",
                                     "tone/value", "tone/rationale", "tone/error"]
    assert len(df) == 4 and df["tone/value"].tolist() == [4, 4, 4, 4]
    out = result.to_json(tmp_path / "out.jsonl")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 4 and lines[0]["feedbacks"][1]["value"] == 4
    doc = json.loads(result.to_json(tmp_path / "out.json").read_text())
    assert doc["metrics"]["tone/mean"] == 4.0 and len(doc["rows"]) == 4


def test_unknown_price_makes_run_cost_unknown(fake_openai: FakeOpenAI) -> None:
    result = evaluate(qa_rows(2), [Correctness(model="openai:/my-private-model")])
    assert result.total_cost_usd is None
    known = evaluate(qa_rows(2), [Correctness()])
    assert known.total_cost_usd == pytest.approx(2 * (42 * 0.15 + 17 * 0.60) / 1e6)


def test_per_span_judges_in_evaluate(fake_openai: FakeOpenAI) -> None:
    from jurist.judges import RetrievalGroundedness

    trace = {"trace_id": "t1", "spans": [
        {"name": "app", "span_id": "root", "span_type": "CHAIN", "inputs": {"q": "x"}, "outputs": "y"},
        {"name": "r1", "span_id": "s1", "parent_id": "root", "span_type": "RETRIEVER", "outputs": ["doc a"]},
        {"name": "r2", "span_id": "s2", "parent_id": "root", "span_type": "RETRIEVER", "outputs": ["doc b"]},
    ]}
    result = evaluate([{"trace": trace}], [RetrievalGroundedness()])
    fbs = result.rows[0].feedbacks
    assert sorted(str(f.span_id) for f in fbs) == ["s1", "s2"]
    assert result.metrics["retrieval_groundedness/count"] == 2


async def test_aevaluate_from_a_running_loop(fake_openai: FakeOpenAI) -> None:
    result = await aevaluate(qa_rows(3), [Correctness()])
    assert result.metrics["correctness/pass_rate"] == 1.0


def test_server_errors_during_run_are_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(server_error(502))
    result = evaluate(qa_rows(2), [Correctness()])
    assert result.metrics["correctness/error_count"] == 0 and fake_openai.calls == 3


def test_sync_evaluate_inside_a_running_loop_like_jupyter(fake_openai: FakeOpenAI) -> None:
    import asyncio

    async def notebook_cell() -> tuple[EvaluationResult, Any]:
        return evaluate(qa_rows(2), [Correctness()]), Correctness()(
            inputs="q", outputs="a", expectations={"expected_response": "a"})

    result, fb = asyncio.run(notebook_cell())
    assert result.metrics["correctness/pass_rate"] == 1.0 and fb.value == "yes"


def test_concurrency_bounds_the_spans_a_judge_fans_out_to(fake_openai: FakeOpenAI) -> None:
    """One row whose trace has 300 RETRIEVER spans, at concurrency=2: never more than 2 requests in flight."""
    from jurist.judges import RetrievalRelevance

    spans: list[dict[str, Any]] = [{"name": "root", "span_id": "root", "span_type": "CHAIN", "inputs": {"q": "capital?"},
              "outputs": "Paris"}]
    spans += [{"name": f"r{i}", "span_id": f"r{i}", "parent_id": "root", "span_type": "RETRIEVER",
               "outputs": [f"document {i}"]} for i in range(300)]
    rows = [{"trace": {"trace_id": "tr-wide", "spans": spans}}, *({"outputs": f"answer {i}"} for i in range(4))]
    fake_openai.latency = 0.003  # so that requests overlap when nothing holds them back
    result = evaluate(rows, [RetrievalRelevance(), Safety()], concurrency=2, cache=False, log=False)
    assert fake_openai.calls == 300 + 5
    assert fake_openai.max_in_flight == 2
    assert sum(1 for fb in result.rows[0].feedbacks if fb.name == "retrieval_relevance" and fb.value) == 300


def test_a_direct_call_fans_out_within_the_default_concurrency(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    from jurist.judges import RetrievalRelevance

    monkeypatch.setenv("JURIST_MAX_CONCURRENCY", "3")
    spans: list[dict[str, Any]] = [
        {"name": "root", "span_id": "root", "span_type": "CHAIN", "inputs": "q", "outputs": "a"}]
    spans += [{"name": f"r{i}", "span_id": f"r{i}", "parent_id": "root", "span_type": "RETRIEVER",
               "outputs": [f"doc {i}"]} for i in range(40)]
    fake_openai.latency = 0.003
    fbs = RetrievalRelevance()(trace={"trace_id": "t", "spans": spans})
    assert len(fbs) == 40 and fake_openai.max_in_flight == 3


def test_a_ragged_csv_row_names_its_line(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("inputs,outputs\nq1,a1\nq2\nq3,a3,extra\n")
    with pytest.raises(ConfigError, match=r"d.csv: line 3 has 1 field\(s\) but the header has 2 \(inputs, outputs\)"):
        evaluate(p, [Safety(model="openai:/gpt-4o-mini")])
    p.write_text("inputs,outputs\nq1,a1\nq3,a3,extra\n")
    with pytest.raises(ConfigError, match="line 3 has 3 field"):
        evaluate(p, [Safety(model="openai:/gpt-4o-mini")])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".json"])
def test_a_file_that_is_not_utf8_names_the_file_and_line(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"d{suffix}"
    good = '{"outputs": "a"}\n' if suffix != ".csv" else "outputs\na\n"
    p.write_bytes(good.encode() + b'{"outputs": "caf\xe9"}\n' if suffix != ".csv" else good.encode() + b"caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"d{suffix}: line (2|3) is not UTF-8 text \(byte 0xe9\)"):
        evaluate(p, [Safety(model="openai:/gpt-4o-mini")])


def test_json_nested_too_deeply_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"outputs": ' + "[" * 3000 + "]" * 3000 + "}\n")
    with pytest.raises(ConfigError, match="line 1 is nested too deeply"):
        evaluate(p, [Safety(model="openai:/gpt-4o-mini")])


def test_a_csv_with_a_byte_order_mark_is_read(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes("\ufeffinputs,outputs\nq1,a1\n".encode())
    result = evaluate(p, [Safety()], log=False)
    assert result.rows[0].inputs == "q1" and result.rows[0].outputs == "a1"
