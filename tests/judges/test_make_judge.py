
import json
from typing import Any, Literal

import pytest

from jurist import Feedback, make_judge
from jurist.errors import ConfigError
from jurist.judges import InstructionsJudge, judge_from_dict
from tests.fakes.openai import FakeOpenAI, server_error


def polite(**kw: Any) -> InstructionsJudge:
    return make_judge(name="polite", instructions="Is the reply in {{ outputs }} polite to {{ inputs }}?",
                      model="openai:/gpt-4o-mini", **kw)


def test_variables_are_found() -> None:
    assert polite().template_variables == ("outputs", "inputs")


@pytest.mark.parametrize("instructions,match", [
    ("Is {{ output }} polite?", r"unknown template variable.*'output'.*\{\{ inputs \}\}"),
    ("Is it polite?", "at least one of"),
    ("{% if x %}{{ outputs }}{% endif %}", "template logic"),
    ("", "non-empty instructions"),
])
def test_bad_templates_are_config_errors_listing_the_allowed_variables(instructions: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_judge(name="j", instructions=instructions, model="openai:/gpt-4o-mini")


@pytest.mark.parametrize("tp", [dict, set, list, "bool", dict[int, str], tuple[int]])
def test_unsupported_value_types_are_rejected(tp: object) -> None:
    with pytest.raises(ConfigError, match="feedback"):
        polite(feedback_value_type=tp)


def test_structured_output_schema_follows_the_value_type(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: '{"rationale": "ok", "result": {"tone": 4, "clarity": 5}}'
    fb = polite(feedback_value_type=dict[str, int])(inputs="hi", outputs="hello")
    assert fb.value == {"tone": 4, "clarity": 5}
    schema = fake_openai.requests[-1].body["response_format"]["json_schema"]
    assert schema["schema"]["properties"]["result"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert schema["strict"] is False  # open objects cannot be strict


def test_system_prompt_is_the_same_for_every_row(fake_openai: FakeOpenAI) -> None:
    judge = polite(feedback_value_type=bool)
    judge(inputs="a", outputs="b")
    judge(inputs="c", outputs="d")
    sys1, sys2 = (r.body["messages"][0]["content"] for r in fake_openai.requests)
    assert sys1 == sys2 and "<outputs>" in sys1 and "{{" not in sys1
    assert "<inputs>\nc\n</inputs>" in fake_openai.requests[-1].body["messages"][1]["content"]


def test_missing_variable_is_a_config_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ConfigError, match="outputs="):
        polite()(inputs="hi")


def test_value_outside_type_is_repaired_once(fake_openai: FakeOpenAI) -> None:
    answers = iter(['{"rationale": "r", "result": "very"}', '{"rationale": "r2", "result": true}'])
    fake_openai.responder = lambda body: next(answers)
    fb = polite(feedback_value_type=bool)(inputs="hi", outputs="hello")
    assert fb.value is True and fb.metadata["repaired"] is True
    repair = fake_openai.requests[-1].body["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"rationale": "r", "result": "very"}'}
    assert "could not be read" in repair[-1]["content"]
    assert fb.metadata["input_tokens"] == 84  # both calls are counted


def test_unparseable_after_repair_is_a_parse_error_with_raw_text(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: "I'd say it is quite polite."
    fb = polite(feedback_value_type=bool)(inputs="hi", outputs="hello")
    assert fb.value is None and fb.error is not None and fb.error.error_code == "PARSE_ERROR"
    assert fb.metadata["raw_output"] == "I'd say it is quite polite."
    assert fake_openai.calls == 2


def test_provider_failure_is_an_error_feedback_not_a_crash(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(*[server_error(500)] * 10)
    judge = polite(feedback_value_type=bool, inference_params={"timeout": 5})
    judge.client.retry = type(judge.client.retry)(max_attempts=2, base_backoff_s=0.01)
    fb = judge(inputs="hi", outputs="hello")
    assert fb.value is None and fb.error is not None and fb.error.error_code == "SERVER_ERROR"


def test_inference_params_reach_the_wire(fake_openai: FakeOpenAI) -> None:
    polite(inference_params={"temperature": 0, "max_tokens": 50, "top_p": 0.5, "stop": ["\n\n"]})(
        inputs="a", outputs="b")
    body = fake_openai.requests[-1].body
    assert body["max_tokens"] == 50 and body["top_p"] == 0.5 and body["stop"] == ["\n\n"] and body["seed"] == 0


def test_extra_headers_and_base_url_reach_the_wire(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL")
    polite(base_url=fake_openai.base_url, extra_headers={"X-Team": "qa"})(inputs="a", outputs="b")
    assert fake_openai.requests[-1].headers["X-Team"] == "qa"


def test_judge_round_trips_as_data() -> None:
    judge = polite(feedback_value_type=Literal["good", "bad"], inference_params={"temperature": 0})
    data = json.loads(json.dumps(judge.to_dict()))
    again = judge_from_dict(data)
    assert again.to_dict() == judge.to_dict()
    assert "extra_headers" not in data  # headers may carry secrets; never serialised


def test_feedback_value_types_reach_feedback(fake_openai: FakeOpenAI) -> None:
    for tp, text, expected in [
        (int, '{"rationale": "r", "result": 4}', 4),
        (float, '{"rationale": "r", "result": 0.25}', 0.25),
        (list[str], '{"rationale": "r", "result": ["a", "b"]}', ["a", "b"]),
        (Literal["low", "high"], '{"rationale": "r", "result": "high"}', "high"),
    ]:
        fake_openai.responder = lambda body, t=text: t
        fb = polite(feedback_value_type=tp)(inputs="x", outputs="y")
        assert isinstance(fb, Feedback) and fb.value == expected, tp


async def test_acall_is_async(fake_openai: FakeOpenAI) -> None:
    fb = await polite(feedback_value_type=bool).acall(inputs="a", outputs="b")
    assert fb.value is True
