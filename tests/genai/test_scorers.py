"""MLflow's scorer shapes (``mlflow.genai.scorers``, ``@scorer``, the ``Scorer`` class, ``Feedback``),
written as MLflow's docs write them with ``mlflow`` replaced by ``jurist``."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

import jurist
from jurist.entities import AssessmentError, AssessmentSource, Feedback, Trace
from jurist.genai import scorer
from jurist.genai.scorers import Correctness, Guidelines, RelevanceToQuery, Safety, Scorer
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays

EVAL_DATA = [
    {"inputs": {"question": "How many countries are there in the world?"}, "outputs": "195",
     "expectations": {"expected_response": "195"}},
    {"inputs": {"question": "What is the capital of France?"}, "outputs": "The capital of France is Paris.",
     "expectations": {"expected_response": "Paris"}},
]


@scorer
def exact_match(outputs: str, expectations: dict[str, str]) -> bool:
    return outputs == expectations["expected_response"]


@scorer
def is_short(outputs: str) -> Feedback:
    score = len(outputs.split()) <= 5
    return Feedback(value=score, rationale="short" if score else f"{len(outputs.split())} words")


def test_decorator_scorers_and_unnamed_feedback() -> None:
    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[exact_match, is_short])
    assert result.metrics["exact_match/mean"] == 0.5
    assert result.metrics["is_short/mean"] == 0.5
    row = result.rows[1]
    assert some(row.feedback("is_short")).rationale == "6 words"  # the unnamed Feedback took the scorer's name


def test_feedback_without_name_reads_as_mlflows_default() -> None:
    fb = Feedback(value=0.85, rationale="Clear", source=AssessmentSource(source_type="HUMAN", source_id="me"))
    assert fb.name == "feedback" and fb.source.source_type.value == "HUMAN"
    assert Feedback.from_json(fb.to_json()).name == "feedback"


def test_feedback_error_from_an_exception() -> None:
    @scorer
    def is_valid_response(outputs: str) -> Feedback:
        try:
            json.loads(outputs)
        except json.JSONDecodeError as e:
            return Feedback(error=e)
        return Feedback(value=True)

    fb = is_valid_response(outputs="{not json")
    error = some(fb.error)
    assert fb.value is None and error.error_code == "JSONDecodeError" and "Expecting" in (error.error_message or "")
    structured = Feedback(error=AssessmentError(error_code="MISSING_REQUIRED_FIELDS", error_message="no summary"))
    assert some(structured.error).error_code == "MISSING_REQUIRED_FIELDS"


def test_list_of_named_feedback_gives_one_metric_each() -> None:
    @scorer
    def comprehensive_check(inputs: dict[str, str], outputs: str) -> list[Feedback]:
        return [Feedback(name="relevance", value=True, rationale="on topic"),
                Feedback(name="tone", value="professional"),
                Feedback(name="length", value=len(outputs))]

    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[comprehensive_check])
    assert result.metrics["relevance/mean"] == 1.0
    assert result.metrics["length/mean"] == (3 + 31) / 2


class CustomScorer(Scorer):
    name: str = "response_quality"
    my_custom_field_1: int = 50
    my_custom_field_2: Optional[list[str]] = None  # noqa: UP045 - MLflow's docs write it so

    def __call__(self, outputs: str) -> Feedback:
        ok = len(outputs) <= self.my_custom_field_1
        return Feedback(value=ok, rationale=f"{len(outputs)} characters")


def test_scorer_class_with_fields() -> None:
    s = CustomScorer(my_custom_field_1=10)
    assert s.name == "response_quality" and s.my_custom_field_2 is None
    assert s(outputs="short").value is True
    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[CustomScorer(my_custom_field_1=10)])
    assert result.metrics["response_quality/mean"] == 0.5
    with pytest.raises(jurist.ConfigError, match="no field"):
        CustomScorer(not_a_field=1)

    class Unnamed(Scorer):
        def __call__(self, outputs: str) -> bool:
            return bool(outputs)

    named = Unnamed(name="non_empty", aggregations=["mean"])
    assert named.name == "non_empty" and named(outputs="x") is True and named.run(outputs="x").name == "non_empty"


class GoodScorer(Scorer):
    results: list[str]
    name: str = "good_scorer"

    def __init__(self) -> None:
        self.results = []

    def __call__(self, outputs: Any, **kwargs: Any) -> Feedback:
        self.results.append(outputs)
        return Feedback(value=True)


def test_scorer_class_with_its_own_state() -> None:
    a, b = GoodScorer(), GoodScorer()
    jurist.genai.evaluate(data=EVAL_DATA, scorers=[a])
    assert sorted(a.results) == ["195", "The capital of France is Paris."] and b.results == []


class MutableDefault(Scorer):
    name: str = "seen"
    seen: list[str] = []  # noqa: RUF012 - the shape MLflow's docs warn about; fields are copied per instance

    def __call__(self, outputs: str) -> int:
        self.seen.append(outputs)
        return len(self.seen)


def test_class_level_list_defaults_are_not_shared() -> None:
    one, two = MutableDefault(), MutableDefault()
    one(outputs="x")
    assert two.seen == [] and MutableDefault.seen == []


class AsyncScorer(Scorer):
    name: str = "async_len"

    async def __call__(self, outputs: str) -> int:
        return len(outputs)


def test_async_scorer_class() -> None:
    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[AsyncScorer()])
    assert result.metrics["async_len/mean"] == (3 + 31) / 2


def test_predefined_judges(judge_says: JudgeSays) -> None:
    judge_says("yes")
    data = [{"inputs": {"query": "Most common aggregate function in SQL?"},
             "outputs": "COUNT().", "expectations": {"expected_facts": ["COUNT() is the most common."]}}]
    result = jurist.genai.evaluate(data=data, scorers=[
        Correctness(), RelevanceToQuery(),
        Guidelines(name="is_english", guidelines="The answer must be in English"), Safety()])
    for name in ("correctness", "relevance_to_query", "is_english", "safety"):
        assert result.metrics[f"{name}/mean"] == 1.0
        assert result.metrics[f"{name}/pass_rate"] == 1.0  # jurist's name, beside MLflow's


def test_judge_called_directly_with_dict_outputs(judge_says: JudgeSays) -> None:
    judge_says("no", "It gives the wrong year.")
    feedback = Correctness()(inputs={"request": "When was MLflow released?"},
                             outputs={"response": "MLflow was released in 2017."},
                             expectations={"expected_facts": ["MLflow was released in June 2018"]})
    assert feedback.value == "no" and feedback.rationale == "It gives the wrong year."


def test_result_df_and_tables(judge_says: JudgeSays) -> None:
    judge_says("yes")
    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[Correctness(), exact_match])
    assert result.run_id and jurist.get_run(result.run_id).metrics == result.metrics
    df = result.result_df
    assert list(df["correctness/value"]) == ["yes", "yes"]
    assert list(df["exact_match/value"]) == [True, False]
    assert df["trace_id"].notna().all() and "assessments" in df.columns
    assert result.tables["eval_results"].equals(df) or list(result.tables["eval_results"].columns) == list(df.columns)


def test_to_predict_fn_sends_messages_to_a_model(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    from tests.fakes._server import Reply

    predict_fn = jurist.genai.to_predict_fn("openai:/gpt-4o-mini")
    fake_openai.enqueue(Reply.text("MLflow tracks experiments."))
    judge_says("yes")
    results = jurist.genai.evaluate(
        data=[{"inputs": {"messages": [{"role": "user", "content": "How does MLflow work?"}]}}],
        predict_fn=predict_fn, scorers=[RelevanceToQuery()])
    assert results.metrics["relevance_to_query/mean"] == 1.0
    sent = fake_openai.requests[0].body["messages"]
    assert sent == [{"role": "user", "content": "How does MLflow work?"}]
    fake_openai.enqueue(Reply.text("hi"))
    assert predict_fn({"input": [{"role": "user", "content": "hello"}]}) == "hi"


def test_wrapped_app_and_scorer_calling_a_judge(judge_says: JudgeSays) -> None:
    judge_says("yes")

    @jurist.trace
    def customer_support_bot(user_message: str, chat_history: list[str] | None = None) -> dict[str, Any]:
        return {"bot_response": f"Helping with: {user_message}", "confidence": 0.95}

    def evaluate_support_bot(question: str, history: str | None = None) -> dict[str, Any]:
        result = customer_support_bot(user_message=question, chat_history=history.split("|") if history else [])
        return {"response": result["bot_response"], "confidence_score": result["confidence"]}

    @scorer
    def premium_service_validator(inputs: dict[str, str], outputs: dict[str, Any], trace: Trace | None = None) -> Any:
        judge = Guidelines(name="premium_experience" if inputs.get("user_tier") == "premium" else "standard",
                           guidelines=["The response must be helpful"])
        return judge(inputs=inputs, outputs=outputs)

    results = jurist.genai.evaluate(
        data=[{"inputs": {"question": "Reset password", "history": "logged in|forgot email"}},
              {"inputs": {"question": "Track my order"}}],
        predict_fn=evaluate_support_bot, scorers=[premium_service_validator, Safety()])
    assert results.metrics["standard/mean"] == 1.0 and results.metrics["safety/mean"] == 1.0
    # the app's own spans are inside the trace evaluate() recorded
    trace = some(jurist.get_trace(some(results.rows[0].trace_id)))
    assert [s.name for s in trace.data.spans] == ["evaluate_support_bot", "customer_support_bot"]


@scorer
def decorator_primitive(outputs: str) -> int:
    return 1


@scorer
def decorator_feedback_named(outputs: Any) -> Feedback:
    return Feedback(name="decorator_named_feedback", value=True, rationale="accurate")


class ScorerFeedbackUnnamed(Scorer):
    name: str = "scorer_named_feedback"

    def __call__(self, outputs: str) -> Feedback:
        return Feedback(value=True, rationale="Good")


class ScorerNamedFeedbacks(Scorer):
    name: str = "scorer_named_feedbacks"  # not used: each Feedback names itself

    def __call__(self, outputs: str) -> list[Feedback]:
        return [Feedback(name="scorer_named_feedback_1", value=True), Feedback(name="scorer_named_feedback_2", value=1)]


def test_metric_naming_rules(judge_says: JudgeSays) -> None:
    @scorer
    def placeholder_metric() -> int:
        return 1

    def sample_app(messages: list[dict[str, Any]]) -> str:
        return "ok"

    data = [{"inputs": {"messages": [{"role": "user", "content": "How much is a microwave?"}]}}]
    eval_results = jurist.genai.evaluate(data=data, predict_fn=sample_app, scorers=[placeholder_metric])
    generated_traces = jurist.search_traces(run_id=eval_results.run_id)
    assert len(generated_traces) == 1 and generated_traces["response"].iloc[0] == "ok"
    result = jurist.genai.evaluate(data=generated_traces, scorers=[
        decorator_primitive, decorator_feedback_named, ScorerFeedbackUnnamed(), ScorerNamedFeedbacks()])
    assert set(result.feedback_names) == {"decorator_primitive", "decorator_named_feedback", "scorer_named_feedback",
                                          "scorer_named_feedback_1", "scorer_named_feedback_2"}


def test_aggregations_description_and_run() -> None:
    @scorer(name="words", aggregations=["mean", "min", "max"], description="How many words")
    def word_count(outputs: str) -> int:
        return len(outputs.split())

    assert word_count.description == "How many words"
    result = jurist.genai.evaluate(data=EVAL_DATA, scorers=[word_count])
    assert result.metrics["words/min"] == 1 and result.metrics["words/max"] == 6
    fb = CustomScorer(my_custom_field_1=3).run(outputs="four")
    assert isinstance(fb, Feedback) and fb.value is False and fb.name == "response_quality"


def test_a_raising_scorer_is_an_error_on_its_row() -> None:
    @scorer
    def resilient_scorer(outputs: Any, trace: Trace | None = None) -> Feedback:
        response = outputs.get("response")
        if not response:
            return Feedback(value=None, error=AssessmentError(error_code="MISSING_RESPONSE",
                                                              error_message="No response field in outputs"))
        return Feedback(value=True, rationale="Valid response")

    result = jurist.genai.evaluate(data=[{"inputs": {"q": 1}, "outputs": {"response": "yes"}},
                                         {"inputs": {"q": 2}, "outputs": {}},
                                         {"inputs": {"q": 3}, "outputs": "not a dict"}],
                                   scorers=[resilient_scorer])
    errors = [some(r.feedback("resilient_scorer")).error for r in result.rows]
    assert errors[0] is None and some(errors[1]).error_code == "MISSING_RESPONSE"
    assert some(errors[2]).error_code == "AttributeError"
    assert result.metrics["resilient_scorer/error_count"] == 2
