"""The Evaluations tab over HTTP, against a real server: runs made by evaluate() on ``fake:/`` into the
server's store, a run's rows filtered and paged, two runs compared, the report downloaded."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

import jurist
from jurist.tracking import Store, get_store
from jurist.tracking._run_pages import RowFilter, count_rows, named_feedback, row_page, value_counts, verdicts
from jurist.ui._report import row_view, summarize, summarize_counts
from tests._postgres import fresh_database
from tests.ui._runs import XSS_OUTPUT, XSS_RATIONALE, make_run
from tests.ui.conftest import UIServer


@pytest.fixture
def server(start_ui: Callable[..., UIServer]) -> UIServer:
    srv = start_ui()
    jurist.set_tracking_uri(srv.store.db_uri)  # evaluate() logs to the server's store
    return srv


def rows(html: str) -> list[str]:
    """The row indexes a page of rows shows, in order."""
    found: list[str] = re.findall(r'<details class="evrow" data-row="(\d+)"', html)
    return found


def experiment_of(srv: UIServer, run_id: str) -> str:
    return str(srv.store.get_run(run_id).experiment_id)


def test_the_runs_table_lists_the_experiments_runs(server: UIServer) -> None:
    first, second = make_run(1), make_run(2)
    eid = experiment_of(server, first)
    with server.client() as c:
        r = c.get(f"/experiments/{eid}/evaluations")
    assert r.status_code == 200
    assert f'data-run-id="{first}"' in r.text and f'data-run-id="{second}"' in r.text
    # The newest first, each with its headline figures: version 2 passes 6 of 7 on correctness.
    assert r.text.index(second) < r.text.index(first)
    assert "correctness: 86%" in r.text and "correctness: 57%" in r.text and "1 err" in r.text
    assert "quality: mean" in r.text


def test_an_empty_experiment_says_how_to_fill_it(server: UIServer) -> None:
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/evaluations")
    assert r.status_code == 200 and "No evaluation runs in this experiment yet" in r.text


def test_a_run_shows_charts_and_its_rows(server: UIServer) -> None:
    run_id = make_run()
    eid = experiment_of(server, run_id)
    with server.client() as c:
        r = c.get(f"/experiments/{eid}/evaluations/{run_id}")
    assert r.status_code == 200
    assert r.text.count('<details class="evrow"') == 8
    assert "8 rows" in r.text
    assert 'aria-label="Pass rate per judge"' in r.text and 'aria-label="quality: score distribution"' in r.text
    assert "It names the wrong city." in r.text  # the rationale, in the row's details
    assert "PARSE_ERROR" in r.text


def test_rows_filter_by_a_scorers_value_and_by_errors(server: UIServer) -> None:
    run_id = make_run()
    eid = experiment_of(server, run_id)
    base = f"/experiments/{eid}/evaluations/{run_id}"
    with server.client() as c:
        no = c.get(base, params={"v": 'correctness:"no"'})
        errors = c.get(base, params={"errors": "1"})
        five = c.get(base, params={"v": "quality:5"})
        both = c.get(base, params={"v": "quality:1", "errors": "1"})
        bad = c.get(base, params={"v": "nonsense:1"})
    assert rows(no.text) == ["1", "3", "5"] and "3 rows match" in no.text
    assert rows(errors.text) == ["6"] and "1 row match" in errors.text
    assert rows(five.text) == ["5", "7"]
    assert rows(both.text) == ["6"]  # the garbled row: quality 1, correctness failed
    assert bad.status_code == 200 and "no value &#39;nonsense:1&#39; to filter on" in bad.text
    # The select offers each value with its count, and keeps the one chosen.
    assert '<option value="correctness:&#34;no&#34;" selected>correctness = no (3)</option>' in no.text


def test_rows_are_paged(server: UIServer) -> None:
    from tests.ui import _runs

    data = [{"inputs": {"question": f"q{i}"}, "outputs": f"answer: {i}", "expectations": {"expected_response": "x"}}
            for i in range(60)]
    with _runs.fake_models():
        result = jurist.evaluate(data=data, scorers=_runs.judges(), experiment="paged")
    run_id = str(result.run_id)
    eid = experiment_of(server, run_id)
    with server.client() as c:
        p1 = c.get(f"/experiments/{eid}/evaluations/{run_id}")
        p3 = c.get(f"/experiments/{eid}/evaluations/{run_id}", params={"page": 3})
    assert rows(p1.text) == [str(i) for i in range(25)] and "page=2" in p1.text
    assert rows(p3.text) == [str(i) for i in range(50, 60)] and 'rel="next"' not in p3.text
    assert "60 rows" in p1.text


def test_markup_in_a_run_shows_as_text(server: UIServer) -> None:
    run_id = make_run()
    eid = experiment_of(server, run_id)
    with server.client() as c:
        r = c.get(f"/experiments/{eid}/evaluations/{run_id}")
    assert XSS_OUTPUT not in r.text and XSS_RATIONALE not in r.text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in r.text
    assert "<script>alert(2)</script>" not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_two_runs_side_by_side_with_the_paired_comparison(server: UIServer) -> None:
    old, new = make_run(1), make_run(2)
    eid = experiment_of(server, old)
    with server.client() as c:
        r = c.get(f"/experiments/{eid}/evaluations/compare", params={"candidate": new, "baseline": old})
        everything = c.get(f"/experiments/{eid}/evaluations/compare",
                           params={"candidate": new, "baseline": old, "all_rows": 1})
    assert r.status_code == 200
    assert 'data-scorer="correctness"' in r.text and "mcnemar" in r.text and "wilcoxon" in r.text
    # Version 2 fixed rows 1 and 3: 2 better, 0 worse, the 5 others the same (the failed row is left out).
    assert "2 / 0 / 5" in r.text
    changed = re.findall(r'<details class="evrow pair" data-row="(\d+)"', r.text)
    assert changed == ["1", "3"]
    assert "answer: Paris again" in r.text and "answer: wrong Lyon" in r.text
    assert len(re.findall(r'<details class="evrow pair"', everything.text)) == 8


def test_comparing_needs_two_runs_of_the_experiment(server: UIServer) -> None:
    run_id = make_run()
    eid = experiment_of(server, run_id)
    with server.client() as c:
        same = c.get(f"/experiments/{eid}/evaluations/compare", params={"candidate": run_id, "baseline": run_id})
        unknown = c.get(f"/experiments/{eid}/evaluations/compare", params={"candidate": run_id, "baseline": "nope"})
        elsewhere = c.get(f"/experiments/{server.experiment_id}/evaluations/{run_id}")
    assert same.status_code == 400 and "Pick two different runs" in same.text
    assert unknown.status_code == 404 and "no evaluation run with id &#39;nope&#39;" in unknown.text
    assert elsewhere.status_code == 404


def test_the_report_downloads_from_the_run_page(server: UIServer) -> None:
    run_id = make_run()
    eid = experiment_of(server, run_id)
    with server.client() as c:
        r = c.get(f"/experiments/{eid}/evaluations/{run_id}/report.html")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment; filename=\"jurist-run-")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.text.startswith("<!DOCTYPE html>") and run_id in r.text


def check_paged_reads(store: Store, run_id: str) -> None:
    whole = store.load_rows(run_id)
    for f in (RowFilter(), RowFilter("correctness", '"no"'), RowFilter(errors=True), RowFilter("quality", "5", True),
              RowFilter("quality")):
        expected = [r.row_index for r in whole if f.matches(r)]
        assert [r.row_index for r in row_page(store, run_id, f, limit=500)] == expected
        assert count_rows(store, run_id, f) == len(expected)
    page = row_page(store, run_id, offset=2, limit=3)
    assert [r.row_index for r in page] == [2, 3, 4]
    assert page[0].to_dict() == whole[2].to_dict()
    assert len(verdicts(store, run_id)) == 16

    # The grouped summary says what the summary of every row says.
    whole_summary = summarize([row_view(r) for r in whole])
    grouped = summarize_counts(*value_counts(store, run_id), order=["correctness", "quality"])
    assert [s.name for s in grouped] == ["correctness", "quality"]
    for a, b in zip(sorted(whole_summary, key=lambda s: s.name), grouped, strict=True):
        assert (a.count, a.errors, a.passed, a.failed, a.categories, a.cost_usd, a.judged) == \
            (b.count, b.errors, b.passed, b.failed, b.categories, b.cost_usd, b.judged)
        assert sorted(a.numbers) == sorted(b.numbers) and sorted(a.latencies_ms) == sorted(b.latencies_ms)
    traces = {r.data.trace_id for r in whole}
    named = named_feedback(store, store.get_run(run_id).experiment_id, "correctness")
    assert {f.trace_id for f in named} == traces and len(named) == 8
    assert [f.create_time_ms for f in named] == sorted(f.create_time_ms for f in named)


def test_the_paged_reads_match_the_whole_run() -> None:
    check_paged_reads(get_store(), make_run())


def test_the_paged_reads_on_postgresql() -> None:
    with fresh_database("jurist_ui_results") as url:
        jurist.set_tracking_uri(url)
        try:
            check_paged_reads(get_store(url), make_run())
        finally:
            jurist.reset()  # closes the store before its database is dropped
