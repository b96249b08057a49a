"""MLflow's "create a custom judge" tutorial shape: three make_judge judges — on inputs/outputs, on
expectations, and on the whole trace — over a traced support agent run by evaluate()."""

from __future__ import annotations

import json
from typing import Any, Literal

import jurist
from jurist.genai.judges import make_judge
from jurist.judges import InstructionsJudge
from tests.fakes.openai import FakeOpenAI

RESOLVE_ISSUES = False


@jurist.trace(span_type="TOOL", name="get_product_price")
def get_product_price(product_name: str) -> str:
    return "$45.99"


@jurist.trace(span_type="TOOL", name="check_return_policy")
def check_return_policy(product_name: str, days_since_purchase: int) -> str:
    return "Yes, within 30 days" if days_since_purchase <= 30 else "Sorry, returns only within 30 days"


@jurist.trace
def customer_support_agent(messages: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    user_message = messages[-1]["content"].lower()
    tool_results: list[str] = []
    if "cost" in user_message:
        tool_results.append(f"Price: {get_product_price('microwave')}")
    if "return" in user_message:
        tool_results.append(f"Return policy: {check_return_policy('microwave', 60)}")
    reply = "; ".join(tool_results) if RESOLVE_ISSUES else "Please contact us later."
    return {"messages": [{"role": "assistant", "content": reply}]}


def make_judges() -> list[InstructionsJudge]:
    # Built after the test environment names the judge model (a judge without model= picks it when made).
    issue_resolution_judge = make_judge(
        name="issue_resolution",
        instructions="Evaluate if the customer's issue was resolved.\n\nUser's messages: {{ inputs }}\n"
                     "Agent's responses: {{ outputs }}",
        feedback_value_type=Literal["fully_resolved", "partially_resolved", "needs_follow_up"])
    expected_behaviors_judge = make_judge(
        name="expected_behaviors",
        instructions="Compare the agent's response in {{ outputs }} against the expected behaviors in {{ expectations }}."
                     "\n\nUser's question: {{ inputs }}",
        feedback_value_type=Literal["meets_expectations", "partially_meets", "does_not_meet"])
    tool_call_judge = make_judge(
        name="tool_call_correctness",
        instructions="Analyze the execution {{ trace }} to determine if the agent called appropriate tools.",
        feedback_value_type=bool, model="openai:/gpt-4o-mini")
    return [issue_resolution_judge, expected_behaviors_judge, tool_call_judge]


EVAL_DATASET = [
    {"inputs": {"messages": [{"role": "user", "content": "How much does a microwave cost?"}]},
     "expectations": {"should_provide_pricing": True}},
    {"inputs": {"messages": [{"role": "user", "content": "Can I return the microwave I bought 2 months ago?"}]},
     "expectations": {"should_mention_return_policy": True}},
]


def _answer(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    user = body["messages"][1]["content"]
    if "appropriate tools" in system:
        result: object = "check_return_policy" in user or "get_product_price" in user
    elif "expected behaviors" in system:
        result = "meets_expectations" if "$45.99" in user or "30 days" in user else "does_not_meet"
    else:
        result = "fully_resolved" if "contact us later" not in user else "needs_follow_up"
    return json.dumps({"rationale": "Read from the request.", "result": result})


def test_three_custom_judges_compare_two_agent_configurations(fake_openai: FakeOpenAI) -> None:
    global RESOLVE_ISSUES
    fake_openai.responder = _answer
    judges = make_judges()
    RESOLVE_ISSUES = False
    result_unresolved = jurist.genai.evaluate(data=EVAL_DATASET, predict_fn=customer_support_agent, scorers=judges)
    RESOLVE_ISSUES = True
    try:
        result_resolved = jurist.genai.evaluate(data=EVAL_DATASET, predict_fn=customer_support_agent, scorers=judges)
    finally:
        RESOLVE_ISSUES = False
    df_bad, df_good = result_unresolved.result_df, result_resolved.result_df
    assert list(df_bad["issue_resolution/value"]) == ["needs_follow_up"] * 2
    assert list(df_good["issue_resolution/value"]) == ["fully_resolved"] * 2
    assert list(df_good["expected_behaviors/value"]) == ["meets_expectations"] * 2
    # the trace judge saw the tool spans recorded inside the agent, in both runs
    assert list(df_bad["tool_call_correctness/value"]) == [True, True]
    assert result_resolved.metrics["tool_call_correctness/mean"] == 1.0
