"""Loading, queueing, prefix reuse and parsing on the tiny SmolLM2-135M smoke model (seconds, not minutes).

The smoke model is no judge: these tests check the machinery, never its verdicts.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError, ContextLengthError
from jurist.judges import make_judge
from jurist.judges._parsing import parse_verdict
from jurist.judges._values import YesNo
from jurist.local import ENGINES, LocalEngine, ModelSpec, engine_for, resolve
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema
from tests.local.helpers import JUDGE_A, JUDGE_B, SHORT_VERDICT, msgs


def test_one_engine_per_model_loaded_once(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    assert engine_for(resolve("smollm2")) is engine
    engine.wait_loaded()
    load_s = engine.stats.load_s
    before = engine.stats.completions
    results: list[str] = []

    def ask(i: int) -> None:
        out = engine.complete(msgs(JUDGE_A, f"Question {i}: is 2+{i} = {2 + i}?"), max_tokens=3)
        results.append(out["choices"][0]["message"]["content"])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert engine.stats.completions == before + 4
    assert engine.stats.load_s == load_s  # not loaded again
    assert [e for e in ENGINES.loaded() if e.spec.key == smoke_spec.key] == [engine]


def test_constrained_output_parses_through_the_client(smoke_spec: ModelSpec) -> None:
    client = ModelClient("local:/smollm2")
    request = ChatRequest(
        messages=(Message("system", JUDGE_A), Message("user", "<question>Capital of France?</question>\n"
                                                                "<answer>Paris</answer>")),
        response_schema=ResponseSchema("verdict", SHORT_VERDICT),
        params={"temperature": 0, "seed": 0, "max_tokens": 60},
    )
    resp = RUNTIME.run(client.chat(request))
    value, rationale = parse_verdict(resp.text, YesNo)
    assert value in ("yes", "no") and isinstance(rationale, str) and len(rationale) <= 40
    assert resp.usage.input_tokens and resp.usage.output_tokens and resp.finish_reason == "stop"

    again = RUNTIME.run(client.chat(request))  # temperature 0: the response cache answers
    assert again.cached and again.text == resp.text


def test_a_judge_on_the_local_model_returns_a_verdict(smoke_spec: ModelSpec) -> None:
    judge = make_judge(
        name="tone", instructions="Is the reply in {{ outputs }} polite?", feedback_value_type=bool,
        model="local:/smollm2", inference_params={"max_tokens": 40},
    )
    fb = judge(outputs="Thank you, happy to help!")
    # 40 tokens are too few for this model's rationale: it is closed in time for the verdict to fit.
    assert fb.error is None, fb.metadata
    assert isinstance(fb.value, bool) and isinstance(fb.rationale, str)
    assert 0 < fb.metadata["output_tokens"] <= 40 and fb.source.source_id == "local:/smollm2"


def test_a_looping_rationale_is_closed_and_the_answer_still_parses(smoke_spec: ModelSpec) -> None:
    import json

    engine = engine_for(smoke_spec)
    verdict = {**SHORT_VERDICT, "properties": {**SHORT_VERDICT["properties"], "rationale": {"type": "string"}}}
    # Greedy decoding makes this model write "1 + 1 = 2, 1 + 1 = 2, ..." until the token limit.
    out = engine.complete(msgs("You are a judge. " * 30, "Is 1+1 = 2? Answer JSON."),
                          response_format={"type": "json_object", "schema": verdict})
    answer = json.loads(out["choices"][0]["message"]["content"])
    assert answer["result"] in ("yes", "no")
    assert out["timings"]["rationale_cut"] in ("loop", "limit")
    assert out["usage"]["completion_tokens"] < 500


def test_loops_are_told_from_text() -> None:
    from jurist.local._grammar import repeating

    assert repeating(list(range(50)) + [7, 8, 9, 10] * 8) == 4
    assert repeating([5] * 32) == 1
    assert repeating(list(range(100))) == 0
    assert repeating([1, 2] * 15) == 0  # 30 tokens: too short to call a loop


def test_the_second_judgment_of_a_judge_reuses_its_instructions(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    engine.complete(msgs(JUDGE_A, "Is the sky blue?"), max_tokens=2)
    t = engine.complete(msgs(JUDGE_A, "Is grass green?"), max_tokens=2)["timings"]
    assert t["prompt_eval_n"] < t["prompt_n"] / 4


def test_interleaved_judges_get_their_prefix_back(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    engine.complete(msgs(JUDGE_A, "Row 1 for A"), max_tokens=2)
    engine.complete(msgs(JUDGE_B, "Row 1 for B"), max_tokens=2)
    restores = engine.stats.prefix_restores
    t = engine.complete(msgs(JUDGE_A, "Row 2 for A"), max_tokens=2)["timings"]
    assert engine.stats.prefix_restores == restores + 1
    assert t["prompt_eval_n"] < t["prompt_n"] / 4


def test_the_queue_serves_judgments_grouped_by_judge(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec)  # a private engine: its queue fills while it loads
    order: list[str] = []
    try:
        futures = []
        for label, system in (("A1", JUDGE_A), ("B1", JUDGE_B), ("A2", JUDGE_A), ("B2", JUDGE_B)):
            f = engine.submit(msgs(system, f"row {label}"), max_tokens=1)
            f.add_done_callback(lambda _f, label=label: order.append(label))
            futures.append(f)
        for f in futures:
            f.result(timeout=120)
    finally:
        engine.close()
    assert order == ["A1", "A2", "B1", "B2"]


def test_without_prefix_reuse_every_prompt_is_evaluated_in_full(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, prefix_reuse=False)
    try:
        engine.complete(msgs(JUDGE_A, "first"), max_tokens=1)
        t = engine.complete(msgs(JUDGE_A, "second"), max_tokens=1)["timings"]
    finally:
        engine.close()
    assert t["prompt_eval_n"] >= t["prompt_n"] - 1


def test_a_request_cancelled_while_waiting_is_never_run(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec)
    try:
        first = engine.submit(msgs(JUDGE_A, "one"), max_tokens=1)
        dropped = engine.submit(msgs(JUDGE_A, "two"), max_tokens=1)
        assert dropped.cancel()  # still queued: the model is loading
        last = engine.submit(msgs(JUDGE_A, "three"), max_tokens=1)
        first.result(timeout=120)
        last.result(timeout=120)
        assert engine.stats.completions == 2
    finally:
        engine.close()


def test_the_event_loop_stays_free_while_the_model_works(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    engine.wait_loaded()

    async def main() -> int:
        ticks = 0
        task = asyncio.ensure_future(engine.acomplete(msgs(JUDGE_B, "Write a long story."), max_tokens=24))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.005)
        await task
        return ticks

    assert asyncio.run(main()) > 3


def test_a_prompt_longer_than_the_context_is_a_context_length_error(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, n_ctx=128)
    try:
        with pytest.raises(ContextLengthError, match="JURIST_LOCAL_CTX"):
            engine.complete(msgs(JUDGE_A * 5, "hi"), max_tokens=1)
    finally:
        engine.close()


def test_a_damaged_model_file_fails_to_load_with_a_clear_error(tmp_path: Path, smoke_spec: ModelSpec) -> None:
    assert smoke_spec.path is not None
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(smoke_spec.path.read_bytes()[: 2_000_000])
    spec = resolve(str(bad))
    engine = engine_for(spec)
    with pytest.raises(ConfigError, match="could not load"):
        engine.wait_loaded(timeout=60)
    with pytest.raises(ConfigError):
        engine.submit(msgs("s", "u")).result(timeout=5)
    retry = engine_for(spec)
    assert retry is not engine  # a failed load is not kept: a fixed file can be tried again
    with pytest.raises(ConfigError):
        retry.wait_loaded(timeout=60)


def test_the_lazy_grammar_decodes_exactly_like_llama_cpp_python(smoke_spec: ModelSpec) -> None:
    """Vetting only the greedy token gives the same answer as filtering the whole vocabulary."""
    import llama_cpp

    from jurist.local._grammar import LazyGrammar

    schema = {
        "type": "object",
        "properties": {"rationale": {"type": "string", "maxLength": 30}, "ok": {"type": "boolean"},
                       "score": {"type": "integer"}},
        "required": ["rationale", "ok", "score"],
        "additionalProperties": False,
    }
    llm = llama_cpp.Llama(model_path=str(smoke_spec.path), n_ctx=1024, n_threads=2, seed=0, verbose=False)
    try:
        for question in ("Is Paris in France?", "Rate this haiku from 1 to 5: 'Old pond, frog jumps in.'"):
            answers = []
            for lazy in (False, True):
                llm.reset()
                llm._ctx.kv_cache_clear()  # the same cache layout for both: bit-identical logits
                kwargs: dict = {"messages": msgs(JUDGE_A, question), "temperature": 0.0, "max_tokens": 48}
                if lazy:
                    kwargs["logits_processor"] = [LazyGrammar(llm, schema)]
                else:
                    kwargs["response_format"] = {"type": "json_object", "schema": schema}
                answers.append(llm.create_chat_completion(**kwargs)["choices"][0]["message"]["content"])
            assert answers[0] == answers[1]
            assert answers[1].lstrip().startswith("{")
    finally:
        llm.close()
