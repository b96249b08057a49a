"""The Judges tab: the registered judges, the judge builder (new, or a new version of one), a judge's page
with its versions, and the diff of two versions' instructions."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking._entities import Experiment, JudgeVersion
from jurist.ui import _judge_form as jf
from jurist.ui import _running
from jurist.ui._context import UI, form_data, page_session, post_session
from jurist.ui._experiments import experiment_or_none, missing_experiment
from jurist.ui._traces import trace_page

#: Traces offered for a test run in the builder (the newest; a filter narrows them).
TEST_TRACES = 20


def model_options(ui: UI) -> list[tuple[str, str]]:
    """The builder's model dropdown: the gateway's endpoints, the embedded local model, a typed URI."""
    out = [(f"gateway:/{name}", f"Gateway endpoint: {name}") for name in _running.endpoints(ui)]
    out.append((jf.LOCAL_MODEL, "Embedded local model (local:/)"))
    out.append(("typed", "Type a model URI…"))
    return out


def _scheduled(ui: UI, experiment_id: str, name: str | None = None) -> list[Any]:
    return [m for m in ui.monitors.values()
            if m.experiment_id == experiment_id and (name is None or m.judge_name == name)]


def diff_lines(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as ``(kind, line)``, kind one of add, del, hunk, ctx."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label, lineterm=""):
        if line.startswith(("+++", "---", "@@")):
            out.append(("hunk", line))
        elif line.startswith("+"):
            out.append(("add", line))
        elif line.startswith("-"):
            out.append(("del", line))
        else:
            out.append(("ctx", line))
    return out


def field_changes(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    keys = ("model", "feedback_value_type", "description", "inference_params")
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def router(ui: UI) -> APIRouter:
    r = APIRouter()
    page = [Depends(page_session(ui))]
    post = [Depends(post_session(ui))]

    def builder(request: Request, experiment: Experiment, form: jf.JudgeForm, *, editing: JudgeVersion | None,
                errors: list[str] | None = None, status_code: int = 200, filter: str = "") -> Response:
        error = ""
        try:
            traces = trace_page(ui, experiment.experiment_id, filter.strip() or None, 0, TEST_TRACES)
        except ConfigError as e:
            traces, error = [], str(e)
        options = model_options(ui)
        if form.model_choice not in {v for v, _ in options}:
            form.model_uri, form.model_choice = form.model or form.model_uri, "typed" if form.model else ""
        if not form.model_choice:
            form.model_choice = options[0][0]
        return ui.page(request, "judge_form.html", status_code=status_code, experiment=experiment,
                       active_tab="judges", form=form, editing=editing, errors=errors or [],
                       templates=jf.templates(), output_types=jf.OUTPUT_TYPES, models=options,
                       variables=jf.TEMPLATE_VARIABLES, traces=traces, filter=filter, filter_error=error)

    @r.get("/experiments/{experiment_id}/judges", dependencies=page)
    def judges(request: Request, experiment_id: str, note: str = "", problem: str = "") -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        found = sorted(ui.store.search_judges(), key=lambda j: j.name.lower())
        rows = [(j, _running.runnable(ui, str(j.definition.get("model") or ""))) for j in found]
        return ui.page(request, "judges.html", experiment=experiment, active_tab="judges", rows=rows,
                       schedules=_scheduled(ui, experiment_id), note=note, problem=problem)

    @r.get("/experiments/{experiment_id}/judges/new", dependencies=page)
    def new_judge(request: Request, experiment_id: str, template: str = "", filter: str = "") -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        form = jf.JudgeForm()
        if template:
            try:
                t = jf.template(template)
            except ConfigError as e:
                return ui.error_page(request, 404, "No such template", str(e))
            form = jf.JudgeForm(name=t["name"], instructions=t["instructions"], output_type=t["output_type"],
                                categories=t["categories"], scope=t["scope"], template=template)
        return builder(request, experiment, form, editing=None, filter=filter)

    @r.get("/experiments/{experiment_id}/judges/{name}/edit", dependencies=page)
    def edit_judge(request: Request, experiment_id: str, name: str, filter: str = "") -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        try:
            latest = ui.store.get_judge(name)
        except NotFoundError as e:
            return ui.error_page(request, 404, "No such judge", str(e))
        if latest.definition.get("kind", "InstructionsJudge") not in ("InstructionsJudge", "make_judge"):
            return ui.error_page(request, 400, "Not editable here",
                                 f"{name!r} is a {latest.definition.get('kind')} judge, made in code; the builder "
                                 "edits judges made from instructions.")
        return builder(request, experiment, jf.form_of(latest.definition), editing=latest, filter=filter)

    @r.post("/experiments/{experiment_id}/judges/save", dependencies=post)
    async def save_judge(request: Request, experiment_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        fields = await form_data(request)
        form = jf.JudgeForm.from_fields(fields)
        checked = jf.check(form)
        editing = None
        if fields.get("editing"):
            try:
                editing = ui.store.get_judge(fields["editing"])
            except NotFoundError:
                editing = None
        if editing is not None and form.name.strip() != editing.name:
            checked.errors.append(f"A new version keeps the judge's name ({editing.name!r}); to make another "
                                  "judge, start from New judge.")
        if editing is None and checked.definition is not None:
            try:
                taken = ui.store.get_judge(form.name.strip())
            except NotFoundError:
                taken = None
            if taken is not None:
                checked.errors.append(f"A judge named {taken.name!r} exists (version {taken.version}); open it "
                                      "and press Edit to save a new version, or pick another name.")
        if checked.errors or checked.definition is None:
            return builder(request, experiment, form, editing=editing, errors=checked.errors, status_code=400)
        base = f"/experiments/{experiment_id}/judges/{checked.definition['name']}"
        if editing is not None and editing.definition == checked.definition:
            return RedirectResponse(f"{base}?unchanged={editing.version}", status_code=303)
        saved = ui.store.register_judge(checked.definition)
        return RedirectResponse(f"{base}?saved={saved.version}", status_code=303)

    @r.get("/experiments/{experiment_id}/judges/{name}", dependencies=page)
    def judge_page(request: Request, experiment_id: str, name: str, version: int | None = None,
                   saved: int | None = None, unchanged: int | None = None, note: str = "",
                   problem: str = "") -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        try:
            versions = sorted(ui.store.list_judge_versions(name), key=lambda v: v.version, reverse=True)
            shown = ui.store.get_judge(name, version)
        except NotFoundError as e:
            return ui.error_page(request, 404, "No such judge", str(e))
        runs, why = _running.runnable(ui, str(shown.definition.get("model") or ""))
        jobs = [j for j in ui.jobs.values() if j.judge == name and j.experiment_id == experiment_id]
        return ui.page(request, "judge.html", experiment=experiment, active_tab="judges", judge=shown,
                       versions=versions, runs=runs, why=why, saved=saved, unchanged=unchanged,
                       schedules=_scheduled(ui, experiment_id, name), jobs=jobs[-5:],
                       form=jf.form_of(shown.definition), note=note, problem=problem)

    @r.get("/experiments/{experiment_id}/judges/{name}/diff", dependencies=page)
    def judge_diff(request: Request, experiment_id: str, name: str, a: int, b: int) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        try:
            old, new = ui.store.get_judge(name, a), ui.store.get_judge(name, b)
        except NotFoundError as e:
            return ui.error_page(request, 404, "No such version", str(e))
        lines = diff_lines(str(old.definition.get("instructions") or ""), str(new.definition.get("instructions") or ""),
                           f"version {a}", f"version {b}")
        return ui.page(request, "judge_diff.html", experiment=experiment, active_tab="judges", name=name, old=old,
                       new=new, lines=lines, changes=field_changes(old.definition, new.definition))

    return r
