"""MLflow-style tracing examples (written from the shapes MLflow's tracing docs use: decorators, manual
spans, retrievers, tags and metadata, errors, autolog, human feedback, trace tags), run as jurist code."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
import pytest

import jurist
from jurist.entities import Document, SpanType
from jurist.genai import scorer
from jurist.genai.scorers import RetrievalGroundedness, RetrievalRelevance
from tests._helpers import some
from tests.fakes._server import Reply
from tests.fakes.anthropic import FakeAnthropic


def test_decorator_with_span_type_and_attributes() -> None:
    @jurist.trace(name="answer_question", span_type=SpanType.CHAIN, attributes={"app_version": "1.2"})
    def answer(question: str) -> str:
        return "42"

    answer("meaning of life?")
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    root = trace.data.spans[0]
    assert root.name == "answer_question" and root.span_type == SpanType.CHAIN
    assert root.attributes["app_version"] == "1.2" and trace.data.request == {"question": "meaning of life?"}
    assert trace.data.response == "42" and trace.info.state == "OK"


def test_manual_spans_with_inputs_outputs_and_attributes() -> None:
    with jurist.start_span(name="pipeline", span_type=SpanType.CHAIN) as parent:
        parent.set_inputs({"query": "refund"})
        with jurist.start_span(name="llm_call", span_type=SpanType.LLM) as child:
            child.set_inputs({"prompt": "Explain refunds"})
            child.set_attributes({"model": "gpt-4o-mini", "temperature": 0.1})
            child.set_outputs({"text": "Refunds take 5 days."})
        parent.set_outputs("Refunds take 5 days.")
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    (llm,) = trace.search_spans(span_type=SpanType.LLM)
    assert llm.attributes["temperature"] == 0.1 and llm.parent_id == trace.root_span.span_id  # type: ignore[union-attr]
    assert trace.search_spans(name="llm_call")[0].outputs == {"text": "Refunds take 5 days."}


def test_async_functions_are_traced() -> None:
    @jurist.trace
    async def fetch(question: str) -> str:
        await asyncio.sleep(0)
        return question.upper()

    assert asyncio.run(fetch("hi")) == "HI"
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    assert trace.data.response == "HI"


def test_an_exception_marks_the_trace_as_an_error() -> None:
    @jurist.trace
    def flaky(x: int) -> int:
        raise RuntimeError("backend down")

    with pytest.raises(RuntimeError):
        flaky(1)
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    assert trace.info.state == "ERROR"
    errors = jurist.search_traces(filter_string="attributes.status = 'ERROR'", return_type="list")
    assert [t.info.trace_id for t in errors] == [trace.info.trace_id]


def test_tags_and_metadata_on_the_current_trace() -> None:
    @jurist.trace
    def chat(message: str, user_id: str) -> str:
        jurist.update_current_trace(tags={"environment": "staging"},
                                    metadata={"mlflow.trace.user": user_id, "mlflow.trace.session": "s-1"})
        return "ok"

    chat("hello", "user-7")
    found = jurist.search_traces(filter_string="tags.environment = 'staging'")
    assert len(found) == 1 and found["trace_metadata"][0]["mlflow.trace.user"] == "user-7"
    assert isinstance(found.to_pandas(), pd.DataFrame) and not found.empty
    for _, row in found.iterrows():
        assert row["tags"]["environment"] == "staging"
    by_session = jurist.search_traces(filter_string="metadata.`mlflow.trace.session` = 's-1'", return_type="list")
    assert len(by_session) == 1


def test_current_span_is_reachable_inside_a_traced_function() -> None:
    @jurist.trace
    def step(x: int) -> int:
        span = jurist.get_current_active_span()
        assert span is not None
        span.set_attribute("x_squared", x * x)
        return x

    step(3)
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    assert trace.data.spans[0].get_attribute("x_squared") == 9


@jurist.trace(span_type=SpanType.RETRIEVER)
def retrieve(query: str) -> list[Document]:
    return [Document(page_content="MLflow is an open-source platform for the ML lifecycle.",
                     metadata={"doc_uri": "docs/overview.md"}, id="doc-1")]


@jurist.trace
def rag_app(question: str) -> str:
    docs = retrieve(question)
    return f"From the docs: {docs[0].page_content}"


def test_retrieval_judges_read_the_retriever_span(judge_says: Any) -> None:
    judge_says("yes")
    rag_app("What is MLflow?")
    traces = jurist.search_traces(max_results=1, return_type="list")
    results = jurist.genai.evaluate(data=traces, scorers=[RetrievalGroundedness(), RetrievalRelevance()])
    assert results.metrics["retrieval_groundedness/mean"] == 1.0
    assert results.metrics["retrieval_relevance/mean"] == 1.0
    stored = jurist.get_trace(traces[0].info.trace_id)
    assert {a.name for a in some(stored).info.assessments} >= {"retrieval_groundedness", "retrieval_relevance"}


def test_human_feedback_and_expectations_then_evaluate() -> None:
    rag_app("What is MLflow?")
    trace_id = jurist.get_last_active_trace_id()
    assert trace_id is not None
    jurist.log_expectation(trace_id=trace_id, name="expected_response", value="An open-source ML platform")
    jurist.log_feedback(trace_id=trace_id, name="helpful", value=True, rationale="clear answer")

    @scorer
    def mentions_expected(outputs: str, expectations: dict[str, Any]) -> bool:
        return "open-source" in outputs and "open-source" in expectations["expected_response"]

    df = jurist.search_traces(filter_string="feedback.helpful = 'true'")
    assert len(df) == 1 and df["assessments"][0]
    results = jurist.genai.evaluate(data=df, scorers=[mentions_expected])
    assert results.metrics["mentions_expected/mean"] == 1.0


def test_trace_tags_set_after_the_fact() -> None:
    rag_app("What is MLflow?")
    trace_id = jurist.get_last_active_trace_id()
    assert trace_id is not None
    jurist.set_trace_tag(trace_id, "reviewed", "yes")
    assert some(jurist.get_trace(trace_id)).info.tags["reviewed"] == "yes"
    jurist.delete_trace_tag(trace_id, "reviewed")
    assert "reviewed" not in some(jurist.get_trace(trace_id)).info.tags


def test_anthropic_autolog_inside_an_app(fake_anthropic: FakeAnthropic) -> None:
    anthropic = pytest.importorskip("anthropic")
    jurist.anthropic.autolog()
    try:
        client = anthropic.Anthropic(base_url=fake_anthropic.base_url, api_key=fake_anthropic.api_key,
                                     default_headers={"x-api-key": fake_anthropic.api_key}, max_retries=0)

        @jurist.trace(span_type=SpanType.AGENT)
        def agent(question: str) -> str:
            reply = client.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                           messages=[{"role": "user", "content": question}])
            return str(reply.content[0].text)

        fake_anthropic.enqueue(Reply.text("Use the reset link."))
        agent("How do I reset my password?")
    finally:
        jurist.anthropic.autolog(disable=True)

    @scorer
    def used_one_llm_call(trace: Any) -> bool:
        return len(trace.search_spans(span_type=SpanType.CHAT_MODEL)) == 1

    results = jurist.genai.evaluate(data=jurist.search_traces(max_results=1), scorers=[used_one_llm_call])
    assert results.metrics["used_one_llm_call/mean"] == 1.0


def test_flush_and_read_back_every_trace() -> None:
    for q in ("a", "b", "c"):
        rag_app(q)
    jurist.flush_trace_async_logging()
    df = jurist.search_traces(order_by=["timestamp_ms ASC"], return_type="pandas")
    assert [r["question"] for r in df["request"]] == ["a", "b", "c"]


def test_span_status_and_events_in_mlflow_entities() -> None:
    from jurist.entities import SpanEvent, SpanStatus, SpanStatusCode

    with jurist.start_span(name="call_tool", span_type=SpanType.TOOL) as span:
        span.add_event(SpanEvent(name="retry", attributes={"attempt": 2}))
        try:
            raise TimeoutError("tool timed out")
        except TimeoutError as e:
            span.add_event(SpanEvent.from_exception(e))
        span.set_status(SpanStatus(SpanStatusCode.ERROR, "gave up"))
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    tool = trace.data.spans[0]
    assert tool.status == "ERROR" and [e["name"] for e in tool.events] == ["retry", "exception"]
    with jurist.start_span(name="fine") as ok:
        ok.set_status(SpanStatusCode.OK)
    assert some(jurist.get_trace(some(jurist.get_last_active_trace_id()))).data.spans[0].status == "OK"


def test_tracing_can_be_switched_off_and_on() -> None:
    @jurist.trace
    def app(x: int) -> int:
        with jurist.start_span("inner") as span:
            span.set_attribute("x", x)
        return x + 1

    app(1)
    first = jurist.get_last_active_trace_id()
    jurist.tracing.disable()
    try:
        assert not jurist.tracing.is_enabled()
        assert app(2) == 3  # the code runs; nothing is recorded
        assert jurist.get_last_active_trace_id() == first
    finally:
        jurist.tracing.enable()
    app(3)
    assert jurist.get_last_active_trace_id() != first
    assert len(jurist.search_traces(return_type="list")) == 2
