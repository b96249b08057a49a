"""predict_fn is traced during evaluate(): judges see the trace, and the store keeps it."""

from __future__ import annotations

import jurist
from jurist import evaluate
from jurist.judges import RelevanceToQuery, RetrievalGroundedness
from jurist.tracking import get_trace
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI


@jurist.trace(span_type="RETRIEVER")
def search(question: str) -> list[dict[str, str]]:
    return [{"page_content": f"Notes about {question}."}]


def rag_app(question: str) -> str:
    docs = search(question)
    return f"From {len(docs)} document(s): {docs[0]['page_content']}"


async def async_app(question: str) -> str:
    return f"async answer to {question}"


def test_predict_fn_trace_reaches_trace_judges_and_the_store(fake_openai: FakeOpenAI) -> None:
    rows = [{"inputs": {"question": "refunds"}}, {"inputs": {"question": "shipping"}}]
    result = evaluate(rows, [RetrievalGroundedness(), RelevanceToQuery()], predict_fn=rag_app)
    grounded = [f for r in result.rows for f in r.feedbacks if f.name == "retrieval_groundedness"]
    assert [f.value for f in grounded] == ["yes", "yes"] and all(f.span_id for f in grounded)
    sent = [r.body["messages"][1]["content"] for r in fake_openai.requests]
    assert any("Notes about refunds." in s for s in sent)

    stored = get_trace(some(some(result.rows[0].feedback("relevance_to_query")).trace_id))
    names = {s.name: s for s in stored.spans}
    assert names["rag_app"].span_type == "CHAIN" and names["rag_app"].inputs == {"question": "refunds"}
    assert names["search"].span_type == "RETRIEVER" and names["search"].parent_id == names["rag_app"].span_id
    assert grounded[0].span_id == names["search"].span_id


def test_async_predict_fn_is_traced(fake_openai: FakeOpenAI) -> None:
    result = evaluate([{"inputs": {"question": "q"}}], [RelevanceToQuery()], predict_fn=async_app)
    stored = get_trace(some(some(result.rows[0].feedback("relevance_to_query")).trace_id))
    assert [s.name for s in stored.spans] == ["async_app"]
    assert stored.spans[0].outputs == "async answer to q"


def test_jurist_get_trace_finds_recent_and_stored_traces(fake_openai: FakeOpenAI) -> None:
    result = evaluate([{"inputs": {"question": "q"}}], [RelevanceToQuery()], predict_fn=rag_app)
    trace_id = some(result.rows[0].feedback("relevance_to_query")).trace_id
    recent = jurist.get_trace(some(trace_id))
    assert recent is not None and {s.name for s in recent.spans} == {"rag_app", "search"}
    logged = jurist.log_trace({"trace_id": "only-in-store", "spans": [{"name": "x", "span_id": "s"}]})
    stored = jurist.get_trace(logged)
    assert stored is not None and stored.spans[0].name == "x"
    assert jurist.get_trace("no-such-trace") is None
