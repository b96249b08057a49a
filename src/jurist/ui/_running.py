"""Judging from the browser: which models may run on the server, building a judge that reaches the mounted
gateway, judging one trace (or its session), runs of a saved judge over an experiment, and schedules.

Only gateway endpoints, the embedded local model (and the offline ``fake:/`` model) run on the server: a
judge on a direct provider URI (``openai:/…``) would need that provider's key on the server, which the
server does not hold; such a judge is saved, and runs from the SDK.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from jurist._runtime import RUNTIME
from jurist.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.evaluation._runner import judge_one
from jurist.judges import judge_from_dict
from jurist.tracing._update import SESSION_KEYS
from jurist.tracking._entities import JudgeVersion, StoredTrace
from jurist.tracking._store import Store
from jurist.ui._context import UI

SDK_ONLY = ("runs from the SDK only: {model} calls the provider directly, so its API key would have to be "
            "on this server, which holds no provider keys. Run it with jurist.evaluate(...) where the key is, "
            "or route the provider through a gateway endpoint and pick that endpoint here.")
#: The most traces one run over an experiment judges.
MAX_RUN = 10_000
#: Judgments in flight at once in one run.
RUN_CONCURRENCY = 4


def endpoints(ui: UI) -> list[str]:
    """The mounted gateway's endpoint names (from its file, and from its admin API once it has started)."""
    gw = ui.gateway
    if gw is None:
        return []
    names = {e.name for e in getattr(getattr(gw, "config", None), "endpoints", None) or []}
    table = getattr(gw, "table", None)
    names.update(getattr(table, "routes", None) or {})
    return sorted(names)


def runnable(ui: UI, model: str) -> tuple[bool, str]:
    """Whether a judge on ``model`` runs from the browser, and if not, why."""
    m = model.strip()
    scheme = m.split(":/", 1)[0].lower()
    if scheme == "gateway":
        if ui.gateway is None and not os.environ.get("JURIST_GATEWAY_URL"):
            return False, ("this server has no gateway mounted (start it with --gateway-config) and "
                           "JURIST_GATEWAY_URL is not set, so gateway endpoints cannot be reached from here")
        return True, ""
    if scheme == "local":
        from jurist.local import runtime_installed

        if not runtime_installed():
            return False, "the local engine is not installed on this server: pip install 'jurist[local]'"
        return True, ""
    if scheme == "fake":
        return True, ""
    return False, SDK_ONLY.format(model=m or "this model")


def model_warnings(ui: UI, model: str) -> list[str]:
    if model.startswith("gateway:/") and ui.gateway is not None:
        name = model.split(":/", 1)[1]
        known = endpoints(ui)
        if name not in known:
            return [f"The gateway has no endpoint named {name!r}" + (f"; it has {', '.join(known)}." if known
                                                                       else " (it has none yet).")]
    return []


def own_url(request: Any) -> str:
    """This server's own address, as the socket that took ``request`` sees it (not the Host header, which
    names a proxy or a public name the server may not reach itself by)."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        return str(request.base_url)
    host, port = server
    host = "127.0.0.1" if host in ("0.0.0.0", "", None) else "[::1]" if host == "::" else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{request.scope.get('scheme') or 'http'}://{host}:{port}"


def build_judge(definition: dict[str, Any], server_url: str) -> Any:
    """The judge of ``definition``; a gateway judge is pointed at this server's own ``/gateway``."""
    data = dict(definition)
    if str(data.get("model") or "").startswith("gateway:/") and not os.environ.get("JURIST_GATEWAY_URL"):
        data["base_url"] = f"{server_url.rstrip('/')}/gateway"
    return judge_from_dict(data)


def is_session_judge(judge: Any) -> bool:
    return "conversation" in tuple(getattr(judge, "template_variables", ()) or ())


def session_of(trace: StoredTrace) -> str | None:
    return next((trace.tags[k] for k in SESSION_KEYS if trace.tags.get(k)), None)


def _error(judge: Any, code: str, message: str) -> Feedback:
    return Feedback(name=judge.name, error=AssessmentError(code, message),
                    source=AssessmentSource(AssessmentSourceType.LLM_JUDGE, str(getattr(judge, "model", ""))))


async def judge_trace(store: Store, judge: Any, trace: StoredTrace) -> list[Feedback]:
    """The judge's feedback on ``trace`` (a session judge: on the trace's whole session); never raises."""
    session = None
    if is_session_judge(judge):
        sid = session_of(trace)
        if sid is None:
            return [_error(judge, "NO_SESSION", "this trace belongs to no session (no 'mlflow.trace.session' "
                                                "tag), so a session judge has no conversation to read")]
        key = next(k for k in SESSION_KEYS if trace.tags.get(k))
        quoted = sid.replace("'", "\\'")
        session = await asyncio.to_thread(store.search_traces, [trace.experiment_id or ""],
                                          f"tags.`{key}` = '{quoted}'", 500, ["timestamp_ms ASC"])
    expectations = {e.name: e.value for e in trace.expectations} or None
    return await judge_one(judge, inputs=trace.inputs, outputs=trace.outputs, expectations=expectations,
                           trace=trace, session=session)


def test_on(store: Store, judge: Any, trace: StoredTrace) -> list[Feedback]:
    """Judge one trace on the runtime's loop (where model clients live) and wait: a test, nothing logged."""
    return RUNTIME.submit(judge_trace(store, judge, trace)).result()


# -- runs over an experiment ------------------------------------------------------------------------
@dataclass
class Job:
    """A saved judge's run over an experiment's traces: each verdict is logged to its trace."""

    job_id: str
    judge: str
    version: int
    experiment_id: str
    filter_string: str | None
    total: int = 0
    done: int = 0
    errors: int = 0
    finished: bool = False
    message: str = ""
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    stop: threading.Event = field(default_factory=threading.Event)

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "judge": self.judge, "version": self.version, "total": self.total,
                "done": self.done, "errors": self.errors, "finished": self.finished, "message": self.message,
                "filter_string": self.filter_string}


def trace_ids(store: Store, experiment_id: str, filter_string: str | None, limit: int) -> list[str]:
    """The ids of the experiment's traces that match, newest first, read a page at a time."""
    page = getattr(store, "trace_page", None)
    if page is None:
        return [t.trace_id for t in store.search_traces([experiment_id], filter_string, max_results=limit)]
    out: list[str] = []
    while len(out) < limit:
        batch = page([experiment_id], filter_string, offset=len(out), limit=min(500, limit - len(out)))
        out.extend(s.trace_id for s in batch)
        if len(batch) < 500:
            break
    return out


def start_job(ui: UI, version: JudgeVersion, experiment_id: str, filter_string: str | None, limit: int,
              server_url: str) -> Job:
    judge = build_judge(version.definition, server_url)
    trace_ids(ui.store, experiment_id, filter_string, 1)  # a bad filter fails here, with its message
    job = Job(job_id=uuid.uuid4().hex[:16], judge=version.name, version=version.version,
              experiment_id=experiment_id, filter_string=filter_string)
    ui.jobs[job.job_id] = job
    RUNTIME.submit(_run(ui.store, judge, job, limit))
    return job


async def _run(store: Store, judge: Any, job: Job, limit: int) -> None:
    try:
        ids = await asyncio.to_thread(trace_ids, store, job.experiment_id, job.filter_string, limit)
        job.total = len(ids)
        slots = asyncio.Semaphore(RUN_CONCURRENCY)
        seen_sessions: set[str] = set()
        meta = {"judge_version": job.version, "ui_run": job.job_id}

        async def one(trace_id: str) -> None:
            async with slots:
                if job.stop.is_set():
                    return
                trace = await asyncio.to_thread(store.get_trace, trace_id)
                sid = session_of(trace) if is_session_judge(judge) else None
                if sid is not None and sid in seen_sessions:  # a session is judged once, on its first trace met
                    job.done += 1
                    return
                if sid is not None:
                    seen_sessions.add(sid)
                feedbacks = await judge_trace(store, judge, trace)
                for fb in feedbacks:
                    fb.trace_id = trace_id
                    fb.metadata = {**(fb.metadata or {}), **meta}
                    await asyncio.to_thread(store.log_assessment, fb)
                job.errors += any(fb.error is not None for fb in feedbacks)
                job.done += 1

        await asyncio.gather(*(one(t) for t in ids))
        job.message = "stopped" if job.stop.is_set() else ""
    except Exception as e:  # the page shows why the run ended
        job.message = f"the run failed: {e}"
    finally:
        job.finished = True


# -- schedules --------------------------------------------------------------------------------------
class _GatewayStore:
    """The store as a monitor sees it: a gateway judge read from it is pointed at this server's gateway."""

    def __init__(self, store: Store, server_url: str) -> None:
        self._store = store
        self._server_url = server_url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_judge(self, name: str, version: int | None = None) -> JudgeVersion:
        found = self._store.get_judge(name, version)
        judge = build_judge(found.definition, self._server_url)
        return JudgeVersion(found.name, found.version, {**found.definition, "base_url": judge.base_url},
                            found.creation_time_ms)


def start_schedule(ui: UI, name: str, version: int | None, experiment_id: str, sample_rate: float,
                   filter_string: str | None, server_url: str) -> Any:
    """A monitor judging the experiment's new traces with the saved judge (listed in ``/api/monitors`` too)."""
    from jurist.evaluation._monitor import Monitor

    registered = ui.store.get_judge(name, version)
    ok, why = runnable(ui, str(registered.definition.get("model") or ""))
    if not ok:
        raise ConfigError(f"this judge cannot run on the server: {why}")
    monitor = Monitor(cast(Store, _GatewayStore(ui.store, server_url)), name, experiment_id,
                      version=registered.version, sample_rate=sample_rate, filter_string=filter_string)
    ui.monitors[monitor.monitor_id] = monitor
    return monitor
