"""MLflow's tracing and trace-evaluation shapes: ``@trace``, ``search_traces``, ``log_feedback`` right
after a call, ``update_current_trace`` sessions, and ``evaluate(data=traces)``."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import pytest

import jurist
from jurist.entities import AssessmentSource, AssessmentSourceType, Document, SpanType, Trace
from jurist.genai import scorer
from jurist.genai.judges import make_judge
from jurist.genai.scorers import (
    ConversationCompleteness,
    RelevanceToQuery,
    RetrievalGroundedness,
    UserFrustration,
)
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays

CRM = {"Acme": "Demo on Monday.", "Globex": "Renewal due."}


@jurist.trace(span_type="RETRIEVER")
def retrieve_customer_info(customer_name: str) -> list[Document]:
    return [Document(id=f"{customer_name}_notes", page_content=CRM.get(customer_name, "unknown"))]


@jurist.trace(span_type="AGENT")
def generate_email(customer_name: str, objective: str) -> dict[str, str]:
    docs = retrieve_customer_info(customer_name)
    return {"email": f"Dear {customer_name}, about {objective}: {docs[0].page_content}"}


def test_feedback_right_after_a_traced_call() -> None:
    generate_email("Acme", "the demo")
    trace_id = some(jurist.get_last_active_trace_id())
    jurist.log_feedback(trace_id=trace_id, name="user_satisfaction", value=True, rationale="thumbs up",
                        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="u1"))
    trace = some(jurist.get_trace(trace_id))
    assert trace.info.trace_id == trace_id and trace.info.state == "OK"
    assert [s.name for s in trace.data.spans] == ["generate_email", "retrieve_customer_info"]
    assert trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs[0]["page_content"] == "Demo on Monday."
    assert [(a.name, a.value) for a in trace.info.assessments] == [("user_satisfaction", True)]


def test_trace_id_from_the_active_span() -> None:
    @jurist.trace(span_type="LLM")
    def chat(prompt: str) -> dict[str, Any]:
        return {"response": prompt.upper(), "trace_id": some(jurist.get_current_active_span()).trace_id}

    out = chat("hi")
    jurist.log_feedback(trace_id=out["trace_id"], name="thumbs", value=False)
    assert some(jurist.get_trace(out["trace_id"])).info.assessments[0].value is False


def test_search_traces_returns_mlflows_dataframe() -> None:
    exp_id = jurist.create_experiment("emails")
    assert isinstance(exp_id, str)
    jurist.set_experiment(experiment_id=exp_id)
    for name in CRM:
        generate_email(name, "follow-up")
    df = jurist.search_traces(experiment_ids=[exp_id])
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    assert {"trace_id", "trace", "request", "response", "assessments", "state"} <= set(df.columns)
    assert set(df["state"]) == {"OK"}
    listed = jurist.search_traces(experiment_ids=[exp_id], return_type="list", max_results=1)
    assert len(listed) == 1 and isinstance(listed[0], Trace)
    named = jurist.search_traces(experiment_ids=[exp_id], filter_string="trace.name = 'generate_email'",
                                 order_by=["timestamp_ms DESC"])
    assert len(named) == 2
    # jurist's own shape is unchanged: a list when none of MLflow's arguments is used
    assert len(jurist.search_traces("emails")) == 2


def test_evaluate_search_traces_dataframe(judge_says: JudgeSays) -> None:
    judge_says("yes")
    jurist.set_experiment("prod")
    for name in CRM:
        generate_email(name, "follow-up")
    traces = jurist.search_traces(experiment_ids=[jurist.tracking.active_experiment().experiment_id])

    @scorer
    def mentions_customer(inputs: dict[str, str], outputs: dict[str, str]) -> bool:
        return inputs["customer_name"] in outputs["email"]

    jurist.set_experiment("evaluations")  # the run goes here; the traces stay in "prod"
    results = jurist.genai.evaluate(data=traces, scorers=[RetrievalGroundedness(), RelevanceToQuery(),
                                                          mentions_customer])
    assert results.metrics["mentions_customer/mean"] == 1.0
    assert results.metrics["retrieval_groundedness/mean"] == 1.0
    # the verdicts are logged to the evaluated traces themselves
    for trace_id in traces["trace_id"]:
        names = {a.name for a in some(jurist.get_trace(trace_id)).info.assessments}
        assert {"mentions_customer", "relevance_to_query"} <= names
    # and the run finds them, though they live in the experiment they were recorded in
    assert set(jurist.search_traces(run_id=results.run_id)["trace_id"]) == set(traces["trace_id"])


def test_expectations_come_from_the_trace(judge_says: JudgeSays) -> None:
    judge_says("yes")
    generate_email("Acme", "demo")
    trace_id = some(jurist.get_last_active_trace_id())
    jurist.log_expectation(trace_id=trace_id, name="expected_response", value="Dear Acme")

    @scorer
    def starts_right(outputs: dict[str, str], expectations: dict[str, str]) -> bool:
        return outputs["email"].startswith(expectations["expected_response"])

    result = jurist.genai.evaluate(data=jurist.search_traces(return_type="list", max_results=10),
                                   scorers=[starts_right])
    assert result.metrics["starts_right/mean"] == 1.0


@jurist.trace
def my_chatbot(question: str, session_id: str) -> str:
    jurist.update_current_trace(metadata={"mlflow.trace.session": session_id}, tags={"app": "bot"})
    return f"answer to {question}"


def test_sessions_grouped_for_conversation_judges(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("yes")
    my_chatbot("book a table", "s1")
    my_chatbot("and the weather?", "s1")
    my_chatbot("hello", "s2")
    traces = jurist.search_traces(experiment_ids=["0"], return_type="list")
    assert {t.info.trace_metadata["mlflow.trace.session"] for t in traces} == {"s1", "s2"}
    assert all(t.info.tags["app"] == "bot" for t in traces)
    fake_openai.reset()
    judge_says("none")
    politeness = make_judge(
        name="conversation_politeness",
        instructions="Analyze the {{ conversation }} and say if the agent stays polite.",
        feedback_value_type=Literal["consistently_polite", "mostly_polite", "impolite"],
        model="openai:/gpt-4o")
    judge_says("consistently_polite")
    results = jurist.genai.evaluate(data=traces, scorers=[ConversationCompleteness(), politeness,
                                                          RelevanceToQuery()])
    # conversation judges ran once per session; the single-turn judge once per trace
    assert results.scorer_metrics["conversation_completeness"]["count"] == 2
    assert results.scorer_metrics["conversation_politeness"]["count"] == 2
    assert results.scorer_metrics["relevance_to_query"]["count"] == 3
    prompts = [r.body["messages"][1]["content"] for r in fake_openai.requests
               if "book a table" in r.body["messages"][1]["content"]
               and "weather" in r.body["messages"][1]["content"]]
    assert prompts, "the two turns of session s1 were judged together"


def test_jurist_session_key_too(judge_says: JudgeSays) -> None:
    judge_says("none")

    @jurist.trace
    def turn(q: str) -> str:
        jurist.update_current_trace(metadata={"jurist.session": "abc"})
        return q[::-1]

    turn("one")
    turn("two")
    results = jurist.genai.evaluate(data=jurist.search_traces(return_type="list"), scorers=[UserFrustration()])
    assert results.scorer_metrics["user_frustration"]["count"] == 1


def test_metadata_filter_for_one_session() -> None:
    my_chatbot("q1", "keep")
    my_chatbot("q2", "other")
    found = jurist.search_traces(experiment_ids=["0"], filter_string="metadata.`mlflow.trace.session` = 'keep'",
                                 return_type="list")
    assert [t.info.trace_metadata["mlflow.trace.session"] for t in found] == ["keep"]


def test_search_traces_by_run_id(judge_says: JudgeSays) -> None:
    judge_says("yes")
    result = jurist.genai.evaluate(data=[{"inputs": {"q": "a"}, "outputs": "b"}], scorers=[RelevanceToQuery()])
    df = jurist.search_traces(run_id=result.run_id)
    assert len(df) == 1 and df["assessments"].iloc[0][0]["assessment_name"] == "relevance_to_query"


def test_update_current_trace_outside_a_trace_is_an_error() -> None:
    import pytest

    with pytest.raises(jurist.ConfigError, match="active trace"):
        jurist.update_current_trace(tags={"a": "b"})


def test_builtin_judge_reads_inputs_outputs_and_expectations_from_a_stored_trace(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    from jurist.genai.scorers import Correctness

    judge_says("yes")
    generate_email("Globex", "renewal")
    trace_id = some(jurist.get_last_active_trace_id())
    jurist.log_expectation(trace_id=trace_id, name="expected_facts", value=["The renewal is due."])
    trace = jurist.get_trace(trace_id)
    assert Correctness()(trace=trace).value == "yes"
    prompt = fake_openai.requests[-1].body["messages"][1]["content"]
    assert "The renewal is due." in prompt and "Globex" in prompt
    assert Correctness()(trace=trace, expectations={"expected_facts": ["Custom fact"]}).value == "yes"
    assert "Custom fact" in fake_openai.requests[-1].body["messages"][1]["content"]


def test_re_evaluating_failed_traces_with_an_updated_app(judge_says: JudgeSays) -> None:
    from jurist.genai.scorers import Guidelines, Safety

    def sample_app(messages: list[dict[str, str]]) -> str:
        return "Reply to " + messages[-1]["content"]

    judge_says("no")
    data = [{"inputs": {"messages": [{"role": "user", "content": "How much does a microwave cost?"}]}},
            {"inputs": {"messages": [{"role": "user", "content": "Can I return it?"}]}}]
    results1 = jurist.genai.evaluate(data=data, predict_fn=sample_app, scorers=[Safety()])
    traces = jurist.search_traces(run_id=results1.run_id)
    failures = traces[traces["assessments"].apply(
        lambda x: any(a["assessment_name"] == "safety" and a["feedback"]["value"] == "no" for a in x))]
    assert len(failures) == 2
    judge_says("yes")
    calls = []

    def updated_app(messages: list[dict[str, Any]]) -> str:
        calls.append(messages)
        return "Better reply"

    results2 = jurist.genai.evaluate(data=failures, predict_fn=updated_app, scorers=[
        Guidelines(name="content_policy", guidelines="Response must follow our content policy")])
    assert len(calls) == 2 and results2.metrics["content_policy/mean"] == 1.0


def test_tool_call_trajectory_and_conversational_tool_efficiency(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    from jurist.entities import Feedback
    from jurist.genai.scorers import ConversationalToolCallEfficiency

    @jurist.trace(span_type="TOOL")
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    @jurist.trace(span_type="AGENT")
    def agent(question: str, session_id: str) -> str:
        jurist.update_current_trace(metadata={"mlflow.trace.session": session_id})
        return get_weather("Paris")

    agent("weather in Paris?", "trip")
    agent("and again?", "trip")

    @scorer
    def tool_call_trajectory(trace: Trace, expectations: dict[str, Any]) -> Feedback:
        actual = [span.name for span in trace.search_spans(span_type=SpanType.TOOL)]
        ok = actual == expectations["tool_call_trajectory"]
        return Feedback(value=1 if ok else 0, rationale=f"Actual: {actual}")

    traces = jurist.search_traces(return_type="list")
    for t in traces:
        jurist.log_expectation(trace_id=t.trace_id, name="tool_call_trajectory", value=["get_weather"])
    judge_says("no", "get_weather was called twice for Paris.")
    results = jurist.genai.evaluate(data=jurist.search_traces(return_type="list"),
                                    scorers=[tool_call_trajectory, ConversationalToolCallEfficiency()])
    assert results.metrics["tool_call_trajectory/mean"] == 1.0
    assert results.metrics["conversational_tool_call_efficiency/mean"] == 0.0
    prompt = [r for r in fake_openai.requests if "tool calls of turn 2" in r.body["messages"][1]["content"]]
    assert prompt and "sunny in Paris" in prompt[0].body["messages"][1]["content"]


def test_retrieved_document_recall_from_documents() -> None:
    from jurist.entities import Feedback

    @jurist.trace(span_type="RETRIEVER")
    def search(query: str) -> list[Document]:
        return [Document(page_content="Refunds within 30 days.", metadata={"doc_uri": "faq.md"}),
                Document(page_content="Shipping is free.", metadata={"doc_uri": "ship.md"})]

    @jurist.trace
    def rag(query: str) -> str:
        return search(query)[0].page_content

    @scorer
    def retrieved_document_recall(trace: Trace, expectations: dict[str, Any]) -> Feedback:
        urls = [d["metadata"]["doc_uri"] for s in trace.search_spans(span_type=SpanType.RETRIEVER) for d in s.outputs]
        hits = len(set(urls) & set(expectations["relevant_document_urls"]))
        return Feedback(value=hits / len(expectations["relevant_document_urls"]))

    result = jurist.genai.evaluate(
        data=[{"inputs": {"query": "refunds?"}, "expectations": {"relevant_document_urls": ["faq.md", "x.md"]}}],
        predict_fn=rag, scorers=[retrieved_document_recall])
    assert result.metrics["retrieved_document_recall/mean"] == 0.5


def test_traces_can_stay_in_memory_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_STORE_TRACES", "false")
    generate_email("Acme", "x")
    trace_id = some(jurist.get_last_active_trace_id())
    assert jurist.get_trace(trace_id) is not None  # this process's copy
    assert jurist.search_traces(return_type="list") == []


def test_a_trace_lands_in_the_experiment_active_when_it_ended() -> None:
    jurist.set_experiment("first")
    generate_email("Acme", "x")
    first = jurist.get_last_active_trace_id()
    jurist.set_experiment("second")
    assert [t.trace_id for t in jurist.search_traces("first")] == [first]
    assert jurist.search_traces("second") == []


def test_search_syntax_of_mlflows_reference() -> None:
    @jurist.trace(name="my_function")
    def my_app(message: str) -> str:
        jurist.update_current_trace(metadata={"mlflow.user": "alice@company.com"}, tags={"environment": "production"})
        return message.upper()

    my_app("hi")
    trace_id = some(jurist.get_last_active_trace_id())
    for query in ("attributes.status = 'OK'", "attributes.timestamp_ms > 1749006880539",
                  "attributes.execution_time_ms < 60000", "tags.environment = 'production'",
                  "tags.`mlflow.traceName` = 'my_function'", "metadata.`mlflow.user` = 'alice@company.com'",
                  "attributes.status = 'OK' AND tags.environment = 'production'",
                  f"attributes.request_id = '{trace_id}'"):
        assert [t.trace_id for t in jurist.search_traces(query)] == [trace_id], query
    assert jurist.search_traces("attributes.status = 'ERROR'") == []


def test_experiments_in_mlflows_shapes() -> None:
    import pytest

    exp = jurist.set_experiment(experiment_name="by-keyword")
    assert exp.name == "by-keyword" and jurist.set_experiment(experiment_id=exp.experiment_id).name == "by-keyword"
    with pytest.raises(jurist.ConfigError, match="one of"):
        jurist.set_experiment(experiment_name="a", experiment_id="0")
    generate_email("Acme", "x")
    assert len(jurist.search_traces(locations=[exp.experiment_id], return_type="list")) == 1


def test_a_store_that_cannot_be_written_never_fails_the_app(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from jurist.tracing._export import flush_traces

    monkeypatch.setenv("JURIST_TRACKING_URI", "http://127.0.0.1:9/")  # nothing listens on the discard port
    out = generate_email("Acme", "x")  # the app itself is unaffected
    assert out["email"].startswith("Dear Acme")
    with caplog.at_level("WARNING", logger="jurist.tracing._export"):
        flush_traces()
    assert "could not store 1 finished trace" in caplog.text
