"""``fake:/``: the offline model for users' own tests. Schema-valid answers for any judge, scripted answers
and errors, recorded requests, estimated usage; registered like every other provider, never cached."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import pytest

import jurist.judges
from jurist import evaluate, make_judge
from jurist.entities import Feedback
from jurist.errors import AuthError, ConfigError, RateLimitError, ServerError
from jurist.judges import Correctness, Guidelines, RelevanceToQuery, Safety
from jurist.judges._parsing import parse_verdict
from jurist.judges._values import verdict_schema
from jurist.models import (
    ChatRequest,
    ChatResponse,
    FakeModel,
    Message,
    ModelClient,
    ResponseSchema,
    RetryPolicy,
    Tool,
    ToolCall,
    Usage,
    parse_model_uri,
)
from jurist.models._fake import fill, guess_result
from jurist.models.providers import BUILTIN_PROVIDERS, get_provider_class
from jurist.models.providers.fake import FakeProvider
from tests._helpers import some
from tests.judges.test_builtin import CASES, Case

ROW = {"inputs": {"question": "What is 2 + 2?"}, "outputs": "It is 4.", "expectations": {"expected_response": "4"}}
FAST = RetryPolicy(max_attempts=3, base_backoff_s=0.001, max_backoff_s=0.001)
VERDICT = '{"rationale": "scripted", "result": "no"}'



def correctness(model: str) -> Any:
    judge = Correctness(model=model)
    judge.client.retry = FAST
    return judge


def chat(client: ModelClient, request: ChatRequest) -> ChatResponse:
    return asyncio.run(client.chat(request))


# -- a provider like the others ---------------------------------------------------------------------
def test_fake_is_a_registered_in_process_provider_without_key_or_http() -> None:
    assert "fake" in BUILTIN_PROVIDERS and get_provider_class("fake") is FakeProvider
    assert parse_model_uri("fake:/") == parse_model_uri("fake:/default")
    assert parse_model_uri("fake:/mine").model == "mine"
    client = ModelClient("fake:/")
    assert isinstance(client.provider, FakeProvider)
    assert client.provider.in_process and not client.provider.requires_key and not client.provider.cacheable
    client.check_ready()  # no key, no server
    with pytest.raises(ConfigError, match="Invalid model URI 'openai:/'"):
        parse_model_uri("openai:/")  # only fake:/ has a model when none is named


def test_an_unregistered_name_is_a_config_error_that_says_how_to_register_it() -> None:
    with pytest.raises(ConfigError, match=r"FakeModel\(\.\.\., name='nobody'\)"):
        ModelClient("fake:/nobody").check_ready()
    with pytest.raises(ConfigError, match="fake:/nobody"):
        evaluate([ROW], [Correctness(model="fake:/nobody")], progress=False, log=False)


# -- fake:/ fits any judge ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_builtin_judge_gets_a_valid_verdict_from_fake(case: Case) -> None:
    judge = getattr(jurist.judges, case.judge)(**case.ctor, model="fake:/")
    result = judge(**case.call)
    for fb in result if judge.per_span else [result]:
        assert isinstance(fb, Feedback)
        assert fb.error is None, fb.error
        assert fb.value is not None and fb.rationale
        assert fb.metadata["input_tokens"] > 0 and fb.metadata["output_tokens"] > 0
        assert fb.metadata["cost_usd"] == 0.0


def test_evaluate_with_builtin_judges_on_fake_counts_tokens_and_cost() -> None:
    judges = [Correctness(model="fake:/"), RelevanceToQuery(model="fake:/"), Safety(model="fake:/default"),
              Guidelines(guidelines="Answer in one sentence.", model="fake:/")]
    result = evaluate([ROW] * 5, judges, progress=False, log=False)
    for name in ("correctness", "relevance_to_query", "safety", "guidelines"):
        assert result.metrics[f"{name}/error_count"] == 0
        assert result.metrics[f"{name}/pass_rate"] == 1.0
    assert result.judge_calls == 20 and result.cached_judgments == 0
    assert result.total_input_tokens > result.total_output_tokens > 0
    assert result.total_cost_usd == 0.0


@pytest.mark.parametrize("value_type", [bool, int, float, str, Literal["good", "bad"], Literal[3, 4], list[str],
                                        dict[str, int]])
@pytest.mark.parametrize("rationale", ["full", "short", "none"])
def test_make_judge_of_any_value_type_gets_a_value_of_that_type(value_type: Any, rationale: str) -> None:
    judge = make_judge(name="t", instructions="Is {{ outputs }} fine?", feedback_value_type=value_type,
                       model="fake:/", inference_params={"rationale": rationale})
    fb = judge(outputs="ok")
    assert fb.error is None, fb.error
    assert parse_verdict(json.dumps({"result": fb.value}), value_type)[0] == fb.value


def test_schema_values_are_the_first_option_the_minimum_and_a_rationale() -> None:
    assert fill(verdict_schema(Literal["yes", "no"])) == {"rationale": "The fake model's placeholder rationale.",
                                                          "result": "yes"}
    assert fill({"type": "integer", "minimum": 1, "maximum": 5}) == 1
    assert fill({"type": "integer", "exclusiveMinimum": 2}) == 3
    assert fill({"type": "integer", "maximum": -3}) == -3
    assert fill({"type": "number", "minimum": 0.5}) == 0.5
    assert fill({"type": "boolean"}) is True
    assert fill({"type": "string", "maxLength": 5}) == "The f"
    assert fill({"type": "string", "minLength": 60}).startswith("The fake")
    assert len(fill({"type": "string", "minLength": 60})) == 60
    assert fill({"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2}) == ["a", "a"]
    assert fill({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 7}]}) == 7
    assert fill({"type": ["null", "boolean"]}) is True
    assert fill({"const": "x"}) == "x"
    assert fill({"$defs": {"V": {"enum": ["pass"]}}, "type": "object",
                 "properties": {"v": {"$ref": "#/$defs/V"}}}) == {"v": "pass"}
    assert fill({"type": "object", "additionalProperties": {"type": "integer"}}) == {}


def test_without_a_schema_it_answers_json_the_judge_parser_accepts() -> None:
    for value_type, expected in [(Literal["yes", "no"], "yes"), (Literal["pass", "fail"], "pass"), (bool, True),
                                 (int, 0), (float, 0), (Literal[1, 2, 3], 1), (list[str], []), (str, "fake")]:
        judge = make_judge(name="t", instructions="Is {{ outputs }} fine?", feedback_value_type=value_type,
                           model="fake:/")
        (unit,) = judge.units(outputs="ok")
        request = judge.request(unit).without_schema()
        assert guess_result(request) == expected
        resp = chat(ModelClient("fake:/"), request)
        value, rationale = parse_verdict(resp.text, value_type)
        assert value == expected and rationale
    bare = chat(ModelClient("fake:/"), ChatRequest(messages=(Message("user", "hello"),)))
    assert json.loads(bare.text)["result"] == "yes"


# -- scripted answers ---------------------------------------------------------------------------------
def test_scripted_answers_come_in_order_and_requests_are_recorded() -> None:
    fake = FakeModel([VERDICT, {"rationale": "as a dict", "result": "yes"}], name="mine")
    assert fake.uri == "fake:/mine"
    judge = Correctness(model="fake:/mine")
    first = judge(**ROW)
    second = judge(**ROW)
    assert (first.value, first.rationale) == ("no", "scripted")
    assert (second.value, second.rationale) == ("yes", "as a dict")
    assert fake.calls == len(fake.requests) == 2
    sent = fake.requests[0]
    assert sent.response_schema is not None and sent.response_schema.name == "verdict"
    assert "It is 4." in sent.messages[-1].content and sent.messages[0].role == "system"
    # The script is used up: one more request is loud, not a guess.
    with pytest.raises(ConfigError, match="scripted with 2 answers"):
        judge(**ROW)
    fake.add(VERDICT)
    assert judge(**ROW).value == "no"


def test_a_callable_answers_from_the_request() -> None:
    def by_output(request: ChatRequest) -> dict[str, Any]:
        verdict = "yes" if "It is 4." in request.messages[-1].content else "no"
        return {"rationale": "looked at the output", "result": verdict}

    fake = FakeModel(by_output, name="reader")
    rows = [ROW, {**ROW, "outputs": "It is 5."}]
    result = evaluate(rows, [Correctness(model=fake.uri)], progress=False, log=False)
    assert [some(r.feedback("correctness")).value for r in result.rows] == ["yes", "no"]
    assert fake.calls == 2


def test_a_repair_request_reaches_the_fake_with_the_bad_answer_in_it() -> None:
    fake = FakeModel(["not json at all", VERDICT], name="sloppy")
    fb = Correctness(model="fake:/sloppy")(**ROW)
    assert fb.value == "no" and fb.metadata["repaired"] is True
    assert fake.requests[1].messages[-2] == Message("assistant", "not json at all")


def test_a_registered_default_takes_over_fake_default_and_unregisters_on_exit() -> None:
    with FakeModel([VERDICT]) as fake:
        assert Correctness(model="fake:/")(**ROW).value == "no"
        assert fake.calls == 1
    assert Correctness(model="fake:/")(**ROW).value == "yes"  # the schema-filling default again
    assert fake.calls == 1


def test_fake_answers_are_never_cached() -> None:
    fake = FakeModel(name="counted")
    judge = Correctness(model="fake:/counted")
    judge(**ROW)
    judge(**ROW)
    evaluate([ROW, ROW], [judge], progress=False, log=False, cache=True)
    assert fake.calls == 4


def test_usage_is_estimated_from_the_text_and_priced() -> None:
    FakeModel(["x" * 400], name="priced", price=(1_000_000.0, 2_000_000.0))
    resp = chat(ModelClient("fake:/priced"), ChatRequest(messages=(Message("user", "y" * 40),)))
    assert resp.usage.output_tokens == 100
    assert resp.usage.input_tokens == 10 + 4
    assert resp.cost_usd == pytest.approx(14 * 1.0 + 100 * 2.0)
    assert resp.model == "fake:/priced"
    # A scripted response keeps the usage it was given.
    FakeModel([ChatResponse(text="{}", usage=Usage(3, 4))], name="given")
    given = chat(ModelClient("fake:/given"), ChatRequest(messages=(Message("user", "y"),)))
    assert (given.usage.input_tokens, given.usage.output_tokens, given.cost_usd) == (3, 4, 0.0)


# -- scripted errors ----------------------------------------------------------------------------------
def test_a_rate_limit_is_retried_by_the_one_retry_loop() -> None:
    fake = FakeModel([RateLimitError("slow down", provider="fake", retry_after=0), VERDICT], name="busy")
    fb = correctness("fake:/busy")(**ROW)
    assert fb.error is None and fb.value == "no"
    assert fake.calls == 2


def test_server_errors_beyond_the_retry_budget_are_an_error_on_the_row() -> None:
    fake = FakeModel([ServerError("down", provider="fake", status=503)] * 3, name="down")
    result = evaluate([ROW], [correctness("fake:/down")], progress=False, log=False)
    fb = some(result.rows[0].feedback("correctness"))
    assert fb.value is None and fb.error is not None and "down" in (fb.error.error_message or "")
    assert result.metrics["correctness/error_count"] == 1
    assert fake.calls == FAST.max_attempts


def test_a_non_retryable_error_is_tried_once() -> None:
    fake = FakeModel([AuthError("bad key", provider="fake", status=401), VERDICT], name="refusing")
    fb = correctness("fake:/refusing")(**ROW)
    assert fb.error is not None and fake.calls == 1


# -- tools ----------------------------------------------------------------------------------------------
def test_tool_calls_scripted_or_filled_from_the_tool_schema() -> None:
    tool = Tool(name="lookup", description="", parameters={
        "type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer", "minimum": 2}}})
    submit = Tool(name="submit", description="", parameters={
        "type": "object", "properties": {"result": {"enum": ["yes", "no"]}}})
    request = ChatRequest(messages=(Message("user", "hi"),), tools=(tool, submit), tool_choice="required")
    resp = chat(ModelClient("fake:/"), request)
    assert [(c.name, c.arguments) for c in resp.tool_calls] == [("submit", {"result": "yes"})]
    named = chat(ModelClient("fake:/"), ChatRequest(messages=request.messages, tools=(tool, submit),
                                                    tool_choice="lookup"))
    assert named.tool_calls[0].arguments == {"city": "fake", "n": 2}
    FakeModel([ChatResponse(text="", tool_calls=[ToolCall(id="c1", name="lookup", arguments={"city": "Oslo"})])],
              name="tools")
    scripted = chat(ModelClient("fake:/tools"), request)
    assert scripted.tool_calls == [ToolCall(id="c1", name="lookup", arguments={"city": "Oslo"})]


def test_the_schema_of_a_request_is_what_fake_default_fills() -> None:
    schema = ResponseSchema(name="grade", schema={"type": "object", "properties": {
        "score": {"type": "integer", "minimum": 1, "maximum": 10}, "notes": {"type": "string"}}})
    resp = chat(ModelClient("fake:/"), ChatRequest(messages=(Message("user", "grade it"),), response_schema=schema))
    assert json.loads(resp.text) == {"score": 1, "notes": "fake"}


# -- judges made of judges ----------------------------------------------------------------------------
def test_pairwise_and_jury_judges_run_on_fake() -> None:
    from jurist.judges import Jury, PairwisePreference

    # fake:/default picks the first option, "A", in both orders: a flip, so a tie.
    assert PairwisePreference(model="fake:/")(inputs="q", outputs_a="a", outputs_b="b").value == "tie"
    # A in the first order and B once swapped: the same output both times.
    fake = FakeModel(['{"rationale": "r", "result": "A"}', '{"rationale": "r", "result": "B"}'], name="pw")
    assert PairwisePreference(model="fake:/pw")(inputs="q", outputs_a="a", outputs_b="b").value == "A"
    assert fake.calls == 2
    FakeModel([VERDICT], name="dissent")
    jury = Jury([Correctness(model="fake:/", name="c1"), Correctness(model="fake:/dissent", name="c2"),
                 Correctness(model="fake:/default", name="c3")], name="correctness")
    fb = jury(**ROW)
    assert fb.value == "yes" and fb.metadata["agreement"] == pytest.approx(2 / 3, abs=1e-3)


def test_reset_forgets_the_registered_fake_models() -> None:
    fake = FakeModel([VERDICT], name="before-reset")
    judge = Correctness(model=fake.uri)
    jurist.reset()
    with pytest.raises(ConfigError, match=r"No fake model is registered as 'fake:/before-reset' \(registered: none yet\)"):
        judge(**ROW)
    again = FakeModel([VERDICT], name="before-reset")  # registered anew, in the new process state
    assert judge(**ROW).value == "no" and again.calls == 1 and fake.calls == 0
    fake.unregister()  # the old one is no longer there to remove: the new one stays
    judge.check_ready()  # no ConfigError: fake:/before-reset is registered
    jurist.close()
    with pytest.raises(ConfigError, match="before-reset"):
        judge(**ROW)
