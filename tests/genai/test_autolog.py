"""``jurist.openai.autolog()``: the application's own OpenAI SDK calls become CHAT_MODEL spans, the way
MLflow's examples trace their apps before judging them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import jurist
from jurist.entities import Feedback, SpanType, Trace
from jurist.genai import scorer
from tests._helpers import some
from tests.fakes._server import Reply
from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays

openai = pytest.importorskip("openai")


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Iterator[Any]:  # an openai.OpenAI, imported only if installed
    jurist.openai.autolog()
    yield openai.OpenAI(base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0)
    jurist.openai.autolog(disable=True)


def test_sdk_calls_become_chat_model_spans(client: Any, fake_openai: FakeOpenAI) -> None:
    @jurist.trace
    def sample_app(messages: list[dict[str, str]]) -> str:
        response = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "system", "content": "You are helpful."}, *messages])
        return str(response.choices[0].message.content)

    fake_openai.enqueue(Reply.text("Paris."))
    assert sample_app([{"role": "user", "content": "Capital of France?"}]) == "Paris."
    trace = some(jurist.get_trace(some(jurist.get_last_active_trace_id())))
    (llm,) = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    assert llm.parent_id == some(trace.root_span).span_id and llm.attributes["model"] == "gpt-4o-mini"
    assert llm.inputs["messages"][1] == {"role": "user", "content": "Capital of France?"}
    assert llm.outputs["choices"][0]["message"]["content"] == "Paris."


def test_autolog_twice_wraps_once_and_disable_restores(client: Any) -> None:
    from openai.resources.chat.completions import Completions

    wrapped = Completions.create
    jurist.openai.autolog()
    assert Completions.create is wrapped
    jurist.openai.autolog(disable=True)
    assert not hasattr(Completions.create, "__jurist_autolog_original__")


def test_judging_the_llm_spans_of_an_evaluated_app(client: Any, fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    def sample_app(messages: list[dict[str, str]]) -> str:
        return str(client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content)

    @scorer
    def llm_response_time_good(trace: Trace) -> Feedback:
        llm_span = trace.search_spans(span_type=SpanType.CHAT_MODEL)[0]
        response_time = (some(llm_span.end_time_ns) - some(llm_span.start_time_ns)) / 1e9
        return Feedback(value="yes" if response_time <= 60.0 else "no", rationale=f"{response_time:.2f}s")

    judge_says("yes")
    eval_results = jurist.genai.evaluate(
        data=[{"inputs": {"messages": [{"role": "user", "content": "How much does a microwave cost?"}]}}],
        predict_fn=sample_app, scorers=[llm_response_time_good])
    assert eval_results.metrics["llm_response_time_good/mean"] == 1.0
    generated_traces = jurist.search_traces(run_id=eval_results.run_id)
    again = jurist.genai.evaluate(data=generated_traces, scorers=[llm_response_time_good])
    assert again.metrics["llm_response_time_good/mean"] == 1.0
