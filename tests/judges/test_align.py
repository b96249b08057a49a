"""judge.align: a scripted judge model that follows a planted rule only when the rule (or an example of it)
is in its prompt, and a scripted optimizer model that proposes the rule when it sees the disagreements."""

from __future__ import annotations

import json
import warnings
from typing import Any, Literal

import pytest

from jurist.align import (
    AlignmentError,
    AlignmentOptimizer,
    InstructionOptimizer,
    LabelledExample,
    MemoryJudge,
    labelled_examples,
    split_by_prompt,
)
from jurist.align._memory import BM25
from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback, Trace
from jurist.errors import ConfigError
from jurist.judges import judge_from_dict, make_judge
from jurist.tracking import StoredTrace
from tests.fakes.anthropic import FakeAnthropic, anthropic_error
from tests.fakes.openai import FakeOpenAI

JUDGE = "openai:/judge-mini"
OPTIMIZER = "openai:/optimizer-big"
RULE = "An answer that contains the word ZORP is wrong: answer no."


def rows(n: int = 60) -> list[dict[str, Any]]:
    """Every third answer says ZORP, which the people reject; the rest they accept."""
    out = []
    for i in range(n):
        bad = i % 3 == 0
        out.append({
            "inputs": {"question": f"What is fact number {i} about river {i * 7}?"},
            "outputs": f"Fact {i}: the river is {'ZORP' if bad else 'long'} near town {i}.",
            "label": "no" if bad else "yes",
            "rationale": "It says ZORP, which we never accept." if bad else "A plain, fine answer.",
        })
    return out


def quality_judge() -> Any:
    return make_judge(name="quality", instructions="Is {{ outputs }} a good answer to {{ inputs }}?",
                      feedback_value_type=Literal["yes", "no"], model=JUDGE)


def _verdict(result: str, why: str = "Looked at it.") -> str:
    return json.dumps({"rationale": why, "result": result})


def _knows_rule(system: str, user: str) -> bool:
    """The judge model knows the rule when its instructions state it, or when a remembered example shows it."""
    if "zorp" in system.lower():
        return True
    if user.startswith("<examples>"):
        shown = user.split("</examples>", 1)[0]
        return any("ZORP" in ex and "People's verdict: no" in ex for ex in shown.split("Example ")[1:])
    return False


def judge_model(body: dict[str, Any]) -> str:
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    item = user.split("</examples>", 1)[-1]
    if _knows_rule(system, user) and "ZORP" in item:
        return _verdict("no", "It mentions ZORP.")
    return _verdict("yes")


def optimizer_model(body: dict[str, Any], *, guidelines: bool = True) -> str:
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if "distil guidelines" in system:
        found = guidelines and "ZORP" in user and "never accept" in user
        return json.dumps({"guidelines": [RULE] if found else []})
    shows = "ZORP" in user.split("<disagreements>", 1)[1].split("</disagreements>", 1)[0]
    return json.dumps({"rules": [RULE] if shows else [], "demonstrations": [1] if shows else []})


def scripted(fake: FakeOpenAI, *, guidelines: bool = True) -> None:
    fake.responder = lambda body: (optimizer_model(body, guidelines=guidelines) if body["model"] == "optimizer-big"
                                   else judge_model(body))


def optimizer_calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if isinstance(r.body, dict) and r.body.get("model") == "optimizer-big")


# -- the loop works -----------------------------------------------------------------------------------
def test_instruction_optimizer_finds_the_planted_rule_and_held_out_agreement_rises(fake_openai: FakeOpenAI) -> None:
    scripted(fake_openai)
    judge = quality_judge()
    before = judge.to_dict()
    opt = InstructionOptimizer(model=OPTIMIZER, max_rounds=3, batch_size=8)
    aligned = judge.align(rows(), optimizer=opt)

    report = aligned.alignment
    assert report.before.balanced_accuracy.value == 0.5
    assert report.after.balanced_accuracy.value == 1.0
    assert report.gain == 0.5
    assert report.after.kappa.value == 1.0
    assert "ZORP" in aligned.instructions and "ZORP" not in judge.instructions
    assert judge.to_dict() == before  # the judge given is unchanged
    # Bounded: at most one optimizer call per round; the rule was kept once found.
    assert 1 <= optimizer_calls(fake_openai) <= 3
    assert opt.usage()["optimizer_calls"] == optimizer_calls(fake_openai)
    assert any(h["kept"] for h in opt.history)
    # Still plain data of the same kind, and it rebuilds to the same judge.
    data = aligned.to_dict()
    assert data["kind"] == "InstructionsJudge"
    again = judge_from_dict(json.loads(json.dumps(data)))
    assert again.instructions == aligned.instructions
    assert again.template_variables == judge.template_variables


def test_aligning_again_replaces_the_learned_block(fake_openai: FakeOpenAI) -> None:
    scripted(fake_openai)
    once = quality_judge().align(rows(), optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=2))
    twice = once.align(rows(), optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=2))
    assert twice.instructions.count("## Learned from human labels") == 1


def test_the_default_optimizer_is_the_instruction_optimizer_on_the_judges_model(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: (optimizer_model(body) if "improve an LLM judge" in
                                          body["messages"][0]["content"] else judge_model(body))
    aligned = quality_judge().align(rows())
    assert aligned.alignment.optimizer == "InstructionOptimizer"
    assert aligned.alignment.after.balanced_accuracy.value == 1.0
    assert optimizer_calls(fake_openai) == 0  # the judge's own model was asked to optimize


def test_memory_optimizer_distils_the_rule_and_serialises_with_its_memory(fake_openai: FakeOpenAI) -> None:
    from jurist.genai.judges.optimizers import MemAlignOptimizer

    scripted(fake_openai)
    judge = quality_judge()
    aligned = judge.align(rows(), optimizer=MemAlignOptimizer(reflection_lm=OPTIMIZER, retrieval_k=3))
    assert isinstance(aligned, MemoryJudge)
    assert aligned.alignment.before.balanced_accuracy.value == 0.5
    assert aligned.alignment.after.balanced_accuracy.value == 1.0
    assert RULE in aligned.instructions
    assert len(aligned.memory) == aligned.alignment.train

    data = json.loads(json.dumps(aligned.to_dict()))
    assert data["kind"] == "MemoryJudge" and len(data["memory"]) == len(aligned.memory)
    rebuilt = judge_from_dict(data)
    assert isinstance(rebuilt, MemoryJudge)
    assert rebuilt.to_dict() == aligned.to_dict()
    fb = rebuilt(inputs={"question": "What is fact 1000?"}, outputs="It is ZORP.")
    assert fb.value == "no"


def test_episodic_memory_alone_shows_the_nearest_examples_and_agreement_rises(fake_openai: FakeOpenAI) -> None:
    from jurist.align import MemoryOptimizer

    scripted(fake_openai, guidelines=False)  # no guideline is learned: only the retrieved examples can teach
    aligned = quality_judge().align(rows(), optimizer=MemoryOptimizer(model=OPTIMIZER, retrieval_k=3))
    assert "ZORP" not in aligned.instructions
    assert aligned.alignment.after.balanced_accuracy.value > aligned.alignment.before.balanced_accuracy.value
    judged = [r.body for r in fake_openai.requests if isinstance(r.body, dict) and r.body["model"] == "judge-mini"]
    users = [b["messages"][-1]["content"] for b in judged]
    assert any(u.startswith("<examples>") and u.count("People's verdict:") == 3 for u in users)


def test_unalign_removes_examples_from_memory(fake_openai: FakeOpenAI) -> None:
    from jurist.align import MemoryOptimizer

    scripted(fake_openai)
    data = rows()
    opt = MemoryOptimizer(model=OPTIMIZER)
    aligned = quality_judge().align(data, optimizer=opt)
    n = len(aligned.memory)
    smaller = opt.unalign(aligned, data[:30])
    remembered = {m.text for m in aligned.memory}
    removed = [d for d in data[:30] if any(d["outputs"] in t for t in remembered)]
    assert removed and len(smaller.memory) == n - len(removed)
    assert smaller.instructions == aligned.instructions  # the guidelines stay
    assert len(aligned.memory) == n  # unalign returns a new judge


def test_bm25_ranks_the_closest_text_first() -> None:
    index = BM25(["the cat sat on the mat", "rivers flow to the sea", "a dog chased the cat"])
    assert index.top("where do rivers flow", 1) == [1]
    assert index.top("cat on a mat", 2)[0] == 0


# -- failures leave the judge as it was ----------------------------------------------------------------
def test_a_failing_optimizer_call_leaves_the_judge_unchanged(fake_openai: FakeOpenAI,
                                                             fake_anthropic: FakeAnthropic) -> None:
    scripted(fake_openai)
    fake_anthropic.enqueue(anthropic_error(401, "authentication_error", "invalid x-api-key"))
    judge = quality_judge()
    before = judge.to_dict()
    with pytest.raises(AlignmentError, match=r"optimizer model 'anthropic:/claude-opus-4' failed.*unchanged"):
        judge.align(rows(), optimizer=InstructionOptimizer(model="anthropic:/claude-opus-4"))
    assert judge.to_dict() == before
    assert judge.alignment is None


def test_an_optimizer_answer_that_is_not_json_is_a_clear_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: ("I'd rather not." if body["model"] == "optimizer-big"
                                          else judge_model(body))
    with pytest.raises(AlignmentError, match="did not answer with a JSON object"):
        quality_judge().align(rows(), optimizer=InstructionOptimizer(model=OPTIMIZER))


def test_too_few_examples_or_one_class_is_a_config_error(fake_openai: FakeOpenAI) -> None:
    scripted(fake_openai)
    with pytest.raises(ConfigError, match="at least 10 labelled examples, got 9"):
        quality_judge().align(rows(9))
    same = [{**r, "label": "yes"} for r in rows(20)]
    with pytest.raises(ConfigError, match="same label"):
        quality_judge().align(same)
    assert fake_openai.calls == 0


def test_fewer_than_50_examples_warn(fake_openai: FakeOpenAI) -> None:
    scripted(fake_openai)
    with pytest.warns(UserWarning, match="fewer than 50"):
        quality_judge().align(rows(30), optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=1))


def test_an_optimizer_of_ones_own_sees_only_the_training_split(fake_openai: FakeOpenAI) -> None:
    scripted(fake_openai)
    seen: list[LabelledExample] = []

    class Recording(AlignmentOptimizer):
        def align(self, judge: Any, examples: list[LabelledExample]) -> Any:
            seen.extend(examples)
            return judge_from_dict({**judge.to_dict(), "instructions": judge.instructions + "\n\n" + RULE})

    aligned = quality_judge().align(rows(), optimizer=Recording())
    held_out = aligned.alignment.held_out
    assert len(seen) == aligned.alignment.train and len(seen) + held_out == 60
    train, test = split_by_prompt(labelled_examples(rows(), "quality"))
    assert {e.key for e in seen} == {e.key for e in train}
    assert not {e.key for e in seen} & {e.key for e in test}
    assert aligned.alignment.after.accuracy.value == 1.0


# -- examples and the split -----------------------------------------------------------------------------
def test_split_is_by_prompt_deterministic_and_order_free() -> None:
    data = rows(40) + [{**r, "outputs": r["outputs"] + " (second answer)"} for r in rows(40)]
    ex = labelled_examples(data, "quality")
    train, test = split_by_prompt(ex)
    assert not {e.key for e in train} & {e.key for e in test}  # both answers to a prompt fall on one side
    again_train, _ = split_by_prompt(list(reversed(ex)))
    assert sorted(e.key for e in train) == sorted(e.key for e in again_train)
    assert {e.label for e in test} == {"yes", "no"} and 0.15 < len(test) / len(ex) < 0.45


def test_labels_come_from_rows_expectations_and_human_feedback_on_traces() -> None:
    human = AssessmentSource(AssessmentSourceType.HUMAN, "reviewer")
    spans = Trace.from_dict({"trace_id": "t1", "spans": [{"name": "app", "span_id": "s1", "inputs": {"q": "hi"},
                                                          "outputs": "hello"}]}).spans
    trace = StoredTrace(trace_id="t1", spans=spans, assessments=[  # as the tracking store returns it
        Feedback(name="quality", value=False, rationale="Too curt.", source=human),
        Feedback(name="other", value=True, source=human),
        Feedback(name="quality", value=True, source=AssessmentSource(AssessmentSourceType.LLM_JUDGE, "m")),
    ])
    unlabelled = StoredTrace(trace_id="t2", spans=Trace.from_dict({"trace_id": "t2", "spans": [
        {"name": "app", "span_id": "s1"}]}).spans)
    got = labelled_examples([
        {"inputs": "a", "outputs": "b", "label": True, "rationale": "ok"},
        {"inputs": "c", "outputs": "d", "expectations": {"human_label": "fail", "human_rationale": "wrong",
                                                         "expected_response": "e"}},
        {"inputs": "x", "outputs": "y"},
        trace, unlabelled,
    ], "quality")
    assert [(e.label, e.rationale) for e in got] == [("yes", "ok"), ("no", "wrong"), ("no", "Too curt.")]
    assert got[1].args["expectations"] == {"expected_response": "e"}
    assert got[2].args["trace"] is trace


def test_labels_come_from_human_feedback_in_the_tracking_store(fake_openai: FakeOpenAI) -> None:
    import jurist

    ids = []
    for i, r in enumerate(rows(12)):
        tid = jurist.log_trace({"trace_id": f"tr-{i}", "spans": [{"name": "app", "span_id": "root",
                                                                  "inputs": r["inputs"], "outputs": r["outputs"]}]})
        jurist.log_feedback(tid, name="quality", value=r["label"], rationale=r["rationale"],
                            source=AssessmentSourceType.HUMAN)
        ids.append(tid)
    traces = jurist.search_traces()
    got = labelled_examples(traces, "quality")
    assert len(got) == 12 and {e.label for e in got} == {"yes", "no"}
    scripted(fake_openai)
    judge = make_judge(name="quality", instructions="Is {{ outputs }} a good answer to {{ inputs }}?",
                       feedback_value_type=Literal["yes", "no"], model=JUDGE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        aligned = judge.align(traces, optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=2))
    assert aligned.alignment.held_out + aligned.alignment.train == 12


def test_a_pairwise_judge_aligns_on_one_two_labels(fake_openai: FakeOpenAI) -> None:
    from jurist.judges import make_pairwise_judge

    def answer(body: dict[str, Any]) -> str:
        if body["model"] == "optimizer-big":
            return optimizer_model(body)
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        a = user.split("<outputs_a>", 1)[1].split("</outputs_a>", 1)[0]
        if "zorp" in system.lower():
            return _verdict("B" if "ZORP" in a else "A")
        return _verdict("A")  # prefers the first position

    fake_openai.responder = answer
    data = []
    for i in range(40):
        good, bad = f"Fact {i}: the river is long.", f"Fact {i}: the river is ZORP."
        first_good = i % 2 == 0
        data.append({"inputs": {"q": f"river {i}?"}, "outputs_a": good if first_good else bad,
                     "outputs_b": bad if first_good else good, "label": 1 if first_good else 2})
    judge = make_pairwise_judge(name="better", model=JUDGE,
                                instructions="Which answer to {{ inputs }} is better: {{ outputs_a }} or {{ outputs_b }}?")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        aligned = judge.align(data, optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=2))
    before, after = aligned.alignment.before, aligned.alignment.after
    assert before.position_consistency.value == 0.0 and after.position_consistency.value == 1.0
    assert after.accuracy.value == 1.0
    assert judge_from_dict(aligned.to_dict()).to_dict() == aligned.to_dict()


def test_an_aligned_judge_registers_as_the_next_version(fake_openai: FakeOpenAI) -> None:
    import jurist
    from jurist.align import MemoryOptimizer

    scripted(fake_openai)
    judge = quality_judge()
    assert jurist.register_judge(judge).version == 1
    aligned = judge.align(rows(), optimizer=MemoryOptimizer(model=OPTIMIZER))
    assert jurist.register_judge(aligned).version == 2
    stored = jurist.get_judge("quality")
    assert isinstance(stored, MemoryJudge) and len(stored.memory) == len(aligned.memory)
    assert stored.instructions == aligned.instructions


def test_a_built_in_judge_keeps_its_kind_when_aligned(fake_openai: FakeOpenAI) -> None:
    from jurist.judges import Correctness

    def answer(body: dict[str, Any]) -> str:
        if body["model"] == "optimizer-big":
            return optimizer_model(body)
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        item = user.split("<response>", 1)[-1]
        return _verdict("no" if "zorp" in system.lower() and "ZORP" in item else "yes")

    fake_openai.responder = answer
    data = [{**r, "expectations": {"expected_response": "A fact about the river."}} for r in rows()]
    aligned = Correctness(model=JUDGE).align(data, optimizer=InstructionOptimizer(model=OPTIMIZER, max_rounds=2))
    assert aligned.to_dict()["kind"] == "Correctness"
    assert aligned.alignment.after.balanced_accuracy.value == 1.0


def test_repeated_guidelines_and_restated_instructions_are_dropped(fake_openai: FakeOpenAI) -> None:
    from jurist.align import MemoryOptimizer

    own = "Is {{ outputs }} a good answer to {{ inputs }}?"
    fake_openai.responder = lambda body: (json.dumps({"guidelines": [own, RULE, RULE, f"  {RULE.upper()} "]})
                                          if body["model"] == "optimizer-big" else judge_model(body))
    aligned = quality_judge().align(rows(), optimizer=MemoryOptimizer(model=OPTIMIZER))
    block = aligned.instructions.split("## Learned from human labels", 1)[1]
    assert block.count("- ") == 1 and RULE in block
