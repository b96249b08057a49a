"""The Evaluations tab and the report file in a real browser (Debian's chromium through Playwright): open a
run and filter its rows, compare two runs, hostile text in a run, the report file opened from disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import jurist
from jurist.cli import app
from tests.ui._runs import make_run
from tests.ui.conftest import UIServer, copy_for_docs

Shot = Callable[[Any, str], Path]


@pytest.fixture
def server(start_ui: Callable[..., UIServer]) -> UIServer:
    srv = start_ui()
    jurist.set_tracking_uri(srv.store.db_uri)  # evaluate() logs to the server's store
    return srv


def test_open_a_run_and_filter_its_rows(server: UIServer, page: Any, screenshot: Shot) -> None:
    run_id = make_run()
    eid = server.store.get_run(run_id).experiment_id
    page.goto(f"{server.url}/experiments/{eid}/evaluations")
    page.click(f'tr[data-run-id="{run_id}"] td:nth-child(3) a')
    page.wait_for_selector("details.evrow")
    assert page.locator("details.evrow").count() == 8
    assert page.locator('svg[aria-label="Pass rate per judge"]').count() == 1

    page.select_option("#filter-value", label="correctness = no (3)")
    page.click("#apply-filter")
    page.wait_for_url("**v=correctness*")
    assert page.locator("details.evrow").count() == 3
    assert page.inner_text("#row-count").startswith("3 rows match")

    first = page.locator("details.evrow").first
    rationale = first.locator("pre.rationale").first
    assert not rationale.is_visible()
    first.locator("summary").click()
    assert rationale.is_visible() and "It names the wrong city." in rationale.inner_text()
    copy_for_docs(screenshot(page, "evaluations-run"), "evaluations-run.png")

    page.check("#filter-errors")
    page.select_option("#filter-value", value="")
    page.click("#apply-filter")
    page.wait_for_url("**errors=1*")
    assert page.locator("details.evrow").count() == 1
    failed = page.locator("details.evrow").first
    assert "correctness error" in failed.inner_text()
    failed.locator("summary").click()
    assert "PARSE_ERROR: no JSON object found" in failed.inner_text()


def test_compare_two_runs(server: UIServer, page: Any, screenshot: Shot) -> None:
    old = make_run(1)
    new = make_run(2)
    eid = server.store.get_run(old).experiment_id
    page.goto(f"{server.url}/experiments/{eid}/evaluations")
    page.check(f'tr[data-run-id="{new}"] input[name=candidate]')
    page.check(f'tr[data-run-id="{old}"] input[name=baseline]')
    page.click("#compare")
    page.wait_for_selector("table.comparison")
    row = page.inner_text('tr[data-scorer="correctness"]')
    assert "mcnemar" in row and "2 / 0 / 5" in row
    assert page.locator("details.evrow.pair").count() == 2
    page.locator("details.evrow.pair summary").first.click()
    assert "answer: Paris again" in page.locator("details.evrow.pair").first.inner_text()
    screenshot(page, "evaluations-compare")


def test_markup_in_a_run_shows_as_text_in_the_browser(server: UIServer, page: Any, screenshot: Shot) -> None:
    run_id = make_run()
    eid = server.store.get_run(run_id).experiment_id
    page.goto(f"{server.url}/experiments/{eid}/evaluations/{run_id}")
    hostile = page.locator('details.evrow[data-row="5"]')
    hostile.locator("summary").click()
    text = hostile.inner_text()
    assert "<script>window.__pwned = 1</script>" in text and '<b onmouseover="alert(1)">bold claim</b>' in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert hostile.locator("script, img, b[onmouseover]").count() == 0
    screenshot(page, "evaluations-xss")


def test_the_report_file_in_the_browser(server: UIServer, page: Any, screenshot: Shot, tmp_path: Path) -> None:
    run_id = make_run()
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", run_id, "--out", str(out), "--tracking-uri", server.store.db_uri])
    assert r.exit_code == 0, r.output
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(out.as_uri())
    assert requested == [out.as_uri()], "the report loaded something besides itself"
    assert page.inner_text("#shown") == "8"
    page.fill("#q", "wrong")  # its own script filters the rows: the CSP lets exactly it run
    assert page.inner_text("#shown") == "2"
    page.fill("#q", "")
    page.check("#e")
    assert page.inner_text("#shown") == "1"
    page.uncheck("#e")
    page.select_option("#f", label="quality = 5 (2)")
    assert page.inner_text("#shown") == "2"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<script>window.__pwned = 1</script>" in page.inner_text("#row-5")
    assert not violations, violations
    copy_for_docs(screenshot(page, "report"), "report.png")
