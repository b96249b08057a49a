
import json

import pytest

from jurist import AssessmentError, AssessmentSource, Expectation, Feedback, Trace
from jurist.entities import AssessmentSourceType, FeedbackValue


@pytest.mark.parametrize("value", [True, False, 3, 2.5, "yes", ["a", 1], {"k": [1, {"x": None}]}, None])
def test_feedback_json_round_trip_is_lossless(value: FeedbackValue) -> None:
    fb = Feedback(name="j", value=value, rationale="because", trace_id="t", span_id="s",
                  source=AssessmentSource("LLM_JUDGE", "openai:/gpt-4o-mini"),
                  metadata={"input_tokens": 3, "cost_usd": 1.5e-6, "raw_output": "é"})
    again = Feedback.from_json(fb.to_json())
    assert again == fb
    assert type(again.value) is type(value)


def test_error_feedback_round_trip() -> None:
    fb = Feedback(name="j", error=AssessmentError("PARSE_ERROR", "no JSON"), metadata={"raw_output": "x"})
    again = Feedback.from_dict(json.loads(fb.to_json()))
    assert again.error == AssessmentError("PARSE_ERROR", "no JSON") and not again.ok


def test_source_type_is_checked() -> None:
    assert AssessmentSource("human", "me").source_type is AssessmentSourceType.HUMAN
    with pytest.raises(ValueError, match="HUMAN"):
        AssessmentSource("ROBOT", "x")


def test_expectation_defaults_to_human() -> None:
    e = Expectation(name="expected_response", value="Paris")
    assert e.source.source_type is AssessmentSourceType.HUMAN
    assert Expectation.from_json(e.to_json()) == e


def test_trace_reads_mlflow_and_openinference_forms() -> None:
    mlflow_form = {"info": {"trace_id": "tr-1"}, "data": {"spans": [
        {"name": "root", "span_id": "a", "parent_id": None,
         "attributes": {"mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": '{"q": "hi"}',
                        "mlflow.spanOutputs": '"hello"'}},
        {"name": "search", "span_id": "b", "parent_id": "a",
         "attributes": {"openinference.span.kind": "retriever", "output.value": '[{"page_content": "x"}]'}},
    ]}}
    t = Trace.from_dict(mlflow_form)
    assert t.trace_id == "tr-1" and t.inputs == {"q": "hi"} and t.outputs == "hello"
    assert [s.span_id for s in t.search_spans(span_type="retriever")] == ["b"]
    assert t.search_spans("RETRIEVER")[0].outputs == [{"page_content": "x"}]
    assert Trace.from_json(t.to_json()) == t
