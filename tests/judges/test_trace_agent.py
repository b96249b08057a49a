"""Judges that explore a long trace with tools, against the fake OpenAI and Anthropic servers speaking
their real tool-calling wire formats."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jurist import Trace, make_judge
from jurist.entities import Span
from jurist.errors import ConfigError
from jurist.judges import InstructionsJudge, judge_from_dict
from jurist.judges._render import render_trace
from jurist.judges._trace_agent import INLINE_MAX_CHARS, SPAN_PAGE_CHARS, TraceTools
from tests._helpers import some
from tests.fakes._server import Responder
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI, openai_error

INSTRUCTIONS = "Did the agent in {{ trace }} answer the user's question from what it retrieved?"
LONG = "".join(f"line {i}: the refund window is thirty days from delivery. " for i in range(400))


def agent_trace(n_steps: int = 12) -> Trace:
    """A root AGENT span, then per step a RETRIEVER and an LLM span; one TOOL span fails; one output is long."""
    t0 = 1_700_000_000_000_000_000
    spans = [Span(name="support_agent", span_id="a000000000000000", trace_id="t" * 32, span_type="AGENT",
                  inputs={"question": "How long do I have to return my order?"},
                  outputs="You have 30 days from delivery.", start_time_ns=t0, end_time_ns=t0 + 9_000_000)]
    for i in range(n_steps):
        base = t0 + (i + 1) * 500_000
        spans.append(Span(name=f"search_{i}", span_id=f"b{i:015d}", trace_id="t" * 32, parent_id=spans[0].span_id,
                          span_type="RETRIEVER", inputs={"query": f"returns policy part {i}"},
                          outputs=[{"page_content": f"Policy section {i}: items may be returned unused.", "id": i}],
                          start_time_ns=base, end_time_ns=base + 200_000))
        spans.append(Span(name=f"llm_{i}", span_id=f"c{i:015d}", trace_id="t" * 32, parent_id=spans[0].span_id,
                          span_type="LLM", inputs={"messages": [{"role": "user", "content": f"step {i}"}]},
                          outputs={"content": f"Thinking about step {i}."},
                          start_time_ns=base + 200_000, end_time_ns=base + 450_000))
    spans.append(Span(name="lookup_order", span_id="d000000000000000", trace_id="t" * 32, parent_id=spans[0].span_id,
                      span_type="TOOL", inputs={"order": 77}, status="ERROR",
                      events=[{"name": "exception", "attributes": {"exception.type": "TimeoutError"}}],
                      start_time_ns=t0 + 8_000_000, end_time_ns=t0 + 8_500_000))
    spans.append(Span(name="policy_doc", span_id="e000000000000000", trace_id="t" * 32, parent_id=spans[0].span_id,
                      span_type="RETRIEVER", inputs={"query": "refund window"}, outputs=LONG,
                      start_time_ns=t0 + 8_600_000, end_time_ns=t0 + 8_900_000))
    return Trace(trace_id="t" * 32, spans=spans)


def judge(model: str = "openai:/gpt-4o-mini", **kw: Any) -> InstructionsJudge:
    return make_judge(name="grounded", instructions=INSTRUCTIONS, feedback_value_type=bool, model=model, **kw)


def play(*steps: Any) -> Responder:
    """A responder answering each request with the next step: a list of tool calls, or text."""
    it = iter(steps)
    return lambda body: next(it)


def verdict(result: Any = True, rationale: str = "Span e000000000000000 states thirty days.") -> list[dict[str, Any]]:
    return [{"name": "submit_verdict", "arguments": {"rationale": rationale, "result": result}}]


def tool_results_openai(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """tool_call_id → parsed result, for the tool messages of the last turn."""
    return {m["tool_call_id"]: json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"}


def calls_of_openai(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]


# -- when to explore --------------------------------------------------------------------------------------
def test_a_short_trace_is_still_inlined_in_one_call(fake_openai: FakeOpenAI) -> None:
    small = agent_trace(1)
    small.spans[-1].outputs = "30 days"
    assert len(render_trace(small)) < INLINE_MAX_CHARS < len(render_trace(agent_trace(1)))
    fb = judge()(trace=small)
    assert fb.value is True and fake_openai.calls == 1
    body = fake_openai.requests[0].body
    assert "tools" not in body and '"support_agent"' in body["messages"][1]["content"]


def test_a_long_trace_is_explored_with_tools_on_openai(fake_openai: FakeOpenAI) -> None:
    trace = agent_trace()
    fake_openai.responder = play(
        [{"name": "list_spans", "arguments": {"limit": 5}}, {"name": "get_root_span", "arguments": {}}],
        [{"name": "search_trace_regex", "arguments": {"pattern": "(?i)thirty days", "max_matches": 2}}],
        [{"name": "get_span", "arguments": {"span_id": "e000000000000000", "offset": SPAN_PAGE_CHARS}}],
        verdict(),
    )
    fb = judge()(trace=trace)
    assert fb.error is None and fb.value is True and fb.rationale.startswith("Span e000")
    assert fb.trace_id == trace.trace_id
    m = fb.metadata
    assert (m["steps"], m["tool_calls"], m["trace_mode"]) == (4, 5, "tools")
    assert (m["input_tokens"], m["output_tokens"]) == (4 * 42, 4 * 17)  # summed over every step

    reqs = [r.body for r in fake_openai.requests]
    assert len(reqs) == 4
    first = reqs[0]
    assert [t["function"]["name"] for t in first["tools"]] == [
        "list_spans", "get_span", "get_root_span", "search_trace_regex", "submit_verdict"]
    assert first["tool_choice"] == "required"
    submit = first["tools"][-1]["function"]
    assert submit["strict"] is True and submit["parameters"]["properties"]["result"] == {"type": "boolean"}
    system, user = first["messages"][0]["content"], first["messages"][1]["content"]
    assert system.startswith("Did the agent in <trace> answer") and "at most 15 steps" in system
    assert f"trace_id: {trace.trace_id}" in user and "spans: 27" in user and "d000000000000000" in user
    assert "How long do I have to return" in user and LONG[:200] not in user

    # Step 2 carries the answers to step 1's calls.
    (c_list, c_root) = calls_of_openai(reqs[1])
    results = tool_results_openai(reqs[1])
    listed = results[c_list["id"]]
    assert listed["total"] == 27 and listed["next_offset"] == 5 and listed["steps_left"] == 14
    assert [s["span_id"] for s in listed["spans"]] == [s.span_id for s in trace.spans[:5]]
    assert listed["spans"][1] == {"span_id": "b000000000000000", "name": "search_0", "span_type": "RETRIEVER",
                                  "parent_id": "a000000000000000", "status": "OK", "start_ms": 0.5, "duration_ms": 0.2}
    root = results[c_root["id"]]
    assert root["span_id"] == "a000000000000000" and root["next_offset"] is None
    assert json.loads(root["content"])["outputs"] == "You have 30 days from delivery."

    search = tool_results_openai(reqs[2])[calls_of_openai(reqs[2])[-1]["id"]]
    assert search["total_matches"] == 400 and len(search["matches"]) == 2 and "note" in search
    hit = search["matches"][0]
    tools = TraceTools(trace)
    text = tools.span_text(some(trace.get_span("e000000000000000")))
    assert hit["span_id"] == "e000000000000000" and text[hit["offset"]:].lower().startswith("thirty days")

    page = tool_results_openai(reqs[3])[calls_of_openai(reqs[3])[-1]["id"]]
    assert page["content"] == text[SPAN_PAGE_CHARS:2 * SPAN_PAGE_CHARS] and page["offset"] == SPAN_PAGE_CHARS
    assert page["next_offset"] == 2 * SPAN_PAGE_CHARS and page["total_chars"] == len(text)


def test_a_long_trace_is_explored_with_tools_on_anthropic(fake_anthropic: FakeAnthropic) -> None:
    trace = agent_trace()
    fake_anthropic.responder = play(
        [{"name": "get_span", "arguments": {"span_id": "d000000000000000"}},
         {"name": "list_spans", "arguments": {"span_type": "tool"}}],
        verdict(False, "The order lookup d000000000000000 failed."),
    )
    fb = judge("anthropic:/claude-sonnet-4-5")(trace=trace)
    assert fb.value is False and fb.rationale.startswith("The order lookup")
    assert fb.metadata["steps"] == 2 and fb.metadata["input_tokens"] == 84

    first, second = (r.body for r in fake_anthropic.requests)
    assert first["tool_choice"] == {"type": "any"} and "system" in first
    assert [t["name"] for t in first["tools"]][-1] == "submit_verdict"
    assert first["tools"][0]["input_schema"]["properties"]["limit"]["maximum"] == 50
    assistant, results = second["messages"][-2:]
    uses = [b for b in assistant["content"] if b["type"] == "tool_use"]
    assert [b["name"] for b in uses] == ["get_span", "list_spans"]
    assert results["role"] == "user"
    blocks = results["content"]
    assert [b["type"] for b in blocks] == ["tool_result", "tool_result"]
    assert [b["tool_use_id"] for b in blocks] == [u["id"] for u in uses]
    span = json.loads(json.loads(blocks[0]["content"])["content"])
    assert span["status"] == "ERROR" and span["events"][0]["attributes"]["exception.type"] == "TimeoutError"
    listed = json.loads(blocks[1]["content"])
    assert [s["name"] for s in listed["spans"]] == ["lookup_order"]


# -- limits and failures ----------------------------------------------------------------------------------
def test_the_step_limit_gives_an_error_never_a_verdict(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: [{"name": "list_spans", "arguments": {}}]
    fb = judge(max_steps=3)(trace=agent_trace())
    assert fb.value is None and fb.error is not None and fb.error.error_code == "MAX_STEPS"
    assert "3 model calls" in fb.error.error_message
    assert fake_openai.calls == 3 and fb.metadata["steps"] == 3 and fb.metadata["input_tokens"] == 3 * 42
    last = fake_openai.requests[-1].body
    (result,) = [json.loads(m["content"]) for m in last["messages"][-1:]]
    assert result["steps_left"] == 1 and "submit_verdict" in result["note"]
    assert "at most 3 steps" in last["messages"][0]["content"]


def test_a_verdict_outside_the_type_is_repaired_once(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = play(verdict("maybe"), verdict(True))
    fb = judge(trace_tools=True)(trace=agent_trace(1))
    assert fb.value is True and fb.metadata["repaired"] is True and fake_openai.calls == 2
    (err,) = tool_results_openai(fake_openai.requests[-1].body).values()
    assert "could not be read" in err["error"] and "true or false" in err["error"]


def test_a_verdict_unreadable_after_the_repair_is_a_parse_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = play(verdict("maybe"), verdict("perhaps"))
    fb = judge(trace_tools=True)(trace=agent_trace(1))
    assert fb.value is None and fb.error.error_code == "PARSE_ERROR"
    assert json.loads(fb.metadata["raw_output"])["result"] == "perhaps"


def test_text_answers_are_read_as_a_verdict_or_nudged_back_to_the_tools(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = play("Let me think.", '{"rationale": "fine", "result": true}')
    fb = judge(trace_tools=True)(trace=agent_trace(1))
    assert fb.value is True and fb.metadata["steps"] == 2
    nudge = fake_openai.requests[-1].body["messages"][-1]
    assert nudge["role"] == "user" and "submit_verdict" in nudge["content"] and "Steps left: 14" in nudge["content"]


def test_bad_tool_calls_get_errors_the_model_can_act_on(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = play(
        [{"name": "get_span", "arguments": {"span_id": "nope"}},
         {"name": "search_trace_regex", "arguments": {"pattern": "(unclosed"}},
         {"name": "read_file", "arguments": {}},
         {"name": "list_spans", "arguments": {"offset": "x"}},
         {"name": "get_span", "arguments": '{"span_id": '}],
        verdict(),
    )
    fb = judge(trace_tools=True)(trace=agent_trace(1))
    assert fb.value is True
    errors = [r["error"] for r in tool_results_openai(fake_openai.requests[-1].body).values()]
    assert errors == [
        "there is no span with id 'nope'; list_spans gives the ids",
        "invalid regular expression: missing ), unterminated subpattern at position 0",
        "there is no tool 'read_file'; the tools are list_spans, get_span, get_root_span, search_trace_regex, "
        "submit_verdict",
        "offset must be an integer, got 'x'",
        "the arguments were not a JSON object: '{\"span_id\": '",
    ]


def test_a_provider_error_is_an_error_feedback(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(openai_error(400, "bad things", "invalid_request_error"))
    fb = judge(trace_tools=True)(trace=agent_trace(1))
    assert fb.value is None and fb.error is not None and "bad things" in fb.error.error_message


def test_every_step_is_cached(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = play([{"name": "get_root_span", "arguments": {}}], verdict())
    first = judge(trace_tools=True)(trace=agent_trace(1))
    second = judge(trace_tools=True)(trace=agent_trace(1))
    assert fake_openai.calls == 2 and first.value is second.value is True and second.metadata.get("cached")


# -- configuration ----------------------------------------------------------------------------------------
def test_providers_without_tool_calling_are_a_config_error_naming_those_with_it() -> None:
    with pytest.raises(ConfigError, match=r"tool calling.*openai, anthropic.*trace_tools=False"):
        judge("cohere:/command-r")(trace=agent_trace())


def test_trace_tools_needs_the_trace_variable_and_max_steps_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="trace_tools"):
        make_judge(name="j", instructions="Is {{ outputs }} fine?", trace_tools=True, model="openai:/gpt-4o-mini")
    with pytest.raises(ConfigError, match="max_steps"):
        judge(max_steps=0)


def test_settings_survive_the_data_form() -> None:
    j = judge(trace_tools=True, max_steps=7)
    data = json.loads(json.dumps(j.to_dict()))
    assert data["trace_tools"] is True and data["max_steps"] == 7
    again = judge_from_dict(data)
    assert (again.trace_tools, again.max_steps) == (True, 7)
    assert "trace_tools" not in judge().to_dict()  # defaults stay out of the data form


def test_trace_tools_false_inlines_even_a_long_trace(fake_openai: FakeOpenAI) -> None:
    fb = judge(trace_tools=False)(trace=agent_trace())
    assert fb.value is True and "tools" not in fake_openai.requests[0].body


# -- the tools on their own ------------------------------------------------------------------------------
def test_tools_page_filter_and_search() -> None:
    trace = agent_trace(3)
    tools = TraceTools(trace)
    page = tools.call("list_spans", {"offset": 6, "limit": 50})
    assert page["total"] == 9 and [s["name"] for s in page["spans"]] == ["llm_2", "lookup_order", "policy_doc"]
    assert page["next_offset"] is None
    assert tools.call("list_spans", {"span_type": "retriever"})["total"] == 4
    text = tools.span_text(some(trace.get_span("e000000000000000")))
    pages, offset = [], 0
    while offset is not None:
        p = tools.call("get_span", {"span_id": "e000000000000000", "offset": offset})
        pages.append(p["content"])
        offset = p["next_offset"]
    assert "".join(pages) == text and len(pages) == -(-len(text) // SPAN_PAGE_CHARS)
    assert "past the end" in tools.call("get_span", {"span_id": "e000000000000000", "offset": 10**7})["error"]
    found = tools.call("search_trace_regex", {"pattern": "Policy section 1"})
    assert [(m["span_id"], m["match"]) for m in found["matches"]] == [("b000000000000001", "Policy section 1")]
    assert tools.call("search_trace_regex", {"pattern": ""})["error"].startswith("pattern must")
