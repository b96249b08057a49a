"""The store suite: the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from jurist.entities import AssessmentError, AssessmentSource, Expectation, Feedback, Span, Trace
from jurist.errors import ConfigError
from jurist.tracking import (
    Judgment,
    NotFoundError,
    RowData,
    RunEnd,
    RunStatus,
    SqlStore,
    StoredTrace,
)


def a_trace(trace_id: str = "0af7651916cd43dd8448eb211c80319c", *, start: int = 1_700_000_000_000_000_000) -> Trace:
    return Trace(trace_id, [
        Span("rag_app", "b7ad6b7169203331", trace_id, None, "CHAIN", {"question": "Eiffel Tower?"}, "In 1889.",
             {"app.version": "2", "nested": {"k": [1, 2]}}, [], "OK", start, start + 40_000_000),
        Span("search", "00f067aa0ba902b7", trace_id, "b7ad6b7169203331", "RETRIEVER", {"query": "eiffel"},
             [{"page_content": "Completed in 1889."}], {"db": "docs"},
             [{"name": "hit", "time_ns": start + 2, "attributes": {"n": 1}}], "OK", start + 1_000_000,
             start + 11_000_000),
    ], {"env": "prod", "service.name": "rag"})


# -- experiments and runs ---------------------------------------------------------------------------
def test_experiments(store: SqlStore) -> None:
    default = store.get_or_create_experiment("Default")
    assert default.experiment_id == "0" and store.get_experiment("0").name == "Default"
    qa = store.create_experiment("qa", tags={"team": "search"})
    assert store.get_or_create_experiment("qa") == qa and store.get_experiment(qa.experiment_id).tags == {"team": "search"}
    with pytest.raises(ConfigError, match="already exists"):
        store.create_experiment("qa")
    assert store.get_experiment_by_name("nope") is None
    with pytest.raises(NotFoundError, match="no experiment with id 'zzz'"):
        store.get_experiment("zzz")
    assert [e.name for e in store.search_experiments()] == ["Default", "qa"]


def test_runs_start_end_and_search(store: SqlStore) -> None:
    exp = store.get_or_create_experiment("qa")
    run = store.create_run(exp.experiment_id, params={"rows": 3}, scorers=[{"kind": "code", "name": "len"}])
    assert store.get_run(run.run_id).status is RunStatus.RUNNING
    ended = store.end_run(run.run_id, RunEnd(RunStatus.FINISHED, 123, metrics={"len/mean": 2.5}, row_count=3,
                                             total_input_tokens=10, total_output_tokens=4, total_cost_usd=None,
                                             judge_calls=2, cached_judgments=1))
    assert ended.status is RunStatus.FINISHED and ended.metrics == {"len/mean": 2.5}
    assert (ended.row_count, ended.total_input_tokens, ended.total_cost_usd, ended.cached_judgments) == (3, 10, None, 1)
    assert ended.params == {"rows": 3} and ended.scorers == [{"kind": "code", "name": "len"}]
    other = store.create_run(exp.experiment_id)
    assert [r.run_id for r in store.search_runs([exp.experiment_id], status="RUNNING")] == [other.run_id]
    assert {r.run_id for r in store.search_runs([exp.experiment_id])} == {run.run_id, other.run_id}


def test_an_unknown_run_is_a_clear_error(store: SqlStore) -> None:
    with pytest.raises(NotFoundError, match="no run with id 'nope' in the store at"):
        store.get_run("nope")
    with pytest.raises(NotFoundError, match="no run with id 'nope'"):
        store.log_judgments("nope", [Judgment(0, "s", [Feedback(name="s", value=1, trace_id="t")])])
    with pytest.raises(NotFoundError):
        store.end_run("nope", RunEnd(RunStatus.FAILED, 1))


# -- a run's rows ----------------------------------------------------------------------------------
def _judgment(i: int, scorer: str = "correctness", with_row: bool = True) -> Judgment:
    trace = Trace(f"trace-{i}", [Span("evaluate", f"span-{i}", f"trace-{i}", span_type="CHAIN",
                                      inputs={"q": i}, outputs=f"a{i}")])
    fbs = [Feedback(name=scorer, value="yes", rationale="fine", source=AssessmentSource("LLM_JUDGE", "openai:/m"),
                    metadata={"input_tokens": 42, "cost_usd": 1e-5}, trace_id=f"trace-{i}")]
    row = RowData(f"hash{i}", f"trace-{i}", {"q": i}, f"a{i}", {"expected_response": "x"}, {"i": i}, f"id-{i}",
                  trace) if with_row else None
    return Judgment(i, scorer, fbs, row)


def test_judgments_are_stored_once_and_read_back(store: SqlStore) -> None:
    run = store.create_run(store.get_or_create_experiment("Default").experiment_id)
    batch = [_judgment(i) for i in range(3)]
    store.log_judgments(run.run_id, batch)
    store.log_judgments(run.run_id, batch)  # a retried batch stores nothing twice
    err = Feedback(name="safety", error=AssessmentError("RATE_LIMITED", "429"), trace_id=None)
    store.log_judgments(run.run_id, [Judgment(1, "safety", [err])])  # the row is known: its trace is found
    rows = store.load_rows(run.run_id)
    assert [r.row_index for r in rows] == [0, 1, 2]
    r1 = rows[1]
    assert (r1.data.row_hash, r1.data.inputs, r1.data.outputs, r1.data.tags, r1.data.row_id) == (
        "hash1", {"q": 1}, "a1", {"i": 1}, "id-1")
    assert r1.feedbacks["correctness"][0] == batch[1].feedbacks[0]
    assert r1.feedbacks["safety"][0].error == AssessmentError("RATE_LIMITED", "429")
    assert r1.feedbacks["safety"][0].trace_id == "trace-1"
    t = store.get_trace("trace-1")
    assert [a.name for a in t.assessments] == ["correctness", "safety"] and t.inputs == {"q": 1}


# -- traces ----------------------------------------------------------------------------------------
def test_a_trace_round_trips_without_loss(store: SqlStore) -> None:
    t = a_trace()
    store.log_traces([t], "0")
    got = store.get_trace(t.trace_id)
    assert isinstance(got, StoredTrace)
    assert [s.to_dict() for s in got.spans] == [s.to_dict() for s in t.spans]
    assert got.tags == t.tags and got.name == "rag_app" and got.status == "OK"
    assert got.timestamp_ms == 1_700_000_000_000 and got.execution_time_ms == 40
    assert StoredTrace.from_dict(got.to_dict()) == got
    with pytest.raises(NotFoundError, match="no trace with id 'nope'"):
        store.get_trace("nope")


def test_a_trace_sent_in_parts_is_merged(store: SqlStore) -> None:
    t = a_trace()
    child, root = t.spans[1], t.spans[0]
    store.log_traces([Trace(t.trace_id, [child])], "0")  # exporters often send children first
    first = store.get_trace(t.trace_id)
    assert first.name is None and first.status == "UNSET"
    store.log_traces([Trace(t.trace_id, [root, child], {"env": "prod"})], "0")  # the child again: kept once
    got = store.get_trace(t.trace_id)
    assert [s.name for s in got.spans] == ["rag_app", "search"] and got.name == "rag_app"
    assert got.execution_time_ms == 40 and got.tags == {"env": "prod"}


def test_bad_traces_are_refused_whole(store: SqlStore) -> None:
    dup = Trace("t-dup", [Span("a", "s1"), Span("b", "s1")])
    with pytest.raises(ConfigError, match="appears twice"):
        store.log_traces([a_trace(), dup], "0")
    assert store.search_traces(["0"]) == []
    with pytest.raises(NotFoundError):
        store.log_traces([a_trace()], "no-such-experiment")


# -- assessments and search ------------------------------------------------------------------------
def test_human_feedback_and_expectations(store: SqlStore) -> None:
    t = a_trace()
    store.log_traces([t], "0")
    human = Feedback(name="correctness", value="no", rationale="It was 1889, not 1887.",
                     source=AssessmentSource("HUMAN", "ann@example.com"), trace_id=t.trace_id)
    store.log_assessment(human)
    store.log_assessment(Expectation(name="expected_response", value="1889", trace_id=t.trace_id))
    store.log_assessment(Feedback(name="relevance", value=True, trace_id=t.trace_id, span_id="00f067aa0ba902b7"))
    got = store.get_trace(t.trace_id)
    assert got.feedbacks[0] == human and got.expectations[0].value == "1889"
    assert got.search_assessments(source_type="human") == [human, got.expectations[0]]
    assert got.search_assessments("relevance")[0].span_id == "00f067aa0ba902b7"
    with pytest.raises(NotFoundError, match="no trace with id 'nope'"):
        store.log_assessment(Feedback(name="x", value=1, trace_id="nope"))
    with pytest.raises(NotFoundError, match="has no span 'nope'"):
        store.log_assessment(Feedback(name="x", value=1, trace_id=t.trace_id, span_id="nope"))
    with pytest.raises(ConfigError, match="trace_id"):
        store.log_assessment(Feedback(name="x", value=1))


def test_search_traces_filters(store: SqlStore) -> None:
    other = store.create_experiment("other")
    ids = [f"{i:032x}" for i in range(1, 5)]
    for i, tid in enumerate(ids):
        t = a_trace(tid, start=1_700_000_000_000_000_000 + i * 1_000_000_000)
        t.tags["env"] = "prod" if i % 2 == 0 else "dev"
        if i == 3:
            t.spans[0].status = "ERROR"
        store.log_traces([t], "0")
    store.log_traces([a_trace("f" * 32)], other.experiment_id)
    store.log_assessment(Feedback(name="correctness", value="no", trace_id=ids[0],
                                  source=AssessmentSource("HUMAN", "ann")))
    store.log_assessment(Feedback(name="correctness", value="yes", trace_id=ids[1],
                                  source=AssessmentSource("LLM_JUDGE", "openai:/gpt-4o-mini")))
    store.log_assessment(Expectation(name="expected_response", value="1889", trace_id=ids[2]))

    def ids_of(flt: str | None = None, max_results: int = 100, order_by: list[str] | None = None) -> list[str]:
        return [t.trace_id for t in store.search_traces(["0"], filter_string=flt, max_results=max_results,
                                                        order_by=order_by)]

    assert ids_of() == ids[::-1]  # newest first
    assert ids_of(order_by=["timestamp_ms ASC"]) == ids
    assert ids_of(max_results=2) == [ids[3], ids[2]]
    assert ids_of("tags.env = 'prod'") == [ids[2], ids[0]]
    assert ids_of("tags.`service.name` = 'rag' AND trace.status = 'error'") == [ids[3]]
    assert ids_of("trace.timestamp_ms >= 1700000002000") == [ids[3], ids[2]]
    assert ids_of("feedback.correctness = 'no'") == [ids[0]]
    assert ids_of("feedback.correctness IS NOT NULL") == [ids[1], ids[0]]
    assert ids_of("feedback.correctness.source_type = 'HUMAN'") == [ids[0]]
    assert ids_of("feedback.correctness IS NULL AND tags.env != 'dev'") == [ids[2]]
    assert ids_of("expectation.expected_response = '1889'") == [ids[2]]
    assert ids_of(f"trace.trace_id IN ('{ids[0]}', '{ids[1]}')") == [ids[1], ids[0]]
    assert ids_of("trace.name LIKE 'rag%' AND trace.execution_time_ms = 40") == ids[::-1]
    assert [t.trace_id for t in store.search_traces(None)] == [*ids[::-1], "f" * 32]
    found = store.search_traces(["0"], "feedback.correctness = 'no'")[0]
    assert found.assessments[0].value == "no" and len(found.spans) == 2


@pytest.mark.parametrize("bad,match", [
    ("tags.env = ", "value"),
    ("trace.colour = 'red'", "unknown filter field 'trace.colour'"),
    ("tags.env = 'a' OR tags.env = 'b'", "OR is not supported"),
    ("tags.env ~ 'a'", "cannot read"),
    ("feedback.x > 3", "takes =, !="),
    ("tags.env IN ('a'", "not closed"),
])
def test_bad_filters_say_what_is_accepted(store: SqlStore, bad: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        store.search_traces(["0"], bad)


# -- judges ----------------------------------------------------------------------------------------
def test_judge_versions_are_immutable_data(store: SqlStore) -> None:
    from jurist import make_judge
    from jurist.judges import Correctness
    from jurist.tracking._entities import judge_definition

    tone = make_judge(name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=bool,
                      model="openai:/gpt-4o-mini", inference_params={"max_tokens": 50, "api_key": "sk-secret"},
                      extra_headers={"Authorization": "Bearer sk-secret"})
    v1 = store.register_judge(judge_definition(tone))
    tone.instructions = "Is {{ outputs }} polite and warm?"
    v2 = store.register_judge(judge_definition(tone))
    assert (v1.version, v2.version) == (1, 2)
    assert store.get_judge("tone").version == 2 and store.get_judge("tone", 1).definition["instructions"] == \
        "Is {{ outputs }} polite?"
    assert "sk-secret" not in str(store.list_judge_versions("tone"))
    rebuilt = store.get_judge("tone", 1).to_judge()
    assert rebuilt.feedback_value_type is bool and rebuilt.inference_params["max_tokens"] == 50
    store.register_judge(judge_definition(Correctness(model="anthropic:/claude-sonnet-4")))
    assert [(j.name, j.version) for j in store.search_judges()] == [("correctness", 1), ("tone", 2)]
    assert type(store.get_judge("correctness").to_judge()).__name__ == "Correctness"
    with pytest.raises(NotFoundError, match="no version 3 of judge 'tone'"):
        store.get_judge("tone", 3)
    with pytest.raises(NotFoundError, match="no judge 'nope'"):
        store.get_judge("nope")


@pytest.mark.parametrize("filter_string,reason", [
    ("trace.timestamp_ms > 12345678901234567890123456", "out of range for trace.timestamp_ms"),
    ("trace.execution_time_ms > 'abc'", r"is a number \(milliseconds\)"),
    ("trace.timestamp_ms IN (1, 'x')", "is a number"),
    ("trace.name = 5", "trace.name is text; quote the value"),
    ("trace.timestamp_ms > 1e999", "out of range"),
    (" AND ".join(["tags.k = 'v'"] * 3000), "more than 100 clauses"),
    ("trace.trace_id IN (" + ", ".join(f"'t{i}'" for i in range(1001)) + ")", "at most 1000 values"),
])
def test_a_filter_the_database_cannot_run_is_refused_before_it(store_uri: str, filter_string: str,
                                                                reason: str) -> None:
    store = SqlStore(store_uri)
    try:
        with pytest.raises(ConfigError, match=reason):
            store.search_traces(None, filter_string=filter_string)
        # Large numbers and text values still work where the field holds text.
        assert store.search_traces(None, filter_string="tags.k = 12345678901234567890123456") == []
    finally:
        store.close()
