"""The Labels tab: a queue where a person gives each trace a verdict and a reason for one judge name, stored as
HUMAN feedback on the trace; the judge's agreement with those labels so far; and "Align", which aligns the
registered judge on them (the memory optimizer) and saves the aligned judge as its next version.

Keys on the queue page: ``y`` / ``n`` record yes / no (with the reason typed so far) and go on; ``j`` or →
skips to the next trace, ``k`` or ← shows the one before (labelled or not, to change a label); ``Esc``
leaves the reason box so the keys work again.
"""

from __future__ import annotations

import threading
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError, JuristError, NotFoundError
from jurist.evaluation._labelled import FEW_EXAMPLES, LabelledExample, check_examples, normalise_label
from jurist.evaluation._meta import AgreementReport, agreement
from jurist.tracking._entities import Experiment, StoredTrace, judge_definition
from jurist.tracking._run_pages import NamedFeedback, feedback_stamp, named_feedback
from jurist.ui._context import UI, form_data, page_session, post_session
from jurist.ui._experiments import experiment_or_none, missing_experiment

#: Traces looked through for the next one to label, from the queue's position on.
SCAN_LIMIT = 10_000
_CHUNK = 200
#: Labelled traces read for the agreement figures and for alignment.
MAX_LABELLED = 5_000
MAX_NAME = 256
MAX_RATIONALE = 20_000


def _latest(t: StoredTrace, name: str, source: str) -> Feedback | None:
    found = [f for f in t.feedbacks if str(f.name) == name and f.source.source_type.value == source]
    found.sort(key=lambda f: f.create_time_ms)
    return found[-1] if found else None


def options_of(judge: Any) -> list[str] | None:
    """The verdicts a person picks from for this judge: its categories, yes/no for yes/no and bool judges;
    None for numbers and free text (typed in)."""
    if judge is None:
        return ["yes", "no"]
    t = getattr(judge, "feedback_value_type", None)
    if t is bool:
        return ["yes", "no"]
    if typing.get_origin(t) is typing.Literal:
        return [str(a) for a in typing.get_args(t)]
    return None


@dataclass
class Agreement:
    """The judge's verdicts against the people's on the traces both judged."""

    labelled: int
    classes: dict[str, int]
    report: AgreementReport
    #: Labelled traces the judge has not judged yet (no feedback of its own, or only a failed one).
    unjudged: int
    ready: bool
    why_not: str


def latest_by_trace(found: list[NamedFeedback], source: str) -> dict[str, NamedFeedback]:
    """The newest feedback from ``source`` (``HUMAN``, ``LLM_JUDGE``) on each trace; a person's failed or empty
    feedback is no label."""
    out: dict[str, NamedFeedback] = {}
    for f in found:  # oldest first: the newest wins
        if f.source_type == source and (source != "HUMAN" or (f.error_code is None and f.value is not None)):
            out[f.trace_id] = f
    return out


def measure(found: list[NamedFeedback]) -> Agreement:
    """The judge's agreement with people over the traces both judged, and whether alignment can start."""
    people, judge = latest_by_trace(found, "HUMAN"), latest_by_trace(found, "LLM_JUDGE")
    human: list[str] = []
    judged: list[str] = []
    classes: dict[str, int] = {}
    unjudged = 0
    for tid, h in people.items():
        label = str(normalise_label(h.value))
        classes[label] = classes.get(label, 0) + 1
        j = judge.get(tid)
        if j is None or j.error_code is not None or j.value is None:
            unjudged += 1
            continue
        human.append(label)
        judged.append(str(normalise_label(j.value)))
    why = ""
    try:
        check_examples([LabelledExample({}, normalise_label(h.value)) for h in people.values()])
    except ConfigError as e:
        why = str(e)
    return Agreement(len(people), classes, agreement(human, judged), unjudged, not why, why)


@dataclass
class AlignJob:
    """An alignment running in the background, then its outcome."""

    job_id: str
    experiment_id: str
    judge: str
    phase: str = "starting"
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str = ""
    version: int | None = None
    report: Any = None
    steps: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str]]:
        """(figure, before, after) on the held-out labels, once it has finished."""
        rep = self.report
        if rep is None:
            return []
        return [(n, str(b), str(a)) for (n, b), (_, a) in zip(rep.before.rows(), rep.after.rows(), strict=False)]

    def progress(self, what: str, done: int, total: int) -> None:
        if what != self.phase:
            self.steps.append(what)
        self.phase, self.done, self.total = what, done, total


def _restore_base_url(d: Any, injected: str | None, original: Any) -> Any:
    """The definition with the server-local gateway URL the judge ran with put back as it was saved."""
    if isinstance(d, dict):
        out = {k: _restore_base_url(v, injected, original) for k, v in d.items()}
        if injected is not None and out.get("base_url") == injected:
            out["base_url"] = original
        return out
    if isinstance(d, list):
        return [_restore_base_url(v, injected, original) for v in d]
    return d


def run_alignment(ui: UI, job: AlignJob, definition: dict[str, Any], trace_ids: list[str],
                  server_url: str) -> None:
    """Align the judge of ``definition`` on the labelled traces and register the result (run in a thread)."""
    from jurist.align import MemoryOptimizer, align_judge
    from jurist.ui._running import build_judge

    try:
        traces: list[StoredTrace] = []
        for i, tid in enumerate(trace_ids):
            job.progress("reading the labelled traces", i, len(trace_ids))
            traces.append(ui.store.get_trace(tid))
        judge = build_judge(definition, server_url)
        injected = getattr(judge, "base_url", None) if getattr(judge, "base_url", None) != definition.get(
            "base_url") else None
        aligned = align_judge(judge, traces, MemoryOptimizer(), on_progress=job.progress)
        data = _restore_base_url(judge_definition(aligned), injected, definition.get("base_url"))
        job.version = ui.store.register_judge(data).version
        job.report = aligned.alignment
    except (JuristError, ValueError) as e:
        job.error = str(e)
    except Exception as e:  # a bug must still end the job with a message, never leave it "running"
        job.error = f"unexpected {type(e).__name__}: {e}"
    finally:
        job.finished = True


def router(ui: UI) -> APIRouter:
    r = APIRouter()
    page = [Depends(page_session(ui))]
    post = [Depends(post_session(ui))]
    jobs: dict[str, AlignJob] = {}  # this server's alignments, in memory

    def registered(name: str) -> Any:
        try:
            return ui.store.get_judge(name)
        except NotFoundError:
            return None

    measured_cache: dict[tuple[str, str], tuple[tuple[int, int], Agreement]] = {}

    def feedback_of(experiment_id: str, name: str) -> list[NamedFeedback]:
        return named_feedback(ui.store, experiment_id, name, labelled_only=True)

    def measured(experiment_id: str, name: str) -> Agreement:
        """The agreement figures, computed again only once feedback of that name was added."""
        stamp = feedback_stamp(ui.store, experiment_id, name)
        kept = measured_cache.get((experiment_id, name))
        if kept is not None and kept[0] == stamp:
            return kept[1]
        result = measure(feedback_of(experiment_id, name))
        if len(measured_cache) >= 64:
            measured_cache.pop(next(iter(measured_cache)))
        measured_cache[(experiment_id, name)] = (stamp, result)
        return result

    def next_unlabelled(experiment_id: str, name: str, filter_string: str | None, at: int) -> tuple[Any, int]:
        """The first trace from position ``at`` on with no label of ``name`` yet, and its position."""
        from jurist.ui._traces import trace_page

        pos = at
        while pos < at + SCAN_LIMIT:
            found = trace_page(ui, experiment_id, filter_string, pos, _CHUNK)
            for i, s in enumerate(found):
                if not any(n == name and src == "HUMAN" for n, _v, src, _e in s.feedback):
                    return s, pos + i
            if len(found) < _CHUNK:
                break
            pos += _CHUNK
        return None, -1

    def at_position(experiment_id: str, filter_string: str | None, at: int) -> tuple[Any, int]:
        from jurist.ui._traces import trace_page

        found = trace_page(ui, experiment_id, filter_string, at, 1)
        return (found[0], at) if found else (None, -1)

    def queue_url(experiment_id: str, **params: Any) -> str:
        q = {k: v for k, v in params.items() if v not in (None, "")}
        return f"/experiments/{experiment_id}/labels" + (f"?{urlencode(q)}" if q else "")

    def render(request: Request, experiment: Experiment, judge: str, filter: str, at: int, by: str,
               error: str = "", status_code: int = 200, saved: str = "", exact: int = 0) -> Response:
        eid = experiment.experiment_id
        if not judge:
            names = sorted({v.name for v in ui.store.search_judges()})
            return ui.page(request, "labels/pick.html", status_code=status_code, experiment=experiment,
                           active_tab="labels", names=names, error=error)
        reg = registered(judge)
        built = _built(reg)
        filter_string = filter.strip() or None
        current, pos, trace = None, -1, None
        try:
            current, pos = (at_position(eid, filter_string, max(0, at)) if exact
                            else next_unlabelled(eid, judge, filter_string, max(0, at)))
            trace = ui.store.get_trace(current.trace_id) if current is not None else None
            agreed = measured(eid, judge)
        except ConfigError as e:
            error, agreed = error or str(e), None
        judged = _latest(trace, judge, "LLM_JUDGE") if trace is not None else None
        mine = _latest(trace, judge, "HUMAN") if trace is not None else None
        return ui.page(request, "labels/queue.html", status_code=status_code, experiment=experiment,
                       active_tab="labels", judge=judge, registered=reg, options=options_of(built), filter=filter,
                       by=by, at=pos, asked=max(0, at), current=current, trace=trace, judged=judged, mine=mine, agreement=agreed,
                       error=error, saved=saved, queue_url=lambda **p: queue_url(eid, **p),
                       running=[j for j in jobs.values() if j.experiment_id == eid and j.judge == judge][-3:])

    @r.get("/experiments/{experiment_id}/labels", dependencies=page)
    def labels(request: Request, experiment_id: str, judge: str = "", filter: str = "", at: int = 0,
               by: str = "", saved: str = "", exact: int = 0) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        return render(request, experiment, judge.strip(), filter, at, by, saved=saved, exact=exact)

    @r.post("/experiments/{experiment_id}/labels", dependencies=post)
    async def label(request: Request, experiment_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        form = await form_data(request)
        judge, trace_id = form.get("judge", "").strip(), form.get("trace_id", "").strip()
        value, rationale = form.get("value", "").strip(), form.get("rationale", "").strip()
        by, filter = form.get("by", "").strip()[:MAX_NAME], form.get("filter", "")
        at = int(form["at"]) if form.get("at", "").isdigit() else 0
        problem = ""
        if not judge or len(judge) > MAX_NAME:
            problem = f"give the judge name the labels are for (1 to {MAX_NAME} characters)"
        elif not trace_id:
            problem = "no trace to label: the form lost its trace id, reload the page"
        elif not value:
            problem = "pick a verdict (yes / no, or the judge's value) before saving the label"
        elif len(rationale) > MAX_RATIONALE:
            problem = f"the reason is longer than {MAX_RATIONALE} characters; shorten it"
        if problem:
            return render(request, experiment, judge, filter, at, by, error=problem, status_code=400)
        try:
            trace = ui.store.get_trace(trace_id)
        except NotFoundError:
            return render(request, experiment, judge, filter, at, by, status_code=404,
                          error=f"there is no trace {trace_id!r} in this server's store")
        if trace.experiment_id != experiment_id:
            return render(request, experiment, judge, filter, at, by, status_code=400,
                          error=f"trace {trace_id!r} is not in this experiment")
        parsed: Any = value
        offered = options_of(_built(registered(judge)))
        if offered is not None and value not in offered:
            return render(request, experiment, judge, filter, at, by, status_code=400,
                          error=f"{value!r} is not a verdict of {judge!r}; pick one of {', '.join(offered)}")
        if offered is None:
            try:
                parsed = float(value) if "." in value else int(value)
            except ValueError:
                parsed = value
        ui.store.log_assessment(Feedback(
            name=judge, value=parsed, rationale=rationale or None, trace_id=trace_id,
            source=AssessmentSource(AssessmentSourceType.HUMAN, by or "ui")))
        return RedirectResponse(queue_url(experiment_id, judge=judge, filter=filter, at=at, by=by, saved=trace_id),
                                status_code=303)

    @r.post("/experiments/{experiment_id}/labels/align", dependencies=post)
    async def align(request: Request, experiment_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        form = await form_data(request)
        judge, filter, by = form.get("judge", "").strip(), form.get("filter", ""), form.get("by", "")
        reg = registered(judge) if judge else None
        if reg is None:
            return render(request, experiment, judge, filter, 0, by, status_code=400,
                          error=f"Align needs a registered judge named {judge!r}: save it on the Judges tab first; "
                                "the aligned judge is saved as its next version.")
        from jurist.ui._running import runnable

        ok, why = runnable(ui, str(reg.definition.get("model") or ""))
        if not ok:
            return render(request, experiment, judge, filter, 0, by, status_code=400,
                          error=f"This judge cannot be aligned from the browser: it {why}")
        ready = measured(experiment_id, judge)
        if not ready.ready:
            return render(request, experiment, judge, filter, 0, by, status_code=400,
                          error=f"Cannot align yet: {ready.why_not}")
        labelled = list(latest_by_trace(feedback_of(experiment_id, judge), "HUMAN"))[:MAX_LABELLED]
        job = AlignJob(job_id=uuid.uuid4().hex[:16], experiment_id=experiment_id, judge=judge)
        jobs[job.job_id] = job
        server_url = f"{request.url.scheme}://{request.url.netloc}"
        threading.Thread(target=run_alignment, args=(ui, job, dict(reg.definition), labelled, server_url),
                         name=f"jurist-align-{job.job_id}", daemon=True).start()
        return RedirectResponse(f"/experiments/{experiment_id}/labels/align/{job.job_id}", status_code=303)

    @r.get("/experiments/{experiment_id}/labels/align/{job_id}", dependencies=page)
    def alignment(request: Request, experiment_id: str, job_id: str) -> Response:
        experiment = experiment_or_none(ui, experiment_id)
        if experiment is None:
            return missing_experiment(ui, request, experiment_id)
        job = jobs.get(job_id)
        if job is None or job.experiment_id != experiment_id:
            return ui.error_page(request, 404, "No such alignment",
                                 f"There is no alignment {job_id!r} on this server (alignments are kept in memory "
                                 "until the server stops).")
        return ui.page(request, "labels/align.html", experiment=experiment, active_tab="labels", job=job,
                       few=FEW_EXAMPLES)

    return r


def _built(reg: Any) -> Any:
    if reg is None:
        return None
    try:
        return reg.to_judge()
    except JuristError:
        return None
