"""``MlflowClient`` on SQLite, PostgreSQL and a jurist server: experiments, runs, traces' tags, deleting
traces, and assessments read, updated and deleted by id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import jurist
from jurist.entities import Feedback
from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import MlflowClient, set_tracking_uri


@pytest.fixture
def client(store: Any) -> Iterator[MlflowClient]:
    set_tracking_uri(store.uri)
    yield MlflowClient()
    set_tracking_uri(None)


def _traced(question: str) -> str:
    @jurist.trace(name="answer")
    def answer(q: str) -> str:
        return f"echo {q}"

    answer(question)
    trace_id = jurist.get_last_active_trace_id()
    assert trace_id is not None
    return trace_id


def test_both_import_paths_are_one_class() -> None:
    from jurist.tracking import MlflowClient as FromTracking

    assert jurist.MlflowClient is FromTracking


def test_experiments(client: MlflowClient) -> None:
    exp_id = client.create_experiment("support-bot", tags={"team": "support"})
    client.create_experiment("billing-bot")
    exp = client.get_experiment(exp_id)
    assert exp.name == "support-bot" and exp.tags == {"team": "support"} and exp.lifecycle_stage == "active"
    by_name = client.get_experiment_by_name("support-bot")
    assert by_name is not None and by_name.experiment_id == exp_id
    assert client.get_experiment_by_name("nope") is None
    assert [e.name for e in client.search_experiments(filter_string="name LIKE '%bot'", order_by=["name ASC"])] == \
        ["billing-bot", "support-bot"]
    assert [e.name for e in client.search_experiments(filter_string="tags.team = 'support'")] == ["support-bot"]


def test_runs(client: MlflowClient) -> None:
    exp_id = client.create_experiment("client-runs")
    run = client.create_run(exp_id, run_name="manual", tags={"k": "v"})
    assert run.info.status == "RUNNING" and jurist.active_run() is None  # the client makes no run active
    client.log_param(run.info.run_id, "model", "m1")
    client.log_metric(run.info.run_id, "accuracy", 0.8, step=0)
    client.set_tag(run.info.run_id, "stage", "prod")
    client.set_terminated(run.info.run_id)
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "manual"
    assert got.data.metrics == {"accuracy": 0.8} and got.data.params == {"model": "m1"}
    assert got.data.tags["stage"] == "prod" and got.data.tags["k"] == "v"
    other = client.create_run(exp_id)
    client.log_metric(other.info.run_id, "accuracy", 0.3)
    found = client.search_runs([exp_id], filter_string="metrics.accuracy >= 0.5")
    assert [r.info.run_id for r in found] == [run.info.run_id]
    client.set_terminated(other.info.run_id, status="KILLED")
    assert client.get_run(other.info.run_id).info.status == "KILLED"
    with pytest.raises(ConfigError, match="status"):
        client.set_terminated(other.info.run_id, status="DONE")


def test_trace_tags_and_deleting_traces(client: MlflowClient) -> None:
    first, second, third = (_traced(q) for q in ("a", "b", "c"))
    client.set_trace_tag(first, "reviewed", "yes")
    assert client.get_trace(first).info.tags["reviewed"] == "yes"
    client.delete_trace_tag(first, "reviewed")
    assert "reviewed" not in client.get_trace(first).info.tags
    with pytest.raises(NotFoundError):
        client.delete_trace_tag(first, "reviewed")
    exp_id = jurist.tracking.active_experiment().experiment_id
    listed = client.search_traces(experiment_ids=[exp_id])
    assert {t.trace_id for t in listed} == {first, second, third}
    assert client.delete_traces(exp_id, trace_ids=[second]) == 1
    with pytest.raises(NotFoundError):
        client.get_trace(second)
    assert client.delete_traces(exp_id, max_timestamp_millis=int(time.time() * 1000) + 1000, max_traces=1) == 1
    assert len(client.search_traces(experiment_ids=[exp_id])) == 1
    with pytest.raises(ConfigError, match="trace_ids= or max_timestamp_millis="):
        client.delete_traces(exp_id)


def test_assessments_by_id(client: MlflowClient) -> None:
    trace_id = _traced("capital of France?")
    fb = jurist.log_feedback(trace_id=trace_id, name="correctness", value="no", rationale="guessing")
    assert fb.assessment_id
    got = client.get_assessment(trace_id, fb.assessment_id)
    assert isinstance(got, Feedback) and got.value == "no" and got.source.source_type.value == "HUMAN"
    updated = client.update_assessment(trace_id, fb.assessment_id, Feedback(value="yes", rationale="checked"))
    assert isinstance(updated, Feedback)
    assert (updated.name, updated.value, updated.rationale) == ("correctness", "yes", "checked")
    assert [a.value for a in client.get_trace(trace_id).search_assessments("correctness")] == ["yes"]
    client.delete_assessment(trace_id, fb.assessment_id)
    assert client.get_trace(trace_id).search_assessments("correctness") == []
    with pytest.raises(NotFoundError):
        client.get_assessment(trace_id, fb.assessment_id)
    logged = client.log_assessment(trace_id, Feedback(name="tone", value=True))
    assert logged.assessment_id and jurist.get_assessment(trace_id, logged.assessment_id).value is True


def test_prompts_through_the_client(client: MlflowClient) -> None:
    v = client.register_prompt("client-prompt", "Hello {{ name }}")
    client.set_prompt_alias("client-prompt", "prod", v.version)
    loaded = client.load_prompt("prompts:/client-prompt@prod")
    assert loaded is not None and loaded.format(name="Ana") == "Hello Ana"
    assert [p.name for p in client.search_prompts()] == ["client-prompt"]
