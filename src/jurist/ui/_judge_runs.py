"""The builder's JSON endpoints and the actions on judges: validate instructions as they are typed, read a
template, test a judge on one trace, run a saved judge over the experiment, schedule it and stop schedules."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError, JuristError, NotFoundError
from jurist.tracking._entities import assessment_to_dict
from jurist.ui import _judge_form as jf
from jurist.ui import _running
from jurist.ui._context import UI, form_data, json_response, page_session, post_session
from jurist.ui._experiments import experiment_or_none


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ConfigError("send a JSON object")
    return body


def _flash(url: str, key: str, message: str) -> str:
    from urllib.parse import quote

    return f"{url}?{key}={quote(message)}"


def router(ui: UI) -> APIRouter:
    r = APIRouter()
    page = [Depends(page_session(ui))]
    post = [Depends(post_session(ui))]

    @r.post("/judges/validate", dependencies=post)
    async def validate(request: Request) -> Response:
        try:
            form = jf.JudgeForm.from_fields(await _json(request))
        except ConfigError as e:
            return json_response({"errors": [str(e)]}, 400)
        checked = jf.check(form)
        body: dict[str, Any] = {"errors": checked.errors, "variables": checked.variables,
                                "warnings": checked.warnings + _running.model_warnings(ui, form.model)}
        if form.model and ":/" in form.model:
            body["runs_in_browser"], body["why"] = _running.runnable(ui, form.model)
        return json_response(body)

    @r.get("/judges/templates/{kind}", dependencies=page)
    def template(kind: str) -> Response:
        try:
            return json_response(jf.template(kind))
        except ConfigError as e:
            return json_response({"error": str(e)}, 404)

    @r.post("/experiments/{experiment_id}/judges/test", dependencies=post)
    async def test(request: Request, experiment_id: str) -> Response:
        """The judge in the builder's form, on one trace: its feedback, not logged (a test)."""
        try:
            body = await _json(request)
            checked = jf.check(jf.JudgeForm.from_fields(body))
            if checked.definition is None:
                return json_response({"error": " ".join(checked.errors)}, 400)
            ok, why = _running.runnable(ui, str(checked.definition["model"]))
            if not ok:
                return json_response({"error": f"This judge {why}"}, 400)
            trace = await run_in_threadpool(ui.store.get_trace, str(body.get("trace_id") or ""))
            if trace.experiment_id != experiment_id:
                return json_response({"error": "that trace is not in this experiment"}, 404)
            judge = _running.build_judge(checked.definition, _running.own_url(request))
        except NotFoundError as e:
            return json_response({"error": str(e)}, 404)
        except JuristError as e:
            return json_response({"error": str(e)}, 400)
        feedbacks = await asyncio.wrap_future(RUNTIME.submit(_running.judge_trace(ui.store, judge, trace)))
        return json_response({"trace_id": trace.trace_id, "feedback": [assessment_to_dict(f) for f in feedbacks]})

    @r.post("/experiments/{experiment_id}/judges/{name}/run", dependencies=post)
    async def run(request: Request, experiment_id: str, name: str) -> Response:
        """Run a saved version over the experiment's traces (those matching the filter); poll its status."""
        try:
            body = await _json(request)
            try:
                version = int(body["version"]) if body.get("version") else None
                limit = int(body.get("limit") or _running.MAX_RUN)
            except (TypeError, ValueError):
                raise ConfigError("the version and the number of traces are whole numbers") from None
            if not 1 <= limit <= _running.MAX_RUN:
                raise ConfigError(f"a run judges from 1 to {_running.MAX_RUN} traces")
            registered = await run_in_threadpool(ui.store.get_judge, name, version)
            ok, why = _running.runnable(ui, str(registered.definition.get("model") or ""))
            if not ok:
                raise ConfigError(f"This judge {why}")
            job = await run_in_threadpool(_running.start_job, ui, registered, experiment_id,
                                          str(body.get("filter") or "").strip() or None, limit, _running.own_url(request))
        except NotFoundError as e:
            return json_response({"error": str(e)}, 404)
        except JuristError as e:
            return json_response({"error": str(e)}, 400)
        url = f"/experiments/{experiment_id}/jobs/{job.job_id}"
        return json_response({**job.to_dict(), "status_url": url, "stop_url": f"{url}/stop"})

    @r.get("/experiments/{experiment_id}/jobs/{job_id}", dependencies=page)
    def job_status(experiment_id: str, job_id: str) -> Response:
        job = ui.jobs.get(job_id)
        if job is None or job.experiment_id != experiment_id:
            return json_response({"error": f"no run with id {job_id!r} (runs are kept until the server restarts)"},
                                 404)
        return json_response(job.to_dict())

    @r.post("/experiments/{experiment_id}/jobs/{job_id}/stop", dependencies=post)
    def stop_job(experiment_id: str, job_id: str) -> Response:
        """Stop a run: judgments in flight finish and are logged; the rest are not begun."""
        job = ui.jobs.get(job_id)
        if job is None or job.experiment_id != experiment_id:
            return json_response({"error": f"no run with id {job_id!r}"}, 404)
        job.stop.set()
        return json_response(job.to_dict())

    @r.post("/experiments/{experiment_id}/judges/{name}/schedule", dependencies=post)
    async def schedule(request: Request, experiment_id: str, name: str) -> Response:
        fields = await form_data(request)
        back = f"/experiments/{experiment_id}/judges/{name}"
        if experiment_or_none(ui, experiment_id) is None:
            return RedirectResponse("/experiments", status_code=303)
        try:
            rate = float(fields.get("sample_rate") or "1")
            version = int(fields["version"]) if fields.get("version") else None
        except ValueError:
            return RedirectResponse(_flash(back, "problem", "The sample rate is a number from 0 to 1."), 303)
        try:
            await run_in_threadpool(_running.start_schedule, ui, name, version, experiment_id, rate,
                                    (fields.get("filter") or "").strip() or None, _running.own_url(request))
        except JuristError as e:
            return RedirectResponse(_flash(back, "problem", str(e)), 303)
        return RedirectResponse(_flash(back, "note", "Scheduled: new traces are judged as they arrive."), 303)

    @r.post("/experiments/{experiment_id}/schedules/{monitor_id}/stop", dependencies=post)
    async def stop_schedule(request: Request, experiment_id: str, monitor_id: str) -> Response:
        fields = await form_data(request)
        back = fields.get("back") or f"/experiments/{experiment_id}/judges"
        if not back.startswith("/") or back.startswith("//"):
            back = f"/experiments/{experiment_id}/judges"
        monitor = ui.monitors.get(monitor_id)
        if monitor is None or monitor.experiment_id != experiment_id:
            return RedirectResponse(_flash(back, "problem", "That schedule is no longer running."), 303)
        ui.monitors.pop(monitor_id, None)
        await run_in_threadpool(monitor.stop)
        return RedirectResponse(_flash(back, "note", f"Stopped the schedule of {monitor.judge_name}."), 303)

    return r
