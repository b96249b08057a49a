"""MLflow's evaluation datasets (``mlflow.genai.datasets``), stored in the tracking store, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import jurist
from jurist.genai.datasets import (
    create_dataset,
    delete_dataset,
    delete_dataset_tag,
    get_dataset,
    search_datasets,
    set_dataset_tags,
)
from jurist.genai.scorers import Correctness
from tests._helpers import some
from tests.genai._helpers import JudgeSays
from tests.tracking.conftest import postgres_url, store_uri  # noqa: F401 - fixtures


@pytest.fixture(params=["database", "server"])
def tracking_store(request: pytest.FixtureRequest, store_uri: str) -> Iterator[str]:  # noqa: F811
    """A SQLite or PostgreSQL store, used directly or through a jurist server over it."""
    if request.param == "database":
        jurist.set_tracking_uri(store_uri)
        yield store_uri
        jurist.set_tracking_uri(None)
        return
    from jurist.server._serve import ServerThread

    with ServerThread(store_uri, token="") as server:
        jurist.set_tracking_uri(server.url)
        yield server.url
        jurist.set_tracking_uri(None)


def test_create_merge_and_read(tracking_store: str) -> None:
    dataset = create_dataset(name="customer_support_qa", experiment_id=["0"],
                             tags={"version": "1.0", "team": "ml-platform"})
    assert dataset.dataset_id.startswith("d-") and dataset.tags == {"version": "1.0", "team": "ml-platform"}
    dataset.merge_records([
        {"inputs": {"question": "What are your business hours?"},
         "expectations": {"expected_answer": "9am-5pm", "must_mention_hours": True}},
        {"inputs": {"question": "How do I reset my password?"}},
    ])
    assert len(dataset.records) == 2
    assert dataset.records[0].source == {"source_type": "HUMAN"} and dataset.records[1].source["source_type"] == "CODE"
    # the same inputs again: expectations merged into the one record, not a second record
    dataset.merge_records([{"inputs": {"question": "What are your business hours?"},
                            "expectations": {"expected_answer": "9am-6pm", "must_include_timezone": True}}])
    records = get_dataset(dataset_id=dataset.dataset_id).records
    assert len(records) == 2
    assert records[0].expectations == {"expected_answer": "9am-6pm", "must_mention_hours": True,
                                       "must_include_timezone": True}
    df = dataset.to_df()
    assert list(df["inputs"])[1] == {"question": "How do I reset my password?"}
    assert dataset.schema["expectations"]["must_mention_hours"] == "bool"
    assert dataset.profile == {"num_records": 2, "num_with_expectations": 1, "source_types": {"HUMAN": 1, "CODE": 1}}
    dataset_dict = dataset.to_dict()
    from jurist.genai.datasets import EvaluationDataset

    assert EvaluationDataset.from_dict(dataset_dict).dataset_id == dataset.dataset_id
    delete_dataset(dataset_id=dataset.dataset_id)
    rebuilt = EvaluationDataset.from_dict(dataset_dict)
    assert rebuilt.dataset_id != dataset.dataset_id and len(rebuilt.records) == 2


def test_merge_from_dataframe_and_traces(tracking_store: str) -> None:
    dataset = create_dataset(name="from_everywhere")
    dataset.merge_records(pd.DataFrame([
        {"inputs": {"question": "What is MLflow?"}, "expectations": {"expected_answer": "A platform"},
         "tags": {"priority": "high"}}]))

    @jurist.trace
    def app(question: str) -> str:
        return "answer"

    app("from a trace")
    dataset.merge_records(jurist.search_traces(experiment_ids=["0"]))
    got = {r.inputs["question"]: r for r in dataset.records}
    assert got["What is MLflow?"].tags == {"priority": "high"}
    assert got["from a trace"].source["source_type"] == "TRACE" and got["from a trace"].outputs == "answer"


def test_evaluate_a_dataset(tracking_store: str, judge_says: JudgeSays) -> None:
    judge_says("yes")
    dataset = create_dataset(name="golden")
    dataset.merge_records([{"inputs": {"question": "Capital of France?"},
                            "expectations": {"expected_response": "Paris"}}])

    def my_app(question: str) -> str:
        return "Paris"

    result = jurist.genai.evaluate(data=dataset, predict_fn=my_app, scorers=[Correctness()])
    assert result.metrics["correctness/mean"] == 1.0
    assert some(jurist.get_trace(some(result.rows[0].trace_id))).data.response == "Paris"


def test_search_tags_and_delete(tracking_store: str) -> None:
    a = create_dataset(name="support_active", tags={"status": "active"})
    create_dataset(name="billing_old", tags={"status": "old"})
    found = search_datasets(filter_string="tags.status = 'active' AND name LIKE '%support%'")
    assert [d.name for d in found] == ["support_active"]
    set_dataset_tags(dataset_id=a.dataset_id, tags={"validated": "true", "status": "production"})
    delete_dataset_tag(dataset_id=a.dataset_id, key="validated")
    assert get_dataset(name="support_active").tags == {"status": "production"}
    assert [d.name for d in search_datasets(order_by=["name ASC"])] == ["billing_old", "support_active"]
    delete_dataset(dataset_id=a.dataset_id)
    with pytest.raises(jurist.tracking.NotFoundError):
        get_dataset(name="support_active")
    with pytest.raises(jurist.ConfigError, match="exists already"):
        create_dataset(name="billing_old")


def test_records_need_dict_inputs(tracking_store: str) -> None:
    ds = create_dataset(name="strict")
    with pytest.raises(jurist.ConfigError, match="non-empty dict"):
        ds.merge_records([{"inputs": "just text"}])
