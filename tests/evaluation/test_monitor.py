"""start_monitor: a registered judge judging an experiment's new traces in the background."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import jurist
from jurist.entities import AssessmentSourceType, Feedback, Trace
from jurist.errors import ConfigError
from jurist.evaluation import Monitor
from jurist.evaluation._monitor import in_sample
from jurist.tracking import get_trace as stored_trace
from jurist.tracking._store import set_active_experiment
from tests.fakes.openai import FakeOpenAI

EXP = "prod-bot"


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path / 'monitor.db'}"
    jurist.set_tracking_uri(uri)
    set_active_experiment(None)
    jurist.set_experiment(EXP)
    yield uri
    jurist.set_tracking_uri(None)
    set_active_experiment(None)


@pytest.fixture
def monitors() -> Iterator[list[Monitor]]:
    started: list[Monitor] = []
    yield started
    for m in started:
        m.stop(timeout=5)


def _register(name: str = "tone", instructions: str = "Is {{ outputs }} polite?") -> None:
    jurist.register_judge(jurist.make_judge(name=name, instructions=instructions, feedback_value_type=bool,
                                            model="openai:/gpt-4o-mini"))


def _trace(tid: str, tags: dict[str, str] | None = None) -> str:
    return jurist.log_trace(Trace.from_dict({"trace_id": tid, "tags": tags or {}, "spans": [
        {"name": "app", "span_id": "root", "inputs": {"q": f"question {tid}"}, "outputs": f"answer {tid}"}]}),
        experiment=EXP)


def _wait(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _judged(name: str = "tone") -> dict[str, int]:
    return {t.trace_id: len(t.search_assessments(name)) for t in jurist.search_traces(EXP, max_results=1000)
            if t.search_assessments(name)}


def test_every_trace_gets_exactly_one_feedback(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    ids = [_trace(f"t{i}") for i in range(5)]
    m = jurist.start_monitor("tone", EXP, poll_interval=0.05, backfill=True)
    monitors.append(m)
    _wait(lambda: m.stats.judged == 5)
    for _ in range(5):  # more polls change nothing
        m.poll()
    m.stop()
    assert _judged() == {i: 1 for i in ids}
    assert fake_openai.calls == 5
    assert (m.stats.seen, m.stats.sampled, m.stats.judged, m.stats.errors) == (5, 5, 5, 0)
    fb = stored_trace("t0").search_assessments("tone")[0]
    assert isinstance(fb, Feedback)
    assert fb.source.source_type is AssessmentSourceType.LLM_JUDGE and fb.error is None
    assert fb.metadata["monitor_id"] == m.monitor_id and fb.metadata["judge_version"] == 1


def test_traces_already_there_are_left_alone_and_new_ones_judged(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    _trace("old")
    m = jurist.start_monitor("tone", EXP, poll_interval=0.05)
    monitors.append(m)
    _trace("new1")
    _trace("new2")
    _wait(lambda: m.stats.judged == 2)
    m.stop()
    assert _judged() == {"new1": 1, "new2": 1}
    assert fake_openai.calls == 2


def test_sampling_is_the_deterministic_hash_subset(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    ids = [_trace(f"s{i}") for i in range(40)]
    expected = {i for i in ids if in_sample(i, 0.5)}
    assert 0 < len(expected) < len(ids)
    m = jurist.start_monitor("tone", EXP, sample_rate=0.5, poll_interval=0.05, backfill=True)
    monitors.append(m)
    _wait(lambda: m.stats.judged == len(expected))
    m.poll()
    m.stop()
    assert set(_judged()) == expected
    assert fake_openai.calls == len(expected)
    assert (m.stats.seen, m.stats.sampled) == (40, len(expected))


def test_filter_string_is_respected(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    m = jurist.start_monitor("tone", EXP, filter_string="tags.env = 'prod'", poll_interval=0.05)
    monitors.append(m)
    _trace("p1", {"env": "prod"})
    _trace("d1", {"env": "dev"})
    _trace("p2", {"env": "prod"})
    _wait(lambda: m.stats.judged == 2)
    m.poll()
    m.stop()
    assert _judged() == {"p1": 1, "p2": 1}
    assert fake_openai.calls == 2


def test_stop_ends_judging_and_is_idempotent(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    m = jurist.start_monitor("tone", EXP, poll_interval=0.05)
    monitors.append(m)
    _trace("before")
    _wait(lambda: m.stats.judged == 1)
    m.stop()
    m.stop()
    assert not m.running
    _trace("after")
    time.sleep(0.3)  # several poll intervals: nothing runs any more
    assert _judged() == {"before": 1}
    assert fake_openai.calls == 1


def test_a_judgment_that_fails_is_an_error_feedback_not_retried(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register("match", "Does {{ outputs }} match {{ expectations }}?")  # these traces have no expectations
    m = jurist.start_monitor("match", EXP, poll_interval=0.05)
    monitors.append(m)
    _trace("e1")
    _wait(lambda: m.stats.errors == 1)
    for _ in range(3):
        m.poll()
    m.stop()
    fbs = stored_trace("e1").search_assessments("match")
    assert len(fbs) == 1 and isinstance(fbs[0], Feedback)
    assert fbs[0].error is not None and fbs[0].value is None
    assert m.stats.judged == 0 and fake_openai.calls == 0


def test_a_pinned_version_is_used(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    _register()
    _register(instructions="Is {{ outputs }} polite and warm?")
    m = jurist.start_monitor("tone", EXP, version=1, poll_interval=0.05)
    monitors.append(m)
    assert m.version == 1 and m.judge.instructions == "Is {{ outputs }} polite?"


@pytest.mark.parametrize("rate", [-0.1, 1.5, "half", True])
def test_a_bad_sample_rate_is_a_config_error(sqlite: str, rate: Any) -> None:  # Any: wrong types on purpose
    _register()
    with pytest.raises(ConfigError, match="sample_rate must be a number from 0 to 1"):
        jurist.start_monitor("tone", EXP, sample_rate=rate)


def test_an_unknown_judge_is_a_config_error(sqlite: str) -> None:
    with pytest.raises(ConfigError, match="there is no judge named 'nope'"):
        jurist.start_monitor("nope", EXP)
    _register()
    with pytest.raises(ConfigError, match="version 7 of the judge named 'tone'"):
        jurist.start_monitor("tone", EXP, version=7)


def test_in_sample_is_a_stable_hash_rule() -> None:
    assert all(in_sample(f"x{i}", 1.0) for i in range(20))
    assert not any(in_sample(f"x{i}", 0.0) for i in range(20))
    share = sum(in_sample(f"id-{i}", 0.3) for i in range(2000)) / 2000
    assert 0.25 < share < 0.35
    assert [in_sample(f"id-{i}", 0.3) for i in range(50)] == [in_sample(f"id-{i}", 0.3) for i in range(50)]


def test_the_old_import_paths_still_work() -> None:
    from jurist.evaluation import _monitor
    from jurist.tracking import Monitor as Old
    from jurist.tracking._monitor import in_sample as old_in_sample
    from jurist.tracking._monitor import start_monitor

    assert Old is Monitor and old_in_sample is in_sample and start_monitor is _monitor.start_monitor


def test_the_store_layer_imports_no_judges() -> None:
    import subprocess
    import sys

    code = ("import sys, jurist.tracking, jurist.tracking._store, jurist.tracking._monitor; "
            "print(sorted(m for m in sys.modules if m.startswith(('jurist.judges', 'jurist.evaluation'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_judgments_run_on_the_runtime_loop_not_a_thread_pool(sqlite: str, fake_openai: FakeOpenAI, monitors: list[Monitor]) -> None:
    import threading

    _register()
    before = {t.name for t in threading.enumerate()}
    m = jurist.start_monitor("tone", EXP, poll_interval=0.05, concurrency=3, backfill=True)
    monitors.append(m)
    for i in range(6):
        _trace(f"r{i}")
    _wait(lambda: m.stats.judged == 6)
    m.stop()
    assert not any(n.startswith("jurist-monitor") for n in {t.name for t in threading.enumerate()} - before)
    assert fake_openai.max_in_flight <= 3
