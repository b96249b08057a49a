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

from jurist.entities import AssessmentError, Feedback
from jurist.errors import ConfigError, NotFoundError
from jurist.evaluation import EvaluationComparison, compare_evaluations
from jurist.evaluation._result import EvaluationResult, RowResult
from jurist.tracking import Run
from jurist.tracking._entities import Experiment
from jurist.tracking._run_pages import (
    RowFilter,
    ValueCount,
    count_rows,
    row_ids,
    row_page,
    rows_at,
    value_counts,
    verdicts,
)
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


def choices(counts: list[ValueCount]) -> list[Choice]:
    """The values offered by the filter: each name's distinct values (those with few enough of them)."""
    found = [c for c in counts if not c.failed and c.value is not None]
    per_name: dict[str, int] = {}
    merged: dict[tuple[str, str], int] = {}
    for c in found:
        k = (c.name, c.value or "")
        if k not in merged:
            per_name[c.name] = per_name.get(c.name, 0) + 1
        merged[k] = merged.get(k, 0) + c.count
    return [Choice(n, v, _report.value_text(json.loads(v)), merged[(n, v)])
            for (n, v) in sorted(merged, key=lambda k: (k[0], -merged[k], k[1]))
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


@dataclass
class Pair:
    """One row in both runs: its data and each scorer's cell on each side."""

    key: str
    candidate: _report.RowView
    baseline: _report.RowView
    names: list[str]


@dataclass
class Side:
    """One run as the comparison reads it: each row's id and each scorer's verdict, without the rows' data."""

    run: Run
    ids: dict[int, Any]
    #: row index → feedback name → (value, error code), the first feedback of each name.
    verdicts: dict[int, dict[str, tuple[Any, str | None]]]

    def result(self) -> EvaluationResult:
        """The run as an :class:`EvaluationResult`, so that the comparison reads this server's store."""
        rows = [RowResult(index=i, id=self.ids.get(i), feedbacks=[
            Feedback(name=n, value=None if err else v, error=AssessmentError(err) if err else None)
            for n, (v, err) in self.verdicts.get(i, {}).items()]) for i in sorted(self.ids)]
        return EvaluationResult(rows=rows, scorer_metrics={}, duration_s=0.0, run_id=self.run.run_id)

    def text(self, index: int, name: str) -> str:
        v = self.verdicts.get(index, {}).get(name)
        return "" if v is None else "error" if v[1] else _report.value_text(v[0])


def side_of(ui: UI, run: Run) -> Side:
    out: dict[int, dict[str, tuple[Any, str | None]]] = {}
    for x in verdicts(ui.store, run.run_id):
        out.setdefault(x.row_index, {}).setdefault(x.name, (x.value, x.error_code))
    return Side(run, row_ids(ui.store, run.run_id), out)


def matched(a: Side, b: Side) -> list[tuple[str, int, int]]:
    """(key, row index in a, row index in b) of the rows in both runs, matched as the comparison matches them:
    by row id when both runs have ids, else by position."""
    ids = all(v is not None for v in a.ids.values()) and all(v is not None for v in b.ids.values())

    def key(side: Side, i: int) -> str:
        return json.dumps(side.ids[i], default=str) if ids else str(i)

    base = {key(b, i): i for i in b.ids}
    return [(k, i, base[k]) for i in sorted(a.ids) for k in (key(a, i),) if k in base]


def router(ui: UI) -> APIRouter:
    r = APIRouter(dependencies=[Depends(page_session(ui))])
    # A finished run's summary (verdict counts, calls) and filter values, kept for the next page or filter;
    # a run that changes (resumed, still running) has another key, or none.
    summaries_kept: dict[tuple[Any, ...], tuple[list[_report.ScorerSummary], list[Choice]]] = {}
    compared: dict[tuple[Any, ...], EvaluationComparison] = {}

    def summarised(run: Run) -> tuple[list[_report.ScorerSummary], list[Choice]]:
        key = (run.run_id, run.status.value, run.end_time_ms, run.row_count, run.judge_calls)
        kept = summaries_kept.get(key) if run.status.value != "RUNNING" else None
        if kept is not None:
            return kept
        counts, calls = value_counts(ui.store, run.run_id)
        out = (_report.summarize_counts(counts, calls, [j.name for j in _report.judges_of(run)]), choices(counts))
        if run.status.value != "RUNNING":
            if len(summaries_kept) >= 32:
                summaries_kept.pop(next(iter(summaries_kept)))
            summaries_kept[key] = out
        return out

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
        sa, sb = side_of(ui, a), side_of(ui, b)
        key = (a.run_id, a.status.value, a.end_time_ms, a.judge_calls, b.run_id, b.status.value, b.end_time_ms,
               b.judge_calls)
        error, cmp = "", compared.get(key)
        if cmp is None:
            try:
                cmp = compare_evaluations(sa.result(), sb.result())
            except ConfigError as e:
                error = str(e)
            if cmp is not None and "RUNNING" not in (a.status.value, b.status.value):
                if len(compared) >= 16:
                    compared.pop(next(iter(compared)))
                compared[key] = cmp
        both = matched(sa, sb)
        names = list(dict.fromkeys(n for v in (*sa.verdicts.values(), *sb.verdicts.values()) for n in v))
        shown = both if all_rows else [m for m in both
                                       if any(sa.text(m[1], n) != sb.text(m[2], n) for n in names)]
        page = max(1, page)
        start = (page - 1) * PAGE_SIZE
        here = shown[start:start + PAGE_SIZE]
        rows_a = {r.row_index: _report.row_view(r) for r in rows_at(ui.store, a.run_id, [m[1] for m in here])}
        rows_b = {r.row_index: _report.row_view(r) for r in rows_at(ui.store, b.run_id, [m[2] for m in here])}
        pairs = [Pair(k, rows_a[i], rows_b[j], list(dict.fromkeys([*rows_a[i].cells, *rows_b[j].cells])))
                 for k, i, j in here if i in rows_a and j in rows_b]
        return ui.page(request, "evaluations/compare.html", experiment=experiment, active_tab="evaluations",
                       a=a, b=b, cmp=cmp, error=error, pairs=pairs, total=len(shown), matched=len(both), page=page,
                       more=start + PAGE_SIZE < len(shown), all_rows=all_rows)

    @r.get("/experiments/{experiment_id}/evaluations/{run_id}")
    def run(request: Request, experiment_id: str, run_id: str, v: str = "", errors: int = 0,
            page: int = 1) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        found = run_or_none(experiment, run_id)
        if found is None:
            return missing_run(request, run_id)
        summaries, offered = summarised(found)
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
