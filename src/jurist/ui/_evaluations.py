"""The Evaluations tab: an experiment's runs; one run's charts and its rows, filtered by a scorer's value or
by failed judgments and read a page at a time, each row opening on its judged text and rationales; two runs
side by side with the paired comparison of :func:`jurist.compare_evaluations`; a run's report file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from jurist.errors import ConfigError, NotFoundError
from jurist.evaluation import compare_evaluations
from jurist.evaluation._result import EvaluationResult, RowResult
from jurist.tracking import Run, StoredRow
from jurist.tracking._entities import Experiment, dumps
from jurist.tracking._run_pages import RowFilter, count_rows, row_page, verdicts
from jurist.ui import _report
from jurist.ui._context import UI, page_session
from jurist.ui._experiments import experiment_or_none, missing_experiment

PAGE_SIZE = 25
#: Runs listed in the runs table, newest first.
MAX_RUNS = 200


@dataclass(frozen=True)
class Choice:
    """One entry of the value filter: rows whose feedback ``name`` is ``value`` (JSON as stored)."""

    name: str
    value: str
    label: str
    count: int

    @property
    def key(self) -> str:
        return f"{self.name}:{self.value}"


def choices(cells: list[_report.Cell], vs: list[Any]) -> list[Choice]:
    """The values offered by the filter: each name's distinct values (those with few enough of them)."""
    counts: dict[tuple[str, str], int] = {}
    labels: dict[tuple[str, str], str] = {}
    for c, v in zip(cells, vs, strict=True):
        if c.error is None and v is not None:
            k = (c.name, dumps(v))
            counts[k] = counts.get(k, 0) + 1
            labels[k] = c.text
    per_name: dict[str, int] = {}
    for name, _ in counts:
        per_name[name] = per_name.get(name, 0) + 1
    return [Choice(n, v, labels[(n, v)], counts[(n, v)])
            for (n, v) in sorted(counts, key=lambda k: (k[0], -counts[k], k[1]))
            if per_name[n] <= _report.MAX_FILTER_VALUES]


def parse_choice(given: str, offered: list[Choice]) -> RowFilter:
    """``name:value`` from the filter's select, matched against the names offered (a name may hold ':')."""
    if not given:
        return RowFilter()
    for c in sorted(offered, key=lambda c: -len(c.name)):
        if given.startswith(c.name + ":"):
            return RowFilter(name=c.name, value=given[len(c.name) + 1:])
    raise ConfigError(f"no value {given!r} to filter on in this run; pick one from the list")


def headline(run: Run) -> list[tuple[str, str, bool | None]]:
    """Each scorer's headline figure from the run's metrics: (name, text, passing?) — a pass rate or a mean."""
    out = []
    names = list(dict.fromkeys(k.rsplit("/", 1)[0] for k in run.metrics if "/" in k))
    for n in names:
        rate, mean, errs = (run.metrics.get(f"{n}/{k}") for k in ("pass_rate", "mean", "error_count"))
        text = f"{100 * rate:.0f}%" if rate is not None else f"mean {mean:.3g}" if mean is not None else "—"
        if errs:
            text += f" · {errs:.0f} err"
        out.append((n, text, None if rate is None else rate >= 0.5))
    return out


def _result_of(run_id: str, rows: list[StoredRow]) -> EvaluationResult:
    """A stored run as an :class:`EvaluationResult`, so the comparison reads this server's store."""
    out = [RowResult(index=r.row_index, inputs=r.data.inputs, outputs=r.data.outputs,
                     expectations=r.data.expectations, feedbacks=[f for fs in r.feedbacks.values() for f in fs[:1]],
                     id=r.data.row_id, trace_id=r.data.trace_id) for r in rows]
    return EvaluationResult(rows=out, scorer_metrics={}, duration_s=0.0, run_id=run_id)


@dataclass
class Pair:
    """One row in both runs: its data and each scorer's cell on each side."""

    key: str
    candidate: _report.RowView
    baseline: _report.RowView
    names: list[str]

    @property
    def changed(self) -> bool:
        return any(self.text(self.candidate, n) != self.text(self.baseline, n) for n in self.names)

    @staticmethod
    def text(row: _report.RowView, name: str) -> str:
        c = row.cells.get(name)
        return "" if c is None else ("error" if c.error else c.text)


def pairs_of(a: list[StoredRow], b: list[StoredRow]) -> list[Pair]:
    """Rows of ``a`` and ``b`` matched as the comparison matches them: by row id when both have ids, else by
    position."""
    def key(r: StoredRow, ids: bool) -> str:
        return json.dumps(r.data.row_id, default=str) if ids else str(r.row_index)

    ids = all(r.data.row_id is not None for r in a) and all(r.data.row_id is not None for r in b)
    base = {key(r, ids): _report.row_view(r) for r in b}
    out = []
    for r in a:
        k = key(r, ids)
        if k in base:
            cv, bv = _report.row_view(r), base[k]
            names = list(dict.fromkeys([*cv.cells, *bv.cells]))
            out.append(Pair(k, cv, bv, names))
    return out


def router(ui: UI) -> APIRouter:
    r = APIRouter(dependencies=[Depends(page_session(ui))])

    def run_or_none(experiment: Experiment, run_id: str) -> Run | None:
        try:
            run = ui.store.get_run(run_id)
        except NotFoundError:
            return None
        return run if run.experiment_id == experiment.experiment_id else None

    def missing_run(request: Request, run_id: str) -> Response:
        return ui.error_page(request, 404, "No such run",
                             f"There is no evaluation run with id {run_id!r} in this experiment. "
                             "Pick one from its Evaluations tab.")

    @r.get("/experiments/{experiment_id}/evaluations")
    def runs(request: Request, experiment_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        found = ui.store.search_runs([experiment_id], max_results=MAX_RUNS)
        found.sort(key=lambda x: x.start_time_ms, reverse=True)
        return ui.page(request, "evaluations/runs.html", experiment=experiment, active_tab="evaluations",
                       runs=[(x, headline(x)) for x in found], limit=MAX_RUNS, error="")

    @r.get("/experiments/{experiment_id}/evaluations/compare")
    def compare(request: Request, experiment_id: str, candidate: str = "", baseline: str = "", page: int = 1,
                all_rows: int = 0) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        if not candidate or not baseline or candidate == baseline:
            found = ui.store.search_runs([experiment_id], max_results=MAX_RUNS)
            return ui.page(request, "evaluations/runs.html", experiment=experiment, active_tab="evaluations",
                           runs=[(x, headline(x)) for x in found], limit=MAX_RUNS, status_code=400,
                           error="Pick two different runs to compare: one as the candidate (A), one as the "
                                 "baseline (B).")
        a, b = run_or_none(experiment, candidate), run_or_none(experiment, baseline)
        if a is None or b is None:
            return missing_run(request, candidate if a is None else baseline)
        rows_a, rows_b = ui.store.load_rows(a.run_id), ui.store.load_rows(b.run_id)
        error, cmp = "", None
        try:
            cmp = compare_evaluations(_result_of(a.run_id, rows_a), _result_of(b.run_id, rows_b))
        except ConfigError as e:
            error = str(e)
        pairs = pairs_of(rows_a, rows_b)
        shown = pairs if all_rows else [p for p in pairs if p.changed]
        page = max(1, page)
        start = (page - 1) * PAGE_SIZE
        return ui.page(request, "evaluations/compare.html", experiment=experiment, active_tab="evaluations",
                       a=a, b=b, cmp=cmp, error=error, pairs=shown[start:start + PAGE_SIZE], total=len(shown),
                       matched=len(pairs), page=page, more=start + PAGE_SIZE < len(shown), all_rows=all_rows)

    @r.get("/experiments/{experiment_id}/evaluations/{run_id}")
    def run(request: Request, experiment_id: str, run_id: str, v: str = "", errors: int = 0,
            page: int = 1) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        found = run_or_none(experiment, run_id)
        if found is None:
            return missing_run(request, run_id)
        vs = verdicts(ui.store, run_id)
        cells = [_report.make_cell(x.name, x.value, x.error_code, x.source_type, x.metadata) for x in vs]
        summaries = _report.summarize_cells(cells)
        offered = choices(cells, [x.value for x in vs])
        error, rows, total = "", [], 0
        page = max(1, page)
        try:
            where = parse_choice(v, offered)
            where = RowFilter(where.name, where.value, bool(errors))
            rows = [_report.row_view(x) for x in row_page(ui.store, run_id, where, offset=(page - 1) * PAGE_SIZE,
                                                          limit=PAGE_SIZE + 1)]
            total = count_rows(ui.store, run_id, where)
        except ConfigError as e:
            error = str(e)
        return ui.page(request, "evaluations/run.html", experiment=experiment, active_tab="evaluations",
                       run=found, summaries=summaries, charts=_report.charts(summaries), choices=offered,
                       judges=_report.judges_of(found), duration=_report.duration(found), v=v, errors=errors,
                       rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page, total=total, error=error,
                       params=[(k, _report.value_text(x)) for k, x in sorted(found.params.items())])

    @r.get("/experiments/{experiment_id}/evaluations/{run_id}/report.html")
    def report(request: Request, experiment_id: str, run_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        if run_or_none(experiment, run_id) is None:
            return missing_run(request, run_id)
        html = _report.render_report(ui.store, run_id)
        return Response(html, media_type="text/html; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="jurist-run-{run_id[:12]}.html"',
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                       f"script-src {_report.script_hash(_report.report_script())}"})

    return r
