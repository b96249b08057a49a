"""``jurist report``: a real run (evaluate() on ``fake:/``) as one HTML file that loads nothing and shows
every judged text as text."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jurist.cli import app
from jurist.tracking import get_store, get_tracking_uri
from jurist.ui import _charts
from jurist.ui._report import render_report, row_view, summarize
from tests.ui._runs import XSS_OUTPUT, XSS_RATIONALE, make_run


class Page(HTMLParser):
    """Every tag and attribute of a document, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture
def run_id() -> str:
    return make_run()


def test_the_report_shows_run_metrics_charts_and_every_row(run_id: str) -> None:
    store = get_store()
    html = render_report(store, run_id)
    run = store.get_run(run_id)

    assert run_id in html and "capitals" in html and "FINISHED" in html
    # correctness: 4 yes, 3 no, 1 failed judgment (garbled), so 4 of 7 pass.
    assert "57.1%" in html and "57% of 7" in html
    assert "PARSE_ERROR" in html
    assert html.count('class="card row"') == 8 == run.row_count
    assert html.count('data-error="1"') == 1
    assert "It names the wrong city." in html and "answer: Vienna, the capital of Austria" in html
    # A chart per kind: pass rate, the quality scores' distribution, cost and latency.
    assert html.count("<svg") >= 4
    assert 'aria-label="quality: score distribution"' in html
    # The judges as data: their model and instructions.
    assert "fake:/grader" in html and "Rate the answer {{ outputs }} from 1 to 5." in html


def test_the_report_loads_nothing_and_runs_only_its_own_script(run_id: str) -> None:
    html = render_report(get_store(), run_id)
    page = parse(html)

    for tag, attrs in page.tags:
        assert "src" not in attrs, f"<{tag} src=...> would load something"
        href = attrs.get("href")
        assert href is None or href.startswith("#"), f"<{tag} href={href!r}> leaves the file"
        assert tag not in ("link", "iframe", "object", "embed", "img", "base"), tag
    assert "http://" not in html and "https://" not in html and "//cdn" not in html

    # One inline script, and the file's own Content-Security-Policy allows exactly it.
    assert len(page.scripts) == 1
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp
    digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


def test_markup_in_outputs_and_rationales_shows_as_text(run_id: str) -> None:
    html = render_report(get_store(), run_id)
    page = parse(html)

    assert XSS_OUTPUT not in html and XSS_RATIONALE not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "&lt;b onmouseover=&#34;alert(1)&#34;&gt;bold claim&lt;/b&gt;" in html
    # Nothing from the data became an element or an event handler.
    assert not any(tag == "img" for tag, _ in page.tags)
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert len(page.scripts) == 1 and "__pwned" not in page.scripts[0]


def test_summaries_count_verdicts_scores_and_errors(run_id: str) -> None:
    rows = [row_view(r) for r in get_store().load_rows(run_id)]
    by_name = {s.name: s for s in summarize(rows)}

    correctness, quality = by_name["correctness"], by_name["quality"]
    assert (correctness.kind, correctness.passed, correctness.failed, correctness.errors) == ("pass", 4, 3, 1)
    assert correctness.pass_rate == pytest.approx(4 / 7)
    assert quality.kind == "numeric" and sorted(quality.numbers) == [1, 1, 1, 2, 2, 3, 5, 5]
    assert quality.mean == pytest.approx(2.5)
    assert len(correctness.latencies_ms) == 8 and correctness.cost_usd == 0.0


def test_charts_escape_labels_and_bin_whole_numbers() -> None:
    svg = _charts.bar_chart([("<script>x</script>", 0.5, "50%")], maximum=1.0, title='a "title" <b>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert [(b.low, b.count) for b in _charts.bins([1, 1, 3, 5])] == [(1, 2), (2, 0), (3, 1), (4, 0), (5, 1)]
    assert sum(b.count for b in _charts.bins([0.1, 0.25, 0.9, 0.95], 4)) == 4
    assert "no values" in _charts.histogram([], title="empty")
    # One bar of 1 against a maximum of 2 fills half its track (212 px wide at this width).
    half = _charts.bar_chart([("a", 1.0, "1")], maximum=2.0, title="t", width=250)
    assert re.findall(r'<rect x="19" y="9" width="([\d.]+)"', half) == ["212", "106"]


# -- the command ------------------------------------------------------------------------------------
def test_jurist_report_writes_the_file(run_id: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", run_id, "--out", str(out), "--tracking-uri", get_tracking_uri()])
    assert r.exit_code == 0, r.output
    assert f"Wrote {out}" in r.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and run_id in html


def test_jurist_report_reads_the_configured_store(run_id: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", run_id, "-o", str(out)])  # JURIST_TRACKING_URI, set for each test
    assert r.exit_code == 0, r.output
    assert out.is_file()


def test_an_unknown_run_id_is_a_clear_error(run_id: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", "no-such-run", "--out", str(out)])
    assert r.exit_code == 1
    assert "no run 'no-such-run' in the store at sqlite:///" in r.output
    assert "--tracking-uri" in r.output
    assert not out.exists()


def test_a_missing_store_is_an_error_not_a_new_empty_database(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    r = CliRunner().invoke(app, ["report", "abc", "--tracking-uri", str(missing), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 1
    assert f"no tracking store at {missing}" in r.output
    assert not missing.exists()


def test_an_out_directory_is_refused(run_id: str, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["report", run_id, "--out", str(tmp_path)])
    assert r.exit_code == 1
    assert "is a directory" in r.output


def test_the_report_needs_no_server_dependencies(run_id: str, tmp_path: Path) -> None:
    """``jurist report`` works on a base install: without FastAPI (the server's extra) importable."""
    import subprocess
    import sys

    out = tmp_path / "r.html"
    code = ("import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None\n"
            "from jurist.cli import app\n"
            f"app(['report', {run_id!r}, '--out', {str(out)!r}, '--tracking-uri', {get_tracking_uri()!r}])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert run_id in out.read_text(encoding="utf-8")
