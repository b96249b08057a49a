"""MLflow's ``mlflow.genai.judges`` shapes: ``make_judge`` and the functional judges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pytest

import jurist
from jurist.genai.judges import (
    custom_prompt_judge,
    is_context_relevant,
    is_context_sufficient,
    is_correct,
    is_grounded,
    is_safe,
    make_judge,
    meets_guidelines,
)
from jurist.genai.scorers import make_scorer_ensemble
from tests._helpers import some
from tests.fakes._server import FakeServer
from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays


def _last_prompt(fake: FakeServer) -> str:
    return str(fake.requests[-1].body["messages"][1]["content"])


def test_is_correct(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("yes")
    feedback = is_correct(request="What is MLflow?", response="MLflow is an open-source platform.",
                          expected_facts=["MLflow is open-source"])
    assert feedback.value == "yes" and feedback.rationale and feedback.name == "correctness"
    assert "MLflow is open-source" in _last_prompt(fake_openai)
    named = is_correct(request="2+2?", response="4", expected_response="4", name="math_check")
    assert named.name == "math_check"


def test_is_grounded_reads_the_given_context(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("no")
    feedback = is_grounded(request="When is the store open?", response="24/7.",
                           context=[{"content": "Open 9am-5pm, Monday to Friday."}])
    assert feedback.value == "no" and feedback.trace_id is None and feedback.name == "groundedness"
    assert "Open 9am-5pm" in _last_prompt(fake_openai)


def test_context_relevance_and_sufficiency(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("yes")
    assert is_context_relevant(request="Capital of France?", context="Paris is the capital of France.").value == "yes"
    fb = is_context_sufficient(request="Capital of France?", context=["Paris is the capital of France."],
                               expected_facts=["Paris"])
    assert fb.value == "yes" and "Paris" in _last_prompt(fake_openai)


def test_is_safe_and_meets_guidelines(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("yes")
    safe = is_safe(content="I can help you reset your password.")
    assert safe.value == "yes" and safe.name == "safety"
    assert meets_guidelines(guidelines="Be polite.", context={"response": "Hello, how are you?"}).name == "guidelines"
    fb = meets_guidelines(guidelines="The response must be polite.",
                          context={"request": "Reset my password", "response": "Sure, here is how."},
                          name="polite")
    assert fb.name == "polite" and "must be polite" in fake_openai.requests[-1].body["messages"][0]["content"]


def test_custom_prompt_judge_with_numeric_values(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge = custom_prompt_judge(
        name="formality",
        prompt_template=("Rate the formality of this reply: {{ response }}\n"
                         "[[formal]]: business language\n[[semi_formal]]: friendly but clean\n"
                         "[[informal]]: slang"),
        numeric_values={"formal": 1.0, "semi_formal": 0.5, "informal": 0.0})
    judge_says("semi_formal")
    fb = judge(response="Hey, thanks a lot!")
    assert fb.value == 0.5 and fb.name == "formality" and fb.metadata["label"] == "semi_formal"
    assert "Hey, thanks a lot!" in _last_prompt(fake_openai)
    with pytest.raises(jurist.ConfigError, match="needs response"):
        judge(reply="missing")
    with pytest.raises(jurist.ConfigError, match=r"\[\[label\]\]"):
        custom_prompt_judge(name="x", prompt_template="No options {{ a }}")


def test_make_judge_bool_and_literal(judge_says: JudgeSays) -> None:
    tone = make_judge(name="tone", instructions="Is the reply in {{ outputs }} polite to {{ inputs }}?",
                      feedback_value_type=bool, model="openai:/gpt-4o-mini")
    judge_says(True)
    assert tone(inputs={"q": "hi"}, outputs="Hello!").value is True
    quality = make_judge(name="quality", instructions="Rate {{ outputs }} against {{ expectations }}.",
                         feedback_value_type=Literal["good", "bad"])
    data = [{"inputs": {"q": "x"}, "outputs": "y", "expectations": {"expected_response": "z"}}]
    assert jurist.genai.evaluate(data=data, scorers=[tone]).metrics["tone/mean"] == 1.0
    judge_says("bad")
    result = jurist.genai.evaluate(data=data, scorers=[quality])
    assert result.scorer_metrics["quality"]["distribution"] == {"bad": 1.0}


def test_make_judge_over_a_trace(judge_says: JudgeSays) -> None:
    @jurist.trace(span_type="AGENT")
    def agent(question: str) -> str:
        with jurist.start_span("lookup", span_type="TOOL") as span:
            span.set_inputs({"q": question})
            span.set_outputs("42")
        return "The answer is 42."

    agent("meaning of life?")
    judge = make_judge(name="tool_use", instructions="Did the agent use its tools well? {{ trace }}",
                       feedback_value_type=Literal["yes", "no"])
    judge_says("yes")
    trace = jurist.get_trace(some(jurist.get_last_active_trace_id()))
    assert judge(trace=trace).value == "yes"


def test_scorer_ensemble(judge_says: JudgeSays) -> None:
    judge_says("yes")
    from jurist.genai.scorers import Correctness, Equivalence

    @jurist.genai.scorer
    def exact(outputs: str, expectations: dict[str, str]) -> str:
        return "yes" if outputs == expectations["expected_response"] else "no"

    panel = make_scorer_ensemble(name="agree", scorers=[Correctness(), Equivalence(), exact])
    result = jurist.genai.evaluate(data=[{"inputs": {"q": "2+2"}, "outputs": "four",
                                          "expectations": {"expected_response": "4"}}], scorers=[panel])
    fb = some(result.rows[0].feedback("agree"))
    assert fb.value == "yes" and len(fb.metadata["members"]) == 3  # two judges said yes, the exact match no
    mean = make_scorer_ensemble(name="avg", scorers=[exact, exact], ensemble_fn=lambda fbs: len(fbs) * 10)
    assert mean(outputs="4", expectations={"expected_response": "4"})[0].value == 20


def _weather_agent() -> Callable[[str], dict[str, list[str]]]:
    @jurist.trace(span_type="TOOL")
    def get_weather(location: str) -> dict[str, Any]:
        return {"temperature": 72, "condition": "sunny", "location": location}

    @jurist.trace
    def agent(query: str) -> dict[str, list[str]]:
        cities = [c for c in ("Paris", "London", "Tokyo") if c in query]
        return {"response": [get_weather(location=c)["condition"] for c in cities]}

    return agent


def test_tool_call_correctness_exact_and_fuzzy(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    from jurist.genai.scorers import ToolCallCorrectness, ToolCallEfficiency

    agent = _weather_agent()
    eval_dataset = [
        {"inputs": {"query": "Get weather for Paris and then for London"},
         "expectations": {"expected_tool_calls": [{"name": "get_weather", "arguments": {"location": "London"}},
                                                  {"name": "get_weather", "arguments": {"location": "Paris"}}]}},
        {"inputs": {"query": "What's the weather in Tokyo?"},
         "expectations": {"expected_tool_calls": [{"name": "get_weather"}]}},
    ]
    unordered = jurist.genai.evaluate(data=eval_dataset, predict_fn=agent,
                                      scorers=[ToolCallCorrectness(should_exact_match=True)])
    assert unordered.metrics["tool_call_correctness/mean"] == 1.0 and fake_openai.calls == 0  # no model asked
    ordered = jurist.genai.evaluate(data=eval_dataset, predict_fn=agent, scorers=[
        ToolCallCorrectness(should_exact_match=True, should_consider_ordering=True)])
    assert [some(r.feedback("tool_call_correctness")).value for r in ordered.rows] == ["no", "yes"]
    judge_says("yes")
    fuzzy = jurist.genai.evaluate(data=eval_dataset, predict_fn=agent,
                                  scorers=[ToolCallCorrectness(model="openai:/gpt-4o-mini"), ToolCallEfficiency()])
    assert fuzzy.metrics["tool_call_correctness/mean"] == 1.0 and fake_openai.calls == 4
    assert "expected_tool_calls" in fake_openai.requests[0].body["messages"][1]["content"]
    trace = jurist.get_trace(some(fuzzy.rows[0].trace_id))
    assert ToolCallCorrectness(name="my_tool_call_correctness")(trace=trace).name == "my_tool_call_correctness"
    again = jurist.judges.judge_from_dict(ToolCallCorrectness(should_exact_match=True).to_dict())
    assert again.should_exact_match is True


def test_scorer_wrapping_a_functional_judge(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:

    from jurist.entities import Feedback
    from jurist.genai.scorers import scorer

    @scorer
    def is_message_relevant(inputs: dict[str, Any], outputs: str) -> Feedback:
        last = next(m["content"] for m in reversed(inputs["messages"]) if m.get("role") == "user")
        return is_context_relevant(request=last, context={"response": outputs})

    judge_says("yes")
    result = jurist.genai.evaluate(
        data=[{"inputs": {"messages": [{"role": "user", "content": "Price of a microwave?"}]}, "outputs": "$45.99"}],
        scorers=[is_message_relevant])
    # the judge's feedback keeps its own name, as MLflow names a named Feedback's metric
    fb = some(result.rows[0].feedback("relevance_to_context"))
    assert fb.value == "yes" and result.metrics["relevance_to_context/mean"] == 1.0
    assert "$45.99" in _last_prompt(fake_openai) and "Price of a microwave?" in _last_prompt(fake_openai)
