"""The executor seam: a run split into partitions and merged back gives what the local executor gives."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import jurist
from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.evaluation import Executor, LocalExecutor, Work
from jurist.judges import Correctness
from jurist.scorers import scorer
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI

MODEL = "openai:/gpt-4o-mini"


class Partitioned:
    """Runs the work as three partitions side by side, as a cluster executor would, and merges them."""

    def __init__(self) -> None:
        self.partitions: list[int] = []

    async def run(self, work: Work) -> list[list[Feedback]]:
        parts = work.split(3)
        self.partitions = [len(p.rows) for p in parts]
        results = await asyncio.gather(*(LocalExecutor().run(p) for p in parts))
        assert all(r is not None for r in results)  # a partition has no on_row: its feedback comes back
        return work.merge(parts, [r for r in results if r is not None])


@scorer
def length(outputs: Any) -> int:
    return len(str(outputs))


def test_a_partitioned_run_equals_the_local_one(fake_openai: FakeOpenAI) -> None:
    rows = [{"id": f"r{i}", "inputs": {"question": f"q{i}"}, "outputs": "x" * i,
             "expectations": {"expected_response": "x"}} for i in range(10)]
    judges = [Correctness(model=MODEL), length]
    local = jurist.evaluate(rows, judges)
    ex = Partitioned()
    assert isinstance(ex, Executor)
    split = jurist.evaluate(rows, judges, executor=ex)
    assert ex.partitions == [4, 3, 3]
    assert split.metrics == local.metrics
    assert [[(f.name, f.value) for f in r.feedbacks] for r in split.rows] == \
        [[(f.name, f.value) for f in r.feedbacks] for r in local.rows]
    # Every judgment was logged by the driver, as with the local executor.
    stored = jurist.get_run(some(split.run_id))
    assert stored.run_id == split.run_id


def test_resume_through_partitions_makes_only_the_missing_calls(fake_openai: FakeOpenAI) -> None:
    rows = [{"inputs": {"question": f"q{i}"}, "outputs": f"a{i}", "expectations": {"expected_response": "a"}}
            for i in range(6)]
    first = jurist.evaluate(rows[:6], [Correctness(model=MODEL)], cache=False)
    calls = fake_openai.calls
    again = jurist.evaluate(rows, [Correctness(model=MODEL)], cache=False, resume=first.run_id,
                            executor=Partitioned())
    assert fake_openai.calls == calls  # everything was stored: nothing judged again
    assert [r.feedbacks[0].value for r in again.rows] == [r.feedbacks[0].value for r in first.rows]


def test_split_keeps_done_work_with_its_rows() -> None:
    from jurist.evaluation import load_rows

    rows = load_rows([{"outputs": str(i)} for i in range(5)])
    done = {(1, 0): [Feedback(name="s", value=1)], (4, 0): [Feedback(name="s", value=4)]}
    work = Work(rows, [length], concurrency=8, done=done)
    parts = work.split(2)
    assert [[r.index for r in p.rows] for p in parts] == [[0, 2, 4], [1, 3]]
    assert parts[0].done == {(2, 0): done[(4, 0)]} and parts[1].done == {(0, 0): done[(1, 0)]}
    assert [p.concurrency for p in parts] == [4, 4]
    assert len(work.split(50)) == 5
    with pytest.raises(ConfigError):
        work.split(0)


def test_unknown_executors_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown executor 'spark'"):
        jurist.evaluate([{"outputs": "x"}], [length], executor="spark")
    with pytest.raises(ConfigError, match="async run"):
        jurist.evaluate([{"outputs": "x"}], [length], executor=object())
