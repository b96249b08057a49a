"""More MLflow-style examples: every predefined scorer at once, calling a scorer directly with ``run``,
retrieval sufficiency against expected facts, and a knowledge-retention check over a traced chat session."""

from __future__ import annotations

from typing import Any

import jurist
from jurist.entities import Document, SpanType
from jurist.genai import scorer
from jurist.genai.scorers import KnowledgeRetention, RetrievalSufficiency, get_all_scorers
from tests._helpers import some


def test_every_predefined_scorer_over_a_trace(judge_says: Any) -> None:
    judge_says("yes")

    @jurist.trace(span_type=SpanType.RETRIEVER)
    def search(q: str) -> list[Document]:
        return [Document(page_content="Returns are accepted within 30 days.")]

    @jurist.trace
    def support(question: str) -> str:
        return f"{search(question)[0].page_content} Keep the receipt."

    support("Can I return shoes?")
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    jurist.log_expectation(trace_id=trace.info.trace_id, name="expected_response",
                           value="Within 30 days, with a receipt")
    scorers = [s for s in get_all_scorers() if "session" not in getattr(s, "required", ())
               and "Tool" not in type(s).__name__]
    assert {"correctness", "safety", "relevance_to_query"} <= {s.name for s in scorers}
    results = jurist.genai.evaluate(data=jurist.search_traces(max_results=1), scorers=scorers)
    assert results.metrics["correctness/mean"] == 1.0 and results.metrics["retrieval_groundedness/mean"] == 1.0


def test_calling_a_scorer_with_run() -> None:
    @scorer
    def has_greeting(outputs: str) -> bool:
        return outputs.lower().startswith(("hi", "hello"))

    assert has_greeting.run(outputs="Hello there") is True or has_greeting.run(outputs="Hello there").value is True
    assert has_greeting(outputs="Bye") is False


def test_retrieval_sufficiency_against_expected_facts(judge_says: Any) -> None:
    judge_says("no", rationale="The context does not state the price.")

    @jurist.trace(span_type=SpanType.RETRIEVER)
    def lookup(q: str) -> list[Document]:
        return [Document(page_content="The Pro plan includes 10 seats.")]

    @jurist.trace
    def pricing_bot(question: str) -> str:
        lookup(question)
        return "The Pro plan has 10 seats."

    pricing_bot("How much is Pro and how many seats?")
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    (fb,) = RetrievalSufficiency()(trace=trace, expectations={"expected_facts": ["Pro costs $30", "Pro has 10 seats"]})
    assert fb.value == "no" and fb.span_id == trace.search_spans(span_type=SpanType.RETRIEVER)[0].span_id


def test_knowledge_retention_over_a_traced_session(judge_says: Any) -> None:
    judge_says("yes")
    memory: dict[str, str] = {}

    @jurist.trace
    def chat(message: str, session_id: str) -> str:
        jurist.update_current_trace(metadata={"mlflow.trace.session": session_id})
        if message.startswith("My name is"):
            memory[session_id] = message.removeprefix("My name is ").strip(".")
            return "Nice to meet you!"
        return f"Your name is {memory.get(session_id, 'unknown')}."

    chat("My name is Ana.", "s-42")
    chat("What is my name?", "s-42")
    session = jurist.search_traces(filter_string="metadata.`mlflow.trace.session` = 's-42'", return_type="list")
    results = jurist.genai.evaluate(data=session, scorers=[KnowledgeRetention()])
    assert results.metrics["knowledge_retention/mean"] == 1.0
    judged = [t for t in session if jurist.get_trace(t.info.trace_id).search_assessments("knowledge_retention")]  # type: ignore[union-attr]
    assert len(judged) == 1  # one verdict per session, on its first trace
