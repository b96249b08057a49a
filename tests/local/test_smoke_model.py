"""The supervised engine on the tiny SmolLM2-135M smoke model (seconds, not minutes).

The smoke model is no judge: these tests check the machinery (loading, slots, prompt cache, constrained
output, crash supervision), never its verdicts.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError, ContextLengthError, EngineCrashError
from jurist.judges import make_judge
from jurist.judges._parsing import parse_verdict
from jurist.judges._values import YesNo
from jurist.local import ENGINES, LocalEngine, ModelSpec, engine_for, resolve
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema
from tests._helpers import some
from tests.local.helpers import JUDGE_A, JUDGE_B, SHORT_VERDICT, body

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not alive.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_one_engine_per_model_loaded_once_and_shared_by_threads(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    assert engine_for(resolve("smollm2")) is engine
    engine.wait_loaded()
    pid, starts = engine.pid, engine.stats.starts
    before = engine.stats.completions
    results: list[str] = []

    def ask(i: int) -> None:
        out = engine.complete(body(JUDGE_A, f"Question {i}: is 2+{i} = {2 + i}?", max_tokens=3))
        results.append(out["choices"][0]["message"]["content"])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert engine.stats.completions == before + 4
    assert (engine.pid, engine.stats.starts) == (pid, starts)  # not loaded again
    assert [e for e in ENGINES.loaded() if e.spec.key == smoke_spec.key] == [engine]
    assert engine.pid is not None and engine.pid != os.getpid() and _alive(engine.pid)  # a child process runs the model


def test_constrained_output_parses_through_the_client_with_logprobs(smoke_spec: ModelSpec) -> None:
    client = ModelClient("local:/smollm2")
    request = ChatRequest(
        messages=(Message("system", JUDGE_A), Message("user", "<question>Capital of France?</question>\n"
                                                                "<answer>Paris</answer>")),
        response_schema=ResponseSchema("verdict", SHORT_VERDICT),
        # the grammar allows whitespace between tokens, which this tiny model spends freely
        params={"temperature": 0, "seed": 0, "max_tokens": 300},
    )
    resp = RUNTIME.run(client.chat(request))
    assert resp.finish_reason == "stop", resp.text
    value, rationale = parse_verdict(resp.text, YesNo)
    assert value in ("yes", "no") and isinstance(rationale, str) and len(rationale) <= 40
    assert resp.usage.input_tokens and resp.usage.output_tokens and resp.finish_reason == "stop"
    assert resp.logprobs and '"result"' in "".join(t.token for t in resp.logprobs)

    again = RUNTIME.run(client.chat(request))  # temperature 0: the response cache answers
    assert again.cached and again.text == resp.text and again.logprobs == resp.logprobs


def test_a_judge_on_the_local_model_returns_a_verdict_and_its_confidence(smoke_spec: ModelSpec) -> None:
    judge = make_judge(
        name="tone", instructions="Is the reply in {{ outputs }} polite?", feedback_value_type=bool,
        model="local:/smollm2", inference_params={"max_tokens": 80},
    )
    assert judge.rationale_mode == "short"  # the local model's default
    fb = judge(outputs="Thank you, happy to help!")
    assert fb.error is None, fb.metadata
    assert isinstance(fb.value, bool) and isinstance(fb.rationale, str) and len(fb.rationale) <= 200
    assert 0 < fb.metadata["output_tokens"] <= 80 and fb.source.source_id == "local:/smollm2"
    assert 0.0 < fb.metadata["confidence"] <= 1.0 and fb.metadata["confidence_method"] == "logprobs"


def test_verdict_only_mode_writes_no_rationale(smoke_spec: ModelSpec) -> None:
    judge = make_judge(
        name="tone", instructions="Is the reply in {{ outputs }} polite?", feedback_value_type=bool,
        model="local:/smollm2", inference_params={"rationale": "none", "max_tokens": 20},
    )
    fb = judge(outputs="Thank you, happy to help!")
    assert fb.error is None, fb.metadata
    assert isinstance(fb.value, bool) and fb.rationale is None
    assert fb.metadata["output_tokens"] < 20


def test_a_judges_instructions_are_evaluated_once(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, slots=1)
    try:
        engine.complete(body(JUDGE_A, "Is the sky blue?", max_tokens=2))
        t = engine.complete(body(JUDGE_A, "Is grass green?", max_tokens=2))["timings"]
        assert t["cache_n"] > 3 * t["prompt_n"]  # only the row's own tokens were evaluated
    finally:
        engine.close()


def test_interleaved_judges_get_their_instructions_back_from_the_prompt_cache(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, slots=1)  # one slot: judge B evicts judge A's prompt from it
    try:
        engine.complete(body(JUDGE_A, "Row 1 for A", max_tokens=2))
        engine.complete(body(JUDGE_B, "Row 1 for B", max_tokens=2))
        t = engine.complete(body(JUDGE_A, "Row 2 for A", max_tokens=2))["timings"]
        assert t["cache_n"] > 3 * t["prompt_n"]
        assert engine.stats.prompt_cached_tokens > 0
    finally:
        engine.close()


def test_the_event_loop_stays_free_while_the_model_works(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    engine.wait_loaded()

    async def main() -> int:
        ticks = 0
        task = asyncio.ensure_future(engine.achat(body(JUDGE_B, "Write a long story.", max_tokens=24)))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.005)
        await task
        return ticks

    assert asyncio.run(main()) > 3


def test_a_prompt_longer_than_the_context_is_a_context_length_error(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, ctx=256, slots=1)
    try:
        with pytest.raises(ContextLengthError, match="JURIST_LOCAL_CTX"):
            engine.complete(body(JUDGE_A * 5, "hi", max_tokens=1))
    finally:
        engine.close()


def test_a_damaged_model_file_fails_to_load_with_a_clear_error(tmp_path: Path, smoke_spec: ModelSpec) -> None:
    assert smoke_spec.path is not None
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(smoke_spec.path.read_bytes()[: 2_000_000])
    spec = resolve(str(bad))
    engine = engine_for(spec)
    with pytest.raises(ConfigError, match="could not load"):
        engine.wait_loaded(timeout=120)
    with pytest.raises(ConfigError):
        engine.complete(body("s", "u"))
    retry = engine_for(spec)
    assert retry is not engine  # a failed load is not kept: a fixed file can be tried again
    with pytest.raises(ConfigError):
        retry.wait_loaded(timeout=120)


def _kill_when_busy(engine: LocalEngine, times: int) -> threading.Thread:
    """SIGKILL the engine's child ``times`` times, each once it is judging."""

    def run() -> None:
        for _ in range(times):
            start = engine.stats.completions
            pid = None
            while True:
                time.sleep(0.05)
                if engine.pid is not None and engine.stats.completions > start:
                    pid = engine.pid
                    break
            os.kill(pid, signal.SIGKILL)
            while engine.pid == pid:
                time.sleep(0.05)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"question": f"Is {i} + 1 = {i + 1}?"}, "outputs": f"Yes, {i + 1}."} for i in range(n)]


def test_a_killed_engine_is_restarted_and_the_run_completes(smoke_spec: ModelSpec, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from jurist import evaluate

    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(smoke_spec.path))
    ENGINES.close_all()
    judge = make_judge(name="ok", instructions="Is {{ outputs }} a correct answer to {{ inputs }}?",
                       feedback_value_type=bool, model="local:/default",
                       inference_params={"rationale": "none", "max_tokens": 24})
    engine = engine_for(resolve("default"))
    killer = _kill_when_busy(engine, 1)
    result = evaluate(_rows(16), [judge], concurrency=8, cache=False)
    killer.join(timeout=60)
    assert engine.stats.crashes == 1 and engine.stats.starts == 2
    errors = [fb.error for r in result.rows for fb in r.feedbacks if fb.error is not None]
    # every judgment in flight at the kill was retried on the restarted engine (the smoke model may
    # still write no JSON now and then: it is no judge)
    assert [e for e in errors if e.error_code != "PARSE_ERROR"] == []
    assert len([fb for r in result.rows for fb in r.feedbacks]) == 16


def test_a_second_crash_ends_the_engine_and_resume_makes_only_the_missing_calls(
    smoke_spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jurist import evaluate

    monkeypatch.setenv("JURIST_LOCAL_MODEL", str(smoke_spec.path))
    ENGINES.close_all()
    judge = make_judge(name="ok", instructions="Is {{ outputs }} a correct answer to {{ inputs }}?",
                       feedback_value_type=bool, model="local:/default",
                       inference_params={"rationale": "none", "max_tokens": 24})
    rows = _rows(24)
    engine = engine_for(resolve("default"))
    killer = _kill_when_busy(engine, 2)
    first = evaluate(rows, [judge], concurrency=4, cache=False)
    killer.join(timeout=60)
    feedback = [fb for r in first.rows for fb in r.feedbacks]
    failed = [fb for fb in feedback if fb.error is not None]
    assert len(feedback) == 24 and failed, "the run ends with errors on the judgments left, not a crash"
    assert all(some(fb.error).error_code == EngineCrashError.code for fb in failed)
    assert "resume" in (some(failed[0].error).error_message or "")
    with pytest.raises(EngineCrashError):
        engine_for(resolve("default")).complete(body("s", "u"))  # it stays down: no crash loop

    ENGINES.close_all()  # a new engine, as in a new process
    fresh = engine_for(resolve("default"))
    again = evaluate(rows, [judge], concurrency=4, cache=False, resume=first.run_id)
    assert fresh.stats.completions == len(failed)  # only the missing judgments were made
    assert all(fb.error is None or fb.error.error_code == "PARSE_ERROR" for r in again.rows for fb in r.feedbacks)


def test_the_child_exits_when_its_parent_is_killed(smoke_spec: ModelSpec) -> None:
    code = (
        "import sys, time\n"
        "from jurist.local import engine_for, resolve\n"
        f"e = engine_for(resolve({str(smoke_spec.path)!r}))\n"
        "e.wait_loaded()\n"
        "print(e.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert _alive(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 60
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child_pid), "the engine outlived the process that started it"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_the_engine_log_names_the_model_and_never_the_key(smoke_spec: ModelSpec) -> None:
    engine = engine_for(smoke_spec)
    engine.wait_loaded()
    text = engine.log_path.read_text(encoding="utf-8", errors="replace")
    assert engine.spec.label in text and engine.api_key not in text
    assert json.dumps(engine.stats.as_dict())


def test_a_verdict_object_is_answered_in_two_steps_on_one_slot_and_reads_as_one(smoke_spec: ModelSpec) -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": SHORT_VERDICT, "strict": True}}
    ask = body(JUDGE_A, "Question: capital of France? Answer: Paris.", response_format=rf, logprobs=True,
               top_logprobs=5, max_tokens=120)
    stepped, whole = LocalEngine(smoke_spec, slots=2), LocalEngine(smoke_spec, slots=1, prefill=False)
    try:
        out = stepped.complete(ask)
        assert out["jurist_steps"] == 2 and stepped.stats.completions == 1
        text = out["choices"][0]["message"]["content"]
        verdict = json.loads(text)
        assert list(verdict) == ["rationale", "result"] and verdict["result"] in ("yes", "no")
        assert len(verdict["rationale"]) <= 40  # the grammar still bounds the rationale
        assert "".join(t["token"] for t in out["choices"][0]["logprobs"]["content"]) == text
        one = whole.complete(ask)
        assert "jurist_steps" not in one and json.loads(one["choices"][0]["message"]["content"])["result"] in ("yes", "no")
        # the second step found the first one's tokens in its slot: the prompt was not evaluated twice
        assert stepped.stats.prompt_eval_tokens < 1.5 * one["usage"]["prompt_tokens"]
    finally:
        stepped.close()
        whole.close()
