"""One run as one self-contained HTML file (``jurist report``), and the run summaries the Evaluations pages
show: per scorer its pass rate or score distribution, errors, cost and latency; per row its data and each
scorer's value, rationale and error.

The file has its CSS, its charts (inline SVG, :mod:`jurist.ui._charts`) and a few lines of JavaScript for
filtering inside it, and loads nothing: a Content-Security-Policy in the file itself forbids any fetch and
any script but its own. Every value is escaped, so an output holding ``<script>`` shows as text.

Example:
    >>> from jurist.tracking import get_store                      # doctest: +SKIP
    >>> store = get_store("sqlite:///jurist.db")                   # doctest: +SKIP
    >>> html = render_report(store, "5f0c2a…")                     # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from jurist.entities import Feedback
from jurist.tracking import Run, Store, StoredRow
from jurist.tracking._run_pages import Call, ValueCount
from jurist.ui import _charts

_YES = {"yes", "pass", "true"}
_NO = {"no", "fail", "false"}
#: Distinct values of one scorer offered as a filter; a scorer with more (free text, floats) gets none.
MAX_FILTER_VALUES = 30


def environment() -> Environment:
    """The Jinja environment of the report and result pages: templates from this package, everything
    escaped, an undefined name an error (never an empty string that hides a bug)."""
    env = Environment(loader=PackageLoader("jurist.ui", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.filters["number"] = _charts.short_number
    env.filters["usd"] = usd
    env.filters["ms"] = ms
    return env


def when(ms: int | None) -> str:
    """A store timestamp (ms since the epoch) as ``2026-12-02 05:31:07 UTC``."""
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ms(x: float | None) -> str:
    """A latency: ``12 ms``, ``0.31 ms``, ``1.2 s``."""
    if x is None:
        return "—"
    if x >= 1000:
        return f"{x / 1000:.1f} s"
    return f"{x:.0f} ms" if x >= 10 else f"{x:.2g} ms"


def usd(x: float | None) -> str:
    if x is None:
        return "unknown"
    if x == 0:
        return "$0"
    return f"${x:.4f}" if x < 1 else f"${x:,.2f}"


def duration(run: Run) -> str:
    if not run.end_time_ms or not run.start_time_ms:
        return "—"
    s = (run.end_time_ms - run.start_time_ms) / 1000
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def text_of(value: Any) -> str:
    """Row data as text: a string as it is, anything else as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def value_text(value: Any) -> str:
    """A feedback value as one short text: ``yes``, ``true``, ``4``, ``0.875``, JSON for lists and dicts."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (int, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def verdict(value: Any) -> bool | None:
    """True for a passing verdict (yes, pass, true), False for a failing one, None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _YES:
            return True
        if s in _NO:
            return False
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass
class Cell:
    """One feedback of one row, ready to show."""

    name: str
    text: str
    verdict: bool | None
    rationale: str | None
    error: str | None
    source: str
    latency_ms: float | None = None
    cost_usd: float | None = None


def cell_of(fb: Feedback) -> Cell:
    error = None
    if fb.error is not None:
        error = fb.error.error_code + (f": {fb.error.error_message}" if fb.error.error_message else "")
    return make_cell(str(fb.name), fb.value, error, f"{fb.source.source_type.value}:{fb.source.source_id}",
                     fb.metadata or {}, fb.rationale)


def make_cell(name: str, value: Any, error: str | None, source: str, meta: dict[str, Any],
              rationale: str | None = None) -> Cell:
    """A cell from a feedback's parts (``meta``: its metadata, where a judge puts latency and cost)."""
    latency, cost = meta.get("latency_ms"), meta.get("cost_usd")
    called = isinstance(latency, (int, float)) and "input_tokens" in meta
    return Cell(name=name, text=value_text(value), verdict=verdict(value) if error is None else None,
                rationale=rationale, error=error, source=source,
                latency_ms=float(latency) if called and isinstance(latency, (int, float)) else None,
                cost_usd=float(cost) if called and isinstance(cost, (int, float)) else None)


@dataclass
class RowView:
    """One row of a run: its data as text and its cells by feedback name."""

    index: int
    trace_id: str
    row_id: str | None
    inputs: str
    outputs: str
    expectations: str
    cells: dict[str, Cell]

    @property
    def has_error(self) -> bool:
        return any(c.error is not None for c in self.cells.values())


def row_view(row: StoredRow) -> RowView:
    cells: dict[str, Cell] = {}
    for fbs in row.feedbacks.values():
        for fb in fbs:
            cells.setdefault(str(fb.name), cell_of(fb))
    d = row.data
    return RowView(index=row.row_index, trace_id=d.trace_id, row_id=None if d.row_id is None else str(d.row_id),
                   inputs=text_of(d.inputs), outputs=text_of(d.outputs), expectations=text_of(d.expectations),
                   cells=cells)


@dataclass
class ScorerSummary:
    """What one feedback name says over a run."""

    name: str
    count: int = 0
    errors: int = 0
    passed: int = 0
    failed: int = 0
    numbers: list[float] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    cost_usd: float | None = 0.0
    judged: bool = False

    @property
    def kind(self) -> str:
        """``pass`` (yes/no verdicts), ``numeric``, ``category`` or ``none`` (errors only)."""
        valued = self.count - self.errors
        if valued <= 0:
            return "none"
        if self.passed + self.failed == valued:
            return "pass"
        if len(self.numbers) == valued:
            return "numeric"
        return "category"

    @property
    def pass_rate(self) -> float | None:
        n = self.passed + self.failed
        return self.passed / n if n and self.kind == "pass" else None

    @property
    def mean(self) -> float | None:
        return sum(self.numbers) / len(self.numbers) if self.numbers and self.kind == "numeric" else None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies_ms, 0.5) if self.latencies_ms else None

    @property
    def values(self) -> list[str]:
        """The distinct value texts, most frequent first (what the row filter offers)."""
        return [k for k, _ in sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))]


def percentile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return math.nan
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(rows: Sequence[RowView]) -> list[ScorerSummary]:
    """One summary per feedback name, in the order the names first appear."""
    return summarize_cells(c for row in rows for c in row.cells.values())


def summarize_cells(cells: Iterable[Cell]) -> list[ScorerSummary]:
    """One summary per feedback name of ``cells`` (a run's feedback, with or without its rows)."""
    out: dict[str, ScorerSummary] = {}
    for c in cells:
        s = out.get(c.name)
        if s is None:
            s = out[c.name] = ScorerSummary(c.name)
        s.count += 1
        if c.source.startswith("LLM_JUDGE"):
            s.judged = True
        if c.latency_ms is not None:
            s.latencies_ms.append(c.latency_ms)
            if s.cost_usd is not None and c.cost_usd is not None:
                s.cost_usd += c.cost_usd
            else:
                s.cost_usd = None  # a judge call of unknown price: the total is unknown, not lower
        if c.error is not None:
            s.errors += 1
            continue
        if c.verdict is True:
            s.passed += 1
        elif c.verdict is False:
            s.failed += 1
        n = _number_of(c.text)
        if n is not None:
            s.numbers.append(n)
        if c.text:
            s.categories[c.text] = s.categories.get(c.text, 0) + 1
    return list(out.values())


def summarize_counts(counts: Iterable[ValueCount], calls: Iterable[Call],
                     order: Sequence[str] = ()) -> list[ScorerSummary]:
    """The summaries of :func:`summarize_cells` from a run's grouped verdicts and its judge calls (what the
    store computes without reading every feedback); names in ``order`` first, then alphabetically."""
    out: dict[str, ScorerSummary] = {}
    for vc in counts:
        s = out.setdefault(vc.name, ScorerSummary(vc.name))
        s.count += vc.count
        if vc.source_type == "LLM_JUDGE":
            s.judged = True
        if vc.failed or vc.value is None:
            s.errors += vc.count if vc.failed else 0
            continue
        value = json.loads(vc.value)
        text = value_text(value)
        p = verdict(value)
        if p is True:
            s.passed += vc.count
        elif p is False:
            s.failed += vc.count
        n = _number_of(text)
        if n is not None:
            s.numbers.extend([n] * vc.count)
        if text:
            s.categories[text] = s.categories.get(text, 0) + vc.count
    for c in calls:
        s = out.setdefault(c.name, ScorerSummary(c.name))
        s.latencies_ms.append(c.latency_ms)
        if s.cost_usd is not None and c.cost_usd is not None:
            s.cost_usd += c.cost_usd
        else:
            s.cost_usd = None
    rank = {n: i for i, n in enumerate(order)}
    return [out[n] for n in sorted(out, key=lambda n: (rank.get(n, len(rank)), n))]


def _number_of(text: str) -> float | None:
    if text in ("true", "false") or not text:
        return None
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


@dataclass
class Charts:
    """The run's charts, each an inline SVG."""

    pass_rate: Markup | None
    distributions: list[tuple[str, Markup]]
    cost: Markup | None
    latency: Markup | None


def charts(summaries: Sequence[ScorerSummary]) -> Charts:
    """Pass rate per judge, a distribution per numeric or categorical scorer, cost and latency per judge."""
    passing = [s for s in summaries if s.kind == "pass"]
    pass_rate = None
    if passing:
        items = [(s.name, s.pass_rate or 0.0, f"{100 * (s.pass_rate or 0):.0f}% of {s.passed + s.failed}")
                 for s in passing]
        colors = [_charts.PASS if (s.pass_rate or 0) >= 0.5 else _charts.FAIL for s in passing]
        pass_rate = _charts.bar_chart(items, maximum=1.0, title="Pass rate per judge", colors=colors)
    dists: list[tuple[str, Markup]] = []
    for s in summaries:
        if s.kind == "numeric":
            dists.append((s.name, _charts.histogram(s.numbers, title=f"{s.name}: score distribution")))
        elif s.kind == "category" and len(s.categories) <= MAX_FILTER_VALUES:
            items = [(v, float(s.categories[v]), str(s.categories[v])) for v in s.values]
            dists.append((s.name, _charts.bar_chart(items, title=f"{s.name}: values")))
    judged = [s for s in summaries if s.latencies_ms]
    cost = latency = None
    if judged:
        known = [s for s in judged if s.cost_usd is not None]
        if known:
            cost = _charts.bar_chart([(s.name, s.cost_usd or 0.0, usd(s.cost_usd)) for s in known],
                                     title="Cost per judge (USD)")
        latency = _charts.bar_chart(
            [(s.name, percentile(s.latencies_ms, 0.95),
              f"p50 {ms(percentile(s.latencies_ms, 0.5))} · p95 {ms(percentile(s.latencies_ms, 0.95))}")
             for s in judged], title="Judge latency (bar: p95, ms)")
    return Charts(pass_rate, dists, cost, latency)


@dataclass
class Judge:
    """A scorer of the run as its stored data shows it."""

    name: str
    kind: str
    model: str | None
    instructions: str | None


def judges_of(run: Run) -> list[Judge]:
    out = []
    for d in run.scorers:
        if not isinstance(d, dict):
            continue
        instructions = d.get("instructions")
        out.append(Judge(name=str(d.get("name", "?")), kind=str(d.get("kind", "")),
                         model=str(d["model"]) if d.get("model") else None,
                         instructions=str(instructions) if instructions else None))
    return out


def report_script() -> str:
    return (resources.files("jurist.ui") / "templates" / "report" / "filter.js").read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script and no other."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render_report(store: Store, run_id: str) -> str:
    """The run ``run_id`` of ``store`` as one HTML document that needs nothing else.

    Raises :class:`jurist.errors.NotFoundError` for an unknown run id.
    """
    run = store.get_run(run_id)
    try:
        experiment = store.get_experiment(run.experiment_id).name
    except Exception:  # a run whose experiment cannot be read still gets its report
        experiment = run.experiment_id
    rows = [row_view(r) for r in store.load_rows(run_id)]
    summaries = summarize(rows)
    script = report_script()
    from jurist import __version__

    return environment().get_template("report/report.html").render(
        run=run, experiment=experiment, rows=rows, summaries=summaries, charts=charts(summaries),
        judges=judges_of(run), duration=duration(run), script=Markup(script), script_hash=Markup(script_hash(script)),
        filters=[s for s in summaries if 0 < len(s.categories) <= MAX_FILTER_VALUES],
        params=[(k, value_text(v)) for k, v in sorted(run.params.items())],
        metrics=sorted(run.metrics.items()), version=__version__,
        generated=datetime.now(tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
