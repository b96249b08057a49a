"""Streaming: a file is read, judged and handed to the result a window at a time, so the rows held do not
grow with the data, while the result, the metrics and resume are those of a run that held everything."""

from __future__ import annotations

import json
import pickle
import random
import re
import weakref
from pathlib import Path
from typing import Any

import pytest

import jurist
from jurist import scorer
from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.evaluation import EvaluationResult, LocalExecutor, Work
from jurist.evaluation._result import RowResult, _pass_value
from jurist.evaluation._result_builder import FeedbackStats
from jurist.evaluation._result_rows import CHUNK_ROWS, SPILL_AFTER, ResultRows
from jurist.evaluation._runner import WINDOW_PER_SLOT
from jurist.judges import Correctness
from jurist.judges._reduce import cohen_kappa, fleiss_kappa
from jurist.scorers._aggregations import Aggregation, aggregate
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI


# The metrics computed from the whole list of a name's feedback, as evaluate() did before it streamed: the
# reference the running metrics must equal.
def composed_metrics(feedbacks: list[Feedback]) -> dict[str, Any]:
    """What judges made of judges add: a pairwise judge's position consistency (the share of comparisons
    whose verdict held when the responses swapped places) and a jury's agreement between its jurors
    (Cohen's κ for two jurors, Fleiss' κ for more; over the rows where every juror answered)."""
    out: dict[str, Any] = {}
    flags = [x for f in feedbacks if f.error is None and f.metadata
             for x in (f.metadata.get("position_consistent"),) if isinstance(x, bool)]
    if flags:
        out["position_consistency"] = sum(flags) / len(flags)
        out["pairs_judged"] = len(flags)
    rated = [f.metadata["juror_values"] for f in feedbacks
             if f.metadata and isinstance(f.metadata.get("juror_values"), list)]
    complete = [r for r in rated if r and all(v is not None for v in r)]
    if complete:
        shares = [f.metadata["agreement"] for f in feedbacks if f.metadata and "agreement" in f.metadata]
        if shares:
            out["agreement"] = sum(shares) / len(shares)
        kappa = cohen_kappa([r[0] for r in complete], [r[1] for r in complete]) if len(complete[0]) == 2 \
            else fleiss_kappa(complete)
        if kappa is not None:
            out["agreement_kappa"] = kappa
    return out


def feedback_metrics(feedbacks: list[Feedback], aggregations: list[Aggregation] | None) -> dict[str, Any]:
    """Metrics of one feedback name: count, error_count, then pass_rate (yes/no, bool) or aggregations."""
    values: list[Any] = [f.value for f in feedbacks if f.error is None and f.value is not None]
    out: dict[str, Any] = {"count": len(feedbacks), "error_count": sum(1 for f in feedbacks if f.error is not None)}
    out.update(composed_metrics(feedbacks))
    if not values:
        return out
    passes = [_pass_value(v) for v in values]
    if all(p is not None for p in passes):
        out["pass_rate"] = sum(1 for p in passes if p) / len(passes)
        return out
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        out.update(aggregate([float(v) for v in values], aggregations or ["mean"]))
        return out
    if all(isinstance(v, str) for v in values):
        dist: dict[str, float] = {}
        for v in values:
            dist[v] = dist.get(v, 0) + 1
        out["distribution"] = {k: n / len(values) for k, n in sorted(dist.items())}
    return out


MODEL = "openai:/gpt-4o-mini"


def _row(i: int) -> dict[str, Any]:
    return {"id": f"r{i}", "inputs": {"question": f"question {i}"}, "outputs": "x" * (i % 7 + 1),
            "expectations": {"expected_response": "x"}, "tags": {"i": i}}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _verdicts(body: dict[str, Any]) -> str:
    n = int(some(re.search(r"question (\d+)", str(body["messages"]))).group(1))
    return '{"rationale": "row %d", "result": "%s"}' % (n, "yes" if n % 3 else "no")


def _table(result: EvaluationResult) -> list[tuple[Any, ...]]:
    return [(r.index, r.id, r.inputs, r.outputs, r.tags,
             [(f.name, f.value, f.rationale, f.error.error_code if f.error else None) for f in r.feedbacks])
            for r in result.rows]


class _Probe:
    """Put in a row's inputs as it is judged: alive exactly as long as something holds the row's data."""

    alive = 0

    def __init__(self) -> None:
        _Probe.alive += 1
        weakref.finalize(self, _Probe._gone)

    @staticmethod
    def _gone() -> None:
        _Probe.alive -= 1

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, ())  # a spilled row keeps no probe: only the rows held in memory count


@scorer(name="length", aggregations=["mean", "median", "p90", "variance"])
def length(outputs: Any) -> int:
    return len(str(outputs))


@scorer
def fraction(inputs: Any) -> float:
    return int(inputs["question"].split()[-1]) / 10  # 0.1, 0.2, ...: a sum whose rounding shows


@scorer
def kind(outputs: Any) -> str:
    return "short" if len(str(outputs)) < 4 else "long"


def test_a_large_file_is_judged_holding_a_bounded_window_of_rows(tmp_path: Path) -> None:
    n, concurrency = 20_000, 8
    data = _write(tmp_path / "big.jsonl", [_row(i) for i in range(n)])
    alive_after_spill: list[int] = []

    @scorer
    def probe(inputs: Any) -> bool:
        inputs["probe"] = _Probe()
        i = int(inputs["question"].split()[-1])
        if i > 2 * SPILL_AFTER:  # the result has moved its rows to disk by now
            alive_after_spill.append(_Probe.alive)
        return True

    _Probe.alive = 0
    result = jurist.evaluate(str(data), [probe], concurrency=concurrency, log=False)
    assert len(result.rows) == n and result.metrics["probe/count"] == n and result.metrics["probe/pass_rate"] == 1
    assert isinstance(result.rows, ResultRows) and result.rows.spilled
    assert len(alive_after_spill) == n - 2 * SPILL_AFTER - 1
    # What holds a row's data is the runner's window and the result's last chunk, whatever the file's size.
    assert max(alive_after_spill) <= WINDOW_PER_SLOT * concurrency + CHUNK_ROWS + 1
    assert [r.index for r in result.rows] == list(range(n))
    assert result.rows[-1].id == f"r{n - 1}" and result.rows[12_345].tags == {"i": 12_345}


def test_a_streamed_file_gives_what_held_rows_give(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.responder = _verdicts
    n = SPILL_AFTER + 500  # past the spill: the result's rows are read back from disk
    rows = [_row(i) for i in range(n)]
    data = _write(tmp_path / "rows.jsonl", rows)
    judges = [Correctness(model=MODEL), length, fraction, kind]
    streamed = jurist.evaluate(str(data), judges, concurrency=16)
    assert fake_openai.calls == n

    class Held:
        """Returns every row's feedback at the end, as an executor that knows nothing of streaming does."""

        async def run(self, work: Work) -> list[list[Feedback]] | None:
            return await LocalExecutor().run(Work(list(work.rows), work.scorers, concurrency=work.concurrency,
                                                  on_judged=work.on_judged))

    held = jurist.evaluate(rows, judges, concurrency=16, executor=Held())
    assert _table(streamed) == _table(held)
    assert streamed.metrics == held.metrics
    assert streamed.scorer_metrics == held.scorer_metrics
    # The running metrics are those computed from the whole list of feedback, to the last bit.
    for name in ("correctness", "length", "fraction", "kind"):
        fbs = [f for r in streamed.rows for f in r.feedbacks if f.name == name]
        aggs = length.aggregations if name == "length" else None
        assert streamed.scorer_metrics[name] == feedback_metrics(fbs, aggs)
    assert set(streamed.scorer_metrics["kind"]["distribution"]) == {"short", "long"}
    assert streamed.judge_calls == n and held.cached_judgments == n
    # The stored run is the result.
    stored = jurist.get_run(some(streamed.run_id))
    assert stored.row_count == n and stored.metrics == streamed.metrics
    frame = streamed.to_pandas()
    assert len(frame) == n and list(frame["correctness/value"][:3]) == ["no", "yes", "yes"]


def test_running_metrics_equal_those_of_the_whole_list() -> None:
    rng = random.Random(7)
    cases: list[list[Any]] = [
        [rng.uniform(-1e6, 1e6) for _ in range(3000)] + [1e-9, 1e16, -1e16],
        [rng.choice(["yes", "no", "Pass", "FAIL", True, False]) for _ in range(500)],
        [rng.choice(["a", "b", "c"]) for _ in range(500)],
        [1, 2.5, "x", None, 3],
        [float("inf"), 1.0, 2.0],
        [],
    ]
    for values in cases:
        fbs = [Feedback(name="s", value=v) for v in values]
        fbs.append(Feedback(name="s", error=ValueError("broken")))
        options: list[list[Aggregation] | None] = [None, ["mean", "min", "max", "median", "p99"]]
        for aggs in options:
            stats = FeedbackStats(aggs)
            for f in fbs:
                stats.add(f)
            assert stats.metrics() == feedback_metrics(fbs, aggs)


def test_spilled_rows_read_back_in_order_and_equal_the_rows_kept() -> None:
    kept = [RowResult(index=i, inputs={"q": i}, outputs=str(i), feedbacks=[Feedback(name="s", value=i % 2 == 0)])
            for i in range(700)]
    rows = ResultRows(kept, spill_after=100, chunk_rows=64)  # 10 chunks on disk, 60 rows after them
    assert rows.spilled and len(rows) == 700
    assert rows == kept and list(rows) == kept
    assert rows[0] == kept[0] and rows[-1] == kept[-1] and rows[250:253] == kept[250:253]
    assert rows[639] == kept[639] and rows[640] == kept[640] and rows[-61] == kept[-61]
    assert [rows[k].index for k in range(700)] == list(range(700))
    assert [r.index for r in rows][::100] == list(range(0, 700, 100))
    with pytest.raises(IndexError):
        rows[700]
    assert pickle.loads(pickle.dumps(rows)) == kept  # a pickled result carries its rows
    small = ResultRows(kept[:5], spill_after=100)
    assert not small.spilled and small == kept[:5]


def test_rows_that_cannot_be_pickled_stay_in_memory() -> None:
    import threading

    rows = ResultRows(spill_after=3, chunk_rows=2)
    for i in range(10):
        rows.append(RowResult(index=i, inputs={"lock": threading.Lock()} if i == 6 else {"q": i}))
    assert not rows.spilled and [r.index for r in rows] == list(range(10))


def test_resume_of_a_streamed_file_makes_only_the_missing_calls(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.responder = _verdicts
    rows = [_row(i) for i in range(1200)]
    first = jurist.evaluate(str(_write(tmp_path / "first.jsonl", rows[:700])), [Correctness(model=MODEL)],
                            cache=False, concurrency=16)
    assert fake_openai.calls == 700
    again = jurist.evaluate(str(_write(tmp_path / "all.jsonl", rows)), [Correctness(model=MODEL)], cache=False,
                            concurrency=16, resume=first.run_id)
    assert fake_openai.calls == 1200  # the 500 rows the first run did not have, and no other
    assert again.run_id == first.run_id and len(again.rows) == 1200
    assert [some(r.feedback("correctness")).value for r in again.rows] == \
        ["yes" if i % 3 else "no" for i in range(1200)]
    assert jurist.get_run(some(again.run_id)).row_count == 1200


@pytest.mark.parametrize(("suffix", "bad", "message"), [
    (".jsonl", '{"inputs": {"question": "q"}, "colour": "red"}\n', r"row 4800 has unknown column\(s\) 'colour'"),
    (".jsonl", '{"inputs": \n', r"line 4801 is not valid JSON"),
    (".csv", '"{""question"": ""q""}",x,extra\n', r"line 4802 has 3 field\(s\) but the header has 2"),
])
def test_a_bad_row_late_in_a_file_fails_before_any_judgment(fake_openai: FakeOpenAI, tmp_path: Path, suffix: str,
                                                            bad: str, message: str) -> None:
    good = [_row(i) for i in range(5000)]
    if suffix == ".jsonl":
        lines = [json.dumps(r) + "\n" for r in good]
    else:
        lines = ["inputs,outputs\n"] + ['"{""question"": ""q%d""}",a%d\n' % (i, i) for i in range(5000)]
    lines.insert(4800 + (suffix == ".csv"), bad)
    data = tmp_path / f"rows{suffix}"
    data.write_text("".join(lines))
    with pytest.raises(ConfigError, match=message):
        jurist.evaluate(str(data), [Correctness(model=MODEL)])
    assert fake_openai.calls == 0


def test_bytes_that_are_not_utf8_late_in_a_file_are_named_by_line(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    body = "".join(json.dumps(_row(i)) + "\n" for i in range(3000)).encode()
    data.write_bytes(body + b'{"outputs": "caf\xe9"}\n')
    with pytest.raises(ConfigError, match=r"line 3001 is not UTF-8 text \(byte 0xe9\)"):
        jurist.evaluate(str(data), [Correctness(model=MODEL)])
    assert fake_openai.calls == 0
