"""The tracking functions of the public API: tracking URI, experiments, human feedback, search, judges."""

from __future__ import annotations

from pathlib import Path

import pytest

import jurist
from jurist.entities import AssessmentSourceType, Feedback, Trace
from jurist.errors import ConfigError
from jurist.tracking import NotFoundError, get_store


def test_the_tracking_uri_set_beats_the_environment_which_beats_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JURIST_TRACKING_URI", str(tmp_path / "env.db"))
    assert jurist.get_tracking_uri() == f"sqlite:///{tmp_path / 'env.db'}"
    jurist.set_tracking_uri("http://127.0.0.1:5000")
    try:
        assert jurist.get_tracking_uri() == "http://127.0.0.1:5000"
    finally:
        jurist.set_tracking_uri(None)
    monkeypatch.delenv("JURIST_TRACKING_URI")
    jurist.reset()  # settings are read once: a change midway takes a reset
    monkeypatch.chdir(tmp_path)
    assert jurist.get_tracking_uri() == f"sqlite:///{Path(tmp_path).resolve() / 'jurist.db'}"


def test_experiments_and_the_active_one(tracking: str) -> None:
    exp = jurist.set_experiment("support-bot")
    assert jurist.tracking.active_experiment() == exp
    jurist.log_trace({"trace_id": "t1", "spans": [{"name": "app", "span_id": "s1"}]})
    assert [t.trace_id for t in jurist.search_traces()] == ["t1"]
    assert jurist.search_traces("Default") == []
    assert [t.experiment_id for t in jurist.search_traces(exp.experiment_id)] == [exp.experiment_id]
    with pytest.raises(ConfigError, match="already exists"):
        jurist.create_experiment("support-bot")
    with pytest.raises(NotFoundError, match="no experiment named 'nope'"):
        jurist.search_traces("nope")


def test_human_feedback_on_a_trace_is_what_alignment_reads(tracking: str) -> None:
    tid = jurist.log_trace(Trace.from_dict({"trace_id": "t1", "spans": [
        {"name": "app", "span_id": "root", "inputs": {"q": "Capital of France?"}, "outputs": "Lyon"},
        {"name": "search", "span_id": "r1", "parent_id": "root", "span_type": "RETRIEVER", "outputs": ["doc"]}]}))
    fb = jurist.log_feedback(tid, "correctness", "no", "Paris is the capital, not Lyon.")
    assert fb.source.source_type is AssessmentSourceType.HUMAN and fb.source.source_id
    jurist.log_feedback(tid, "relevance", True, source="LLM_JUDGE", span_id="r1")
    jurist.log_expectation(tid, "expected_response", "Paris")
    found = jurist.search_traces(filter_string="feedback.correctness.source_type = 'HUMAN'")
    assert [t.trace_id for t in found] == ["t1"]
    t = found[0]
    assert t.inputs == {"q": "Capital of France?"} and t.outputs == "Lyon"
    assert [(a.name, a.value) for a in t.feedbacks] == [("correctness", "no"), ("relevance", True)]
    assert t.feedbacks[1].span_id == "r1" and t.expectations[0].value == "Paris"
    human = jurist.tracking.get_trace(tid).search_assessments("correctness")[0]
    assert isinstance(human, Feedback) and (human.rationale or "").startswith("Paris")
    with pytest.raises(NotFoundError, match="no trace with id 'nope'"):
        jurist.log_feedback("nope", "correctness", "no")
    with pytest.raises(ConfigError, match="needs a value"):
        jurist.log_feedback(tid, "correctness")


def test_judges_are_registered_as_data_and_versioned(tracking: str) -> None:
    from jurist.judges import Guidelines

    tone = jurist.make_judge(name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=bool,
                             model="openai:/gpt-4o-mini")
    assert jurist.register_judge(tone).version == 1
    tone.instructions = "Is {{ outputs }} polite and warm?"
    assert jurist.register_judge(tone).version == 2
    assert jurist.get_judge("tone").instructions == "Is {{ outputs }} polite and warm?"
    assert jurist.get_judge("tone", version=1).instructions == "Is {{ outputs }} polite?"
    assert [v.version for v in jurist.list_judge_versions("tone")] == [1, 2]
    jurist.register_judge(Guidelines(guidelines="Answer in English"), name="english")
    english = jurist.get_judge("english")
    assert type(english).__name__ == "Guidelines" and english.guidelines == ["Answer in English"]

    @jurist.scorer
    def length(outputs: str) -> int:
        return len(outputs)

    with pytest.raises(ConfigError, match="never code"):
        jurist.register_judge(length)


def test_stores_are_opened_once_per_uri(tracking: str) -> None:
    assert get_store() is get_store(tracking)
