"""``/`` and ``/experiments``: the list of experiments, and an experiment's page (its Traces tab first)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jurist.errors import NotFoundError
from jurist.tracking._entities import Experiment
from jurist.ui._context import UI, page_session

#: The tabs of an experiment's page: (key, label, path under /experiments/{id}).
TABS = (("traces", "Traces", "traces"), ("evaluations", "Evaluations", "evaluations"),
        ("judges", "Judges", "judges"), ("labels", "Labels", "labels"))


def experiment_or_none(ui: UI, experiment_id: str) -> Experiment | None:
    try:
        return ui.store.get_experiment(experiment_id)
    except NotFoundError:
        return None


def missing_experiment(ui: UI, request: Request, experiment_id: str) -> Response:
    return ui.error_page(request, 404, "No such experiment",
                         f"There is no experiment with id {experiment_id!r} in this server's store. "
                         "Pick one from the list of experiments.")


def router(ui: UI) -> APIRouter:
    r = APIRouter(dependencies=[Depends(page_session(ui))])

    @r.get("/")
    def home() -> Response:
        return RedirectResponse("/experiments", status_code=303)

    @r.get("/experiments")
    def experiments(request: Request) -> Response:
        found = ui.store.search_experiments()
        count = getattr(ui.store, "count_traces", None)
        rows = [(e, count([e.experiment_id]) if count else None) for e in found]
        return ui.page(request, "experiments.html", rows=rows)

    @r.get("/experiments/{experiment_id}")
    def experiment(request: Request, experiment_id: str) -> Response:
        if experiment_or_none(ui, experiment_id) is None:
            return missing_experiment(ui, request, experiment_id)
        return RedirectResponse(f"/experiments/{experiment_id}/traces", status_code=303)

    return r
