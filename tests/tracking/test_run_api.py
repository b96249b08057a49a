"""MLflow's run API on SQLite, PostgreSQL and a jurist server: ``start_run`` as a context manager and a
plain call, nesting, parameters, metrics and tags, ``search_runs``' DataFrame and filter, and
``evaluate()`` logging into the active run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import jurist
from jurist.errors import ConfigError, NotFoundError
from jurist.scorers import scorer
from jurist.tracking import set_tracking_uri
from tests._helpers import some


@pytest.fixture
def backend(store: Any) -> Iterator[Any]:
    set_tracking_uri(store.uri)
    yield store
    jurist.end_run()
    set_tracking_uri(None)


@scorer
def is_short(outputs: str) -> bool:
    return len(outputs.split()) <= 3


def test_a_run_as_a_context_manager(backend: Any) -> None:
    with jurist.start_run(run_name="baseline", tags={"team": "qa"}) as run:
        assert jurist.active_run() is not None and jurist.active_run().run_id == run.info.run_id  # type: ignore[union-attr]
        jurist.log_param("model", "gpt-4o-mini")
        jurist.log_params({"temperature": 0.2, "top_k": 5})
        jurist.log_metric("accuracy", 0.5)
        jurist.log_metric("accuracy", 0.75, step=1)
        jurist.log_metrics({"latency_s": 1.5})
        jurist.set_tag("stage", "dev")
        jurist.set_tags({"owner": "ana"})
        assert run.info.status == "RUNNING"
    assert jurist.active_run() is None
    got = jurist.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "baseline" and got.info.end_time
    assert got.data.params == {"model": "gpt-4o-mini", "temperature": "0.2", "top_k": "5"}
    assert got.data.metrics == {"accuracy": 0.75, "latency_s": 1.5}
    wanted = {"team": "qa", "stage": "dev", "owner": "ana", "mlflow.runName": "baseline"}
    assert {k: got.data.tags.get(k) for k in wanted} == wanted


def test_plain_calls_nesting_and_failures(backend: Any) -> None:
    parent = jurist.start_run(run_name="sweep")
    with pytest.raises(ConfigError, match="nested=True"):
        jurist.start_run()
    with jurist.start_run(run_name="trial-1", nested=True) as child:
        jurist.log_metric("score", 1)
    assert jurist.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert jurist.active_run().run_id == parent.info.run_id  # type: ignore[union-attr]
    jurist.end_run()
    assert jurist.get_run(parent.info.run_id).info.status == "FINISHED"
    with pytest.raises(ValueError), jurist.start_run() as failed:
        raise ValueError("boom")
    assert jurist.get_run(failed.info.run_id).info.status == "FAILED"
    last = jurist.last_active_run()
    assert last is not None and last.info.run_id == failed.info.run_id
    jurist.end_run()  # none active: nothing happens


def test_a_parameter_keeps_its_first_value(backend: Any) -> None:
    with jurist.start_run():
        jurist.log_param("model", "a")
        jurist.log_param("model", "a")  # the same value again is fine
        with pytest.raises(ConfigError, match="logged once"):
            jurist.log_param("model", "b")
        with pytest.raises(ConfigError, match="must be a number"):
            jurist.log_metric("accuracy", "high")  # type: ignore[arg-type]
        jurist.set_tag("gone", "x")
        jurist.delete_tag("gone")
        assert "gone" not in jurist.active_run().data.tags  # type: ignore[union-attr]


def test_logging_with_no_active_run_starts_one(backend: Any) -> None:
    jurist.log_metric("accuracy", 0.9)
    run = jurist.active_run()
    assert run is not None and run.data.metrics == {"accuracy": 0.9}
    jurist.end_run()
    assert jurist.get_run(some(run.run_id)).info.status == "FINISHED"


def test_search_runs_as_a_dataframe(backend: Any) -> None:
    exp_id = jurist.create_experiment("runs-search")
    for i, model in enumerate(["small", "large", "medium"]):
        with jurist.start_run(experiment_id=exp_id, run_name=f"r{i}"):
            jurist.log_param("model", model)
            jurist.log_metric("accuracy", [0.6, 0.9, 0.8][i])
    df = jurist.search_runs(experiment_ids=[exp_id], filter_string="metrics.accuracy > 0.7",
                            order_by=["metrics.accuracy DESC"])
    assert list(df["params.model"]) == ["large", "medium"]
    assert list(df["tags.mlflow.runName"]) == ["r1", "r2"] and set(df["status"]) == {"FINISHED"}
    listed = jurist.search_runs(experiment_ids=[exp_id], filter_string="params.model = 'small'", output_format="list")
    assert [r.name for r in listed] == ["r0"]
    assert len(jurist.search_runs(experiment_names=["runs-search"], filter_string="attributes.run_name LIKE 'r%'")) == 3
    with pytest.raises(ConfigError, match="search_runs filter"):
        jurist.search_runs(experiment_ids=[exp_id], filter_string="accuracy is high")


def test_evaluate_inside_a_run_logs_into_it(backend: Any) -> None:
    data = [{"inputs": {"q": "hi"}, "outputs": "short answer"}, {"inputs": {"q": "hey"}, "outputs": "a much longer one"}]
    with jurist.start_run(run_name="eval") as run:
        jurist.log_param("app_version", "3")
        jurist.log_metric("offline_score", 0.4)
        result = jurist.genai.evaluate(data=data, scorers=[is_short])
        assert result.run_id == run.info.run_id
        assert jurist.get_run(run.info.run_id).info.status == "RUNNING"  # still the user's to end
        (final,) = jurist.MlflowClient().get_metric_history(run.info.run_id, "is_short/mean")
        assert final.value == 0.5 and final.step == 0
        second = jurist.genai.evaluate(data=data, scorers=[is_short])
    got = jurist.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics["is_short/mean"] == 0.5 and got.data.metrics["offline_score"] == 0.4
    assert got.data.params["app_version"] == "3" and got.data.params["rows"] == "2"
    # A second evaluation in the same run goes to a child run: two evaluations never share rows.
    assert second.run_id != run.info.run_id
    assert jurist.get_run(some(second.run_id)).data.tags["mlflow.parentRunId"] == run.info.run_id
    assert len(jurist.search_traces(run_id=run.info.run_id, return_type="list")) == 2


def test_start_run_resumes_a_run_by_id(backend: Any) -> None:
    with jurist.start_run() as first:
        jurist.log_metric("a", 1)
    with jurist.start_run(run_id=first.info.run_id):
        jurist.log_metric("b", 2)
    assert jurist.get_run(first.info.run_id).data.metrics == {"a": 1.0, "b": 2.0}
    with pytest.raises(NotFoundError):
        jurist.start_run(run_id="no-such-run")


def test_metric_history_by_step(backend: Any) -> None:
    from jurist.tracking import Metric, MlflowClient, Param

    with jurist.start_run() as run:
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            jurist.log_metric("loss", loss, step=step)
        jurist.log_metric("loss", 0.7, step=1)  # a late value for an earlier step is history, not the latest
    client = MlflowClient()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.5), (2, 0.3), (1, 0.7)]
    assert jurist.get_run(run.info.run_id).data.metrics["loss"] == 0.3
    other = client.create_run(run.info.experiment_id)
    client.log_batch(other.info.run_id, metrics=[Metric("acc", 0.5, 1, 0), Metric("acc", 0.8, 2, 1)],
                     params=[Param("model", "m")])
    assert [m.value for m in client.get_metric_history(other.info.run_id, "acc")] == [0.5, 0.8]
    assert client.get_run(other.info.run_id).data.params == {"model": "m"}
    assert client.get_metric_history(other.info.run_id, "nothing") == []
