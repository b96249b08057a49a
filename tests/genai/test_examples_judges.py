"""MLflow-style judge, scorer and evaluation examples (written from the shapes MLflow's docs use: code
scorers, Scorer classes, aggregations, built-in and functional judges, make_judge, datasets, the scorer
lifecycle, ensembles), run as jurist code against the loopback OpenAI fake."""

from __future__ import annotations

import json
from typing import Any, Literal

import pandas as pd

import jurist
from jurist.entities import AssessmentError, Feedback
from jurist.genai import Scorer, scorer
from jurist.genai.datasets import create_dataset
from jurist.genai.judges import (
    CategoricalRating,
    custom_prompt_judge,
    is_context_relevant,
    make_judge,
    meets_guidelines,
)
from jurist.genai.scorers import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    RelevanceToQuery,
    Safety,
    ScorerSamplingConfig,
    get_scorer,
    list_scorers,
    make_scorer_ensemble,
)
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI

QA = [
    {"inputs": {"question": "What is MLflow?"},
     "outputs": "MLflow is an open-source platform for managing the ML lifecycle.",
     "expectations": {"expected_response": "An open-source ML lifecycle platform",
                      "guidelines": ["Mention that it is open source"]}},
    {"inputs": {"question": "Who maintains it?"}, "outputs": "Its community, with Databricks.",
     "expectations": {"expected_response": "Databricks and the community",
                      "guidelines": ["Name Databricks"]}},
]


def test_code_scorer_returning_feedback_without_a_name() -> None:
    @scorer
    def response_length(outputs: str) -> Feedback:
        n = len(outputs.split())
        return Feedback(value=n <= 12, rationale=f"{n} words")

    results = jurist.genai.evaluate(data=QA, scorers=[response_length])
    assert results.metrics["response_length/mean"] == 1.0
    assert results.result_df["response_length/value"].tolist() == [True, True]


def test_code_scorer_returning_several_named_feedbacks() -> None:
    @scorer
    def text_stats(outputs: str) -> list[Feedback]:
        return [Feedback(name="word_count", value=len(outputs.split())),
                Feedback(name="has_period", value=outputs.endswith("."))]

    results = jurist.genai.evaluate(data=QA, scorers=[text_stats])
    assert results.metrics["word_count/mean"] == 7.0 and results.metrics["has_period/mean"] == 1.0


def test_scorer_with_aggregations() -> None:
    @scorer(aggregations=["mean", "min", "max", "median"])
    def answer_chars(outputs: str) -> int:
        return len(outputs)

    results = jurist.genai.evaluate(data=QA, scorers=[answer_chars])
    lengths = [len(r["outputs"]) for r in QA]
    assert results.metrics["answer_chars/min"] == min(lengths) and results.metrics["answer_chars/max"] == max(lengths)


def test_a_class_based_scorer_with_fields() -> None:
    class KeywordCoverage(Scorer):
        name: str = "keyword_coverage"
        keywords: list[str] = []  # noqa: RUF012 - MLflow declares fields at class level; copied per instance

        def __call__(self, outputs: str) -> Feedback:
            hits = [k for k in self.keywords if k.lower() in outputs.lower()]
            return Feedback(value=len(hits) / len(self.keywords), rationale=f"found {hits}")

    coverage = KeywordCoverage(keywords=["open-source", "lifecycle"])
    results = jurist.genai.evaluate(data=QA[:1], scorers=[coverage])
    assert results.metrics["keyword_coverage/mean"] == 1.0


def test_a_scorer_that_raises_gives_an_error_feedback() -> None:
    @scorer
    def needs_json(outputs: str) -> bool:
        return bool(json.loads(outputs))

    @scorer
    def explicit_error(outputs: str) -> Feedback:
        return Feedback(error=AssessmentError(error_code="NO_CONTEXT", error_message="context missing"))

    results = jurist.genai.evaluate(data=QA[:1], scorers=[needs_json, explicit_error])
    (fb,) = results.rows[0].feedbacks[:1]
    assert fb.value is None and fb.error is not None
    assert results.rows[0].feedback("explicit_error").error.error_code == "NO_CONTEXT"  # type: ignore[union-attr]


def test_builtin_judges_over_a_predict_fn(judge_says: Any) -> None:
    judge_says("yes")

    def predict_fn(question: str) -> str:
        return str({"What is MLflow?": QA[0]["outputs"], "Who maintains it?": QA[1]["outputs"]}[question])

    data = [{"inputs": r["inputs"], "expectations": r["expectations"]} for r in QA]
    results = jurist.genai.evaluate(data=data, predict_fn=predict_fn,
                                    scorers=[Correctness(), RelevanceToQuery(), Safety(), ExpectationsGuidelines()])
    for name in ("correctness", "relevance_to_query", "safety", "expectations_guidelines"):
        assert results.metrics[f"{name}/mean"] == 1.0
    table = results.tables["eval_results"]
    assert list(table["response"]) == [QA[0]["outputs"], QA[1]["outputs"]]


def test_guidelines_with_several_rules_and_a_judge_model(judge_says: Any, fake_openai: FakeOpenAI) -> None:
    judge_says("no", rationale="It is not formal.")
    tone = Guidelines(name="tone", guidelines=["The response must be formal", "No emojis"],
                      model="openai:/gpt-4o-mini")
    fb = tone(inputs={"question": "hi"}, outputs="hey there 👋")
    assert fb.value == "no" and fb.rationale == "It is not formal."
    assert "No emojis" in json.dumps(fake_openai.requests[-1].body)


def test_make_judge_with_a_literal_scale(judge_says: Any) -> None:
    judge_says("good")
    quality = make_judge(
        name="answer_quality",
        instructions=("Rate how well {{ outputs }} answers {{ inputs }} compared with {{ expectations }}. "
                      "Answer poor, fair or good."),
        feedback_value_type=Literal["poor", "fair", "good"],
    )
    results = jurist.genai.evaluate(data=QA, scorers=[quality])
    assert results.result_df["answer_quality/value"].tolist() == ["good", "good"]


def test_make_judge_over_a_trace(judge_says: Any) -> None:
    judge_says(True)

    @jurist.trace
    def app(question: str) -> str:
        with jurist.start_span("lookup", span_type="TOOL") as span:
            span.set_outputs({"rows": 3})
        return "There are 3 open tickets."

    app("How many open tickets?")
    trace_judge = make_judge(name="used_tool", instructions="Does {{ trace }} call a tool before answering?",
                             feedback_value_type=bool)
    trace = jurist.get_trace(jurist.get_last_active_trace_id())  # type: ignore[arg-type]
    fb = trace_judge(trace=trace)
    assert fb.value is True and fb.name == "used_tool"


def test_functional_judges(judge_says: Any) -> None:
    judge_says("yes")
    relevant = is_context_relevant(request="What are the store hours?", context="We open 9am to 5pm.")
    polite = meets_guidelines(guidelines="Be polite", context={"request": "help", "response": "Of course, gladly."})
    assert relevant.value == "yes" and polite.value == "yes"

    @scorer
    def policy_guideline(inputs: dict[str, Any], outputs: str) -> Feedback:
        return meets_guidelines(name="policy", guidelines="Never promise a refund",
                                context={"request": inputs["question"], "response": outputs})

    results = jurist.genai.evaluate(data=QA[:1], scorers=[policy_guideline])
    assert results.metrics["policy/mean"] == 1.0

    @scorer
    def relevant_as_number(inputs: dict[str, Any], outputs: str) -> float:
        fb = is_context_relevant(request=inputs["question"], context=outputs)
        return 1.0 if fb.value == CategoricalRating.YES else 0.0

    assert jurist.genai.evaluate(data=QA[:1], scorers=[relevant_as_number]).metrics["relevant_as_number/mean"] == 1.0


def test_custom_prompt_judge_with_labels(judge_says: Any) -> None:
    judge_says("fully_resolved")
    resolution = custom_prompt_judge(
        name="issue_resolution",
        prompt_template=("Was the issue in {{ request }} resolved by {{ response }}?\n"
                         "[[fully_resolved]]: the issue is solved\n[[partially_resolved]]: some steps remain\n"
                         "[[unresolved]]: not solved"),
        numeric_values={"fully_resolved": 1.0, "partially_resolved": 0.5, "unresolved": 0.0},
    )
    fb = resolution(request="My login fails", response="Reset your password with the link; it works now.")
    assert fb.value == 1.0


def test_evaluating_a_stored_dataset(judge_says: Any) -> None:
    judge_says("yes")
    dataset = create_dataset(name="qa-golden", tags={"owner": "qa-team"})
    dataset.merge_records([{"inputs": r["inputs"], "expectations": r["expectations"]} for r in QA])
    assert isinstance(dataset.to_df(), pd.DataFrame) and len(dataset.to_df()) == 2

    def predict_fn(question: str) -> str:
        return "MLflow is an open-source ML lifecycle platform."

    results = jurist.genai.evaluate(data=dataset, predict_fn=predict_fn, scorers=[Correctness()])
    assert results.metrics["correctness/mean"] == 1.0


def test_production_monitoring_lifecycle(judge_says: Any) -> None:
    judge_says("yes")
    jurist.set_experiment("support-prod")
    tone = Guidelines(name="tone_check", guidelines="Be polite")
    registered = tone.register(name="tone_check")
    started = registered.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5, filter_string="tags.env = 'prod'"))
    assert started.sample_rate == 0.5 and started.filter_string == "tags.env = 'prod'"
    updated = started.update(sampling_config=ScorerSamplingConfig(sample_rate=0.2))
    assert get_scorer(name="tone_check").sample_rate == 0.2 and updated.status == "STARTED"
    assert "tone_check" in [s.name for s in list_scorers()]
    stopped = get_scorer(name="tone_check").stop()
    assert stopped.sample_rate == 0.0


def test_ensemble_of_judges(judge_says: Any) -> None:
    judge_says("yes")

    @scorer
    def mentions_open_source(outputs: str) -> bool:
        return "open-source" in outputs

    panel = make_scorer_ensemble(name="quality_panel",
                                 scorers=[Correctness(), RelevanceToQuery(), mentions_open_source])
    results = jurist.genai.evaluate(data=QA, scorers=[panel])
    assert results.metrics["quality_panel/mean"] == 1.0  # the majority says yes on both rows


def test_dataframe_with_a_result_column_per_scorer(judge_says: Any) -> None:
    judge_says("yes")
    df = pd.DataFrame(QA)
    results = jurist.genai.evaluate(data=df, scorers=[Correctness()])
    out = results.result_df
    assert {"trace_id", "request", "response", "assessments", "correctness/value"} <= set(out.columns)
    assert jurist.get_run(some(results.run_id)).info.status == "FINISHED"
