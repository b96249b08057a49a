"""MLflow's scorer lifecycle: register, start, update, stop, list, get, delete — over jurist's judge
registry and monitors."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

import jurist
from jurist.genai import scorer
from jurist.genai.scorers import (
    Safety,
    ScorerSamplingConfig,
    delete_scorer,
    get_scorer,
    list_scorers,
)
from tests._helpers import some
from tests.genai._helpers import JudgeSays


@scorer
def response_length(outputs: object) -> int:
    return len(str(outputs))


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the monitor did not judge the trace")
        time.sleep(0.05)


def test_lifecycle_of_a_builtin_judge(judge_says: JudgeSays) -> None:
    judge_says("yes")
    jurist.set_experiment("prod-monitoring")
    safety_judge = Safety().register(name="safety_check")
    assert safety_judge.name == "safety_check" and safety_judge.status == "STOPPED"
    safety_judge = safety_judge.start(sampling_config=ScorerSamplingConfig(sample_rate=1.0))
    assert safety_judge.sample_rate == 1.0 and safety_judge.status == "STARTED"

    @jurist.trace
    def app(question: str) -> str:
        return "Here is how to reset it."

    app("reset my password")
    trace_id = some(jurist.get_last_active_trace_id())

    def judged() -> bool:
        return any(a.name == "safety_check" for a in some(jurist.get_trace(trace_id)).info.assessments)

    _wait_for(judged)
    updated = safety_judge.update(sampling_config=ScorerSamplingConfig(sample_rate=0.8))
    assert updated.sample_rate == 0.8 and safety_judge.sample_rate == 1.0  # a new object each time
    assert get_scorer(name="safety_check").sample_rate == 0.8
    assert [s.name for s in list_scorers()] == ["safety_check"]
    stopped = updated.stop()
    assert stopped.sample_rate == 0 and stopped.status == "STOPPED"
    delete_scorer(name="safety_check")
    assert list_scorers() == []
    with pytest.raises(jurist.ConfigError, match="no scorer named"):
        get_scorer(name="safety_check")


def test_registered_code_scorer_is_a_reference_not_source(judge_says: JudgeSays) -> None:
    jurist.set_experiment("code-monitoring")
    registered = response_length.register(name="response_length")
    stored = jurist.tracking.get_store().get_judge("response_length")
    assert stored.definition["reference"] == f"{__name__}:response_length"
    assert "def " not in str(stored.definition)  # never the function's source
    running = registered.start(sampling_config=ScorerSamplingConfig(sample_rate=1.0, filter_string="trace.status = 'OK'"))
    assert get_scorer(name="response_length").filter_string == "trace.status = 'OK'"

    @jurist.trace
    def app(question: str) -> str:
        return "abcd"

    app("q")
    trace_id = some(jurist.get_last_active_trace_id())
    _wait_for(lambda: any((a.name == "response_length" and a.value == len('"abcd"')) or a.value == 4
                          for a in some(jurist.get_trace(trace_id)).info.assessments))
    running.stop()
    delete_scorer(name="response_length")


def test_a_local_function_cannot_be_registered() -> None:
    @scorer
    def local_one(outputs: str) -> bool:
        return True

    with pytest.raises(jurist.ConfigError, match="import path"):
        local_one.register(name="local_one")


def test_start_needs_registration() -> None:
    with pytest.raises(jurist.ConfigError, match="not registered"):
        Safety().start(sampling_config=ScorerSamplingConfig(sample_rate=0.5))


def test_delete_scorer_through_a_server(tmp_path: Path) -> None:
    from jurist.server._serve import ServerThread

    with ServerThread(f"sqlite:///{tmp_path / 'served.db'}", token="") as server:
        jurist.set_tracking_uri(server.url)
        try:
            Safety().register(name="served_safety")
            assert [s.name for s in list_scorers()] == ["served_safety"]
            delete_scorer(name="served_safety")
            assert list_scorers() == []
            with pytest.raises(jurist.tracking.NotFoundError):
                delete_scorer(name="served_safety")
        finally:
            jurist.set_tracking_uri(None)
