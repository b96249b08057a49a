"""The two-step verdict's pure parts: which requests take it, and how the steps' answers join into one."""

from __future__ import annotations

import json
from typing import Any

from jurist.judges._confidence import verdict_confidence
from jurist.judges._values import YesNo
from jurist.local import _prefill
from jurist.models.providers.openai import read_logprobs
from tests.local.helpers import SHORT_VERDICT as _SHORT
from tests.local.helpers import msgs

SHORT_VERDICT: dict[str, Any] = dict(_SHORT)
PROPS: dict[str, Any] = dict(_SHORT["properties"])  # type: ignore[call-overload]


def _body(schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    rf = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema or SHORT_VERDICT, "strict": True}}
    return {"messages": msgs("Judge it.", "Is 2+2 4?"), "response_format": rf, **extra}


def _number_verdict() -> dict[str, Any]:
    return {**SHORT_VERDICT, "properties": {"rationale": {"type": "string"}, "result": {"type": "integer"}}}


def test_a_verdict_object_with_listed_string_values_is_planned_with_its_quotes_written() -> None:
    plan = _prefill.plan_for(_body(), 512)
    assert plan == _prefill.Plan(quoted=True, verdict_tokens=_prefill.VERDICT_MAX_TOKENS)


def test_a_number_verdict_is_planned_without_quotes_and_with_the_clients_budget() -> None:
    assert _prefill.plan_for(_body(_number_verdict()), 300) == _prefill.Plan(quoted=False, verdict_tokens=300)


def test_requests_that_steps_would_change_are_sent_as_they_are() -> None:
    verdict_only = {**SHORT_VERDICT, "properties": {"result": PROPS["result"]},
                    "required": ["result"]}
    result_first = {**SHORT_VERDICT, "properties": {"result": PROPS["result"],
                                                    "rationale": {"type": "string"}}}
    own_prefill = _body()
    own_prefill["messages"] = [*own_prefill["messages"], {"role": "assistant", "content": "{"}]
    for body in (
        {"messages": msgs("a", "b")},                                    # no schema
        {**_body(), "response_format": {"type": "json_object"}},         # any object
        _body(verdict_only), _body(result_first),
        _body({**SHORT_VERDICT, "additionalProperties": True}),
        _body({**SHORT_VERDICT, "properties": {**PROPS,
                                               "rationale": {"type": "string", "pattern": "^a"}}}),
        _body(stop=["\n"]), _body(stream=True), _body(n=2), own_prefill,
    ):
        assert _prefill.plan_for(body, 512) is None, body


def test_a_listed_value_with_a_quote_is_not_written_around() -> None:
    schema = {**SHORT_VERDICT, "properties": {"rationale": {"type": "string"},
                                              "result": {"type": "string", "enum": ['say "yes"', "no"]}}}
    plan = _prefill.plan_for(_body(schema), 100)
    assert plan is not None and not plan.quoted


def test_the_prefill_is_the_assistants_answer_so_far_and_stops_at_a_quote() -> None:
    sent = _prefill.with_prefill(_body(), _prefill.OPEN, max_tokens=40, stop=True)
    assert sent["messages"][-1] == {"role": "assistant", "content": '{"rationale": "'}
    assert sent["stop"] == ['"'] and sent["max_tokens"] == 40
    assert len(sent["messages"]) == 3 and "stop" not in _prefill.with_prefill(_body(), "x", max_tokens=1, stop=False)


def test_the_verdict_prefix_closes_the_rationale_and_opens_the_value() -> None:
    quoted = _prefill.Plan(quoted=True, verdict_tokens=16)
    bare = _prefill.Plan(quoted=False, verdict_tokens=16)
    assert _prefill.verdict_prefix('{"rationale": "ok', quoted) == '{"rationale": "ok", "result": "'
    assert _prefill.verdict_prefix('{"rationale": "ok', bare) == '{"rationale": "ok", "result": '


def test_a_stop_after_an_odd_run_of_backslashes_was_inside_an_escape() -> None:
    assert _prefill.ends_inside_escape('he said \\')
    assert not _prefill.ends_inside_escape('a path C:\\\\')
    assert _prefill.ends_inside_escape('\\\\\\')
    assert not _prefill.ends_inside_escape("plain")


def _answer(content: str, tokens: list[tuple[str, float]] | None, *, prompt: int, cached: int, evaluated: int,
            completion: int, finish: str = "stop") -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content},
                              "finish_reason": finish}
    if tokens is not None:
        choice["logprobs"] = {"content": [
            {"token": t, "logprob": lp, "bytes": list(t.encode()),
             "top_logprobs": [{"token": t, "logprob": lp}, {"token": "no", "logprob": -3.0}]}
            for t, lp in tokens]}
    return {"choices": [choice], "model": "m",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                      "prompt_tokens_details": {"cached_tokens": cached}},
            "timings": {"prompt_n": evaluated, "cache_n": cached, "prompt_ms": 10.0 * evaluated,
                        "predicted_n": completion, "predicted_ms": 50.0 * completion,
                        "predicted_per_second": 20.0}}


def _steps() -> tuple[list[dict[str, Any]], list[tuple[str, str | None]]]:
    # llama.cpp returns the prefill with what the model wrote; a stop string's token may trail the logprobs
    first = _answer('{"rationale": "Four is right', [("Four", -0.1), (" is", -0.2), (" right", -0.3), ('"', -0.1)],
                    prompt=100, cached=60, evaluated=40, completion=4)
    opened = '{"rationale": "Four is right", "result": "'
    second = _answer(opened + "yes", [("yes", -0.05)], prompt=112, cached=105, evaluated=7, completion=1)
    pieces: list[tuple[str, str | None]] = [
        (_prefill.OPEN, None), (_prefill.generated(first, _prefill.OPEN), "0"), ('", "result": "', None),
        (_prefill.generated(second, opened), "1"), ('"}', None),
    ]
    return [first, second], pieces


def test_the_steps_join_into_one_json_answer_with_usage_and_timings_summed() -> None:
    parts, pieces = _steps()
    out = _prefill.join(parts, pieces, 2)
    text = out["choices"][0]["message"]["content"]
    assert json.loads(text) == {"rationale": "Four is right", "result": "yes"}
    assert out["choices"][0]["finish_reason"] == "stop" and out["jurist_steps"] == 2
    # prompt tokens: the first request's and those the second added; its cache was this answer's own start
    assert out["usage"]["prompt_tokens"] == 107 and out["usage"]["completion_tokens"] == 5
    assert out["usage"]["total_tokens"] == 112 and out["usage"]["prompt_tokens_details"] == {"cached_tokens": 60}
    t = out["timings"]
    assert (t["prompt_n"], t["cache_n"], t["predicted_n"]) == (47, 60, 5)
    assert t["predicted_ms"] == 250.0 and "predicted_per_second" not in t


def test_the_joined_logprobs_spell_the_answer_and_carry_the_verdicts_confidence() -> None:
    parts, pieces = _steps()
    out = _prefill.join(parts, pieces, 2)
    tokens = read_logprobs(out["choices"][0]["logprobs"])
    assert tokens is not None
    assert "".join(t.token for t in tokens) == out["choices"][0]["message"]["content"]
    written = [t for t in tokens if t.token in (_prefill.OPEN, '", "result": "', '"}')]
    assert len(written) == 3 and all(t.logprob == 0.0 for t in written)
    conf = verdict_confidence(tokens, YesNo)
    assert conf is not None and conf["confidence_method"] == "logprobs" and 0.9 < conf["confidence"] <= 1.0


def test_without_logprobs_the_join_has_none() -> None:
    first = _answer('{"rationale": "ok', None, prompt=10, cached=0, evaluated=10, completion=1)
    second = _answer('{"rationale": "ok", "result": "no', None, prompt=14, cached=12, evaluated=2, completion=1)
    pieces: list[tuple[str, str | None]] = [(_prefill.OPEN, None), ("ok", "0"), ('", "result": "', None),
                                            ("no", "1"), ('"}', None)]
    out = _prefill.join([first, second], pieces, 2)
    assert "logprobs" not in out["choices"][0] and _prefill.valid(out["choices"][0]["message"]["content"])


def test_an_answer_without_the_prefill_is_read_as_what_the_model_wrote() -> None:
    out = _answer("Four is right", None, prompt=1, cached=0, evaluated=1, completion=3)
    assert _prefill.generated(out, _prefill.OPEN) == "Four is right"
    assert _prefill.finish_reason(_answer("x", None, prompt=1, cached=0, evaluated=1, completion=1,
                                          finish="length")) == "length"
