"""The REST client of a ``jurist server``: the Store interface over HTTP.

``jurist.set_tracking_uri("http://127.0.0.1:5000")`` makes everything ``evaluate``, ``log_feedback`` and
``search_traces`` do go through it. Calls are synchronous (the store is written from the run writer's
thread, never from the event loop), over one kept-alive connection per thread, with the standard library
only. The bearer token comes from ``$JURIST_TRACKING_TOKEN`` (or ``$JURIST_SERVER_TOKEN``).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jurist.entities import Trace
from jurist.errors import AlreadyExistsError, ConfigError, NotFoundError, StoreError
from jurist.tracking._entities import (
    DEFAULT_EXPERIMENT_ID,
    Assessment,
    Experiment,
    JudgeVersion,
    Judgment,
    Run,
    RunEnd,
    StoredRow,
    StoredTrace,
    assessment_from_dict,
    assessment_to_dict,
    dumps,
)

DEFAULT_TIMEOUT_S = 60.0
_RETRY_STATUS = (429, 502, 503, 504)


class RestStore:
    """A tracking store on a jurist server at ``uri`` (``http://host:port``).

    Example:
        >>> store = RestStore("http://127.0.0.1:5000")                 # doctest: +SKIP
        >>> store.search_traces(filter_string="feedback.correctness = 'no'")   # doctest: +SKIP
    """

    def __init__(self, uri: str, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 retries: int = 4) -> None:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"a jurist server URI is http://host:port, got {uri!r}")
        self.uri = uri.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"RestStore({self.uri!r})"

    @property
    def token(self) -> str | None:
        """The bearer token: the one given, else ``$JURIST_TRACKING_TOKEN``, else ``$JURIST_SERVER_TOKEN``."""
        from jurist._runtime import RUNTIME

        return self._token or RUNTIME.settings.tracking_token

    # -- HTTP -------------------------------------------------------------------------------------
    def _conn(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _call(self, method: str, path: str, body: Any = None, *, query: dict[str, Any] | None = None,
              idempotent: bool = True) -> Any:
        url = self._base + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        data = None if body is None else dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        delay = 0.2
        for attempt in range(self.retries + 1):
            conn = self._conn()
            try:
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (ConnectionError, http.client.HTTPException, TimeoutError, OSError) as e:
                self.close()
                # A kept-alive connection the server had closed fails before anything was sent: resend.
                if attempt < self.retries and (idempotent or isinstance(e, (http.client.RemoteDisconnected,
                                                                            ConnectionRefusedError))):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise StoreError(f"cannot reach the jurist server at {self.uri}: {e}") from e
            if resp.status in _RETRY_STATUS and idempotent and attempt < self.retries:
                time.sleep(float(resp.getheader("Retry-After") or delay))
                delay *= 2
                continue
            return self._answer(resp.status, raw, method, path)
        raise AssertionError("unreachable")

    def _answer(self, status: int, raw: bytes, method: str, path: str) -> Any:
        if status == 204 or not raw:
            if status < 400:
                return None
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if status < 400:
            return payload
        message = ""
        if isinstance(payload, dict):
            detail = payload.get("message", payload.get("detail"))
            message = detail if isinstance(detail, str) else json.dumps(detail)[:500]
        message = message or raw[:300].decode(errors="replace") or f"HTTP {status}"
        if status == 401:
            raise ConfigError(f"the jurist server at {self.uri} wants a token: set JURIST_TRACKING_TOKEN to its "
                              "JURIST_SERVER_TOKEN")
        if status == 404:
            raise NotFoundError(message)
        if status == 409:
            raise AlreadyExistsError(message)
        if status < 500:
            raise ConfigError(message)
        raise StoreError(f"the jurist server at {self.uri} failed ({status}) on {method} {path}: {message}")

    # -- experiments ------------------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> Experiment:
        return Experiment.from_dict(self._call("POST", "/api/experiments", {"name": name, "tags": tags or {}},
                                               idempotent=False))

    def get_or_create_experiment(self, name: str) -> Experiment:
        return Experiment.from_dict(self._call("PUT", f"/api/experiments/by-name/{quote(name, safe='')}"))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return Experiment.from_dict(self._call("GET", f"/api/experiments/{quote(str(experiment_id), safe='')}"))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            return Experiment.from_dict(self._call("GET", f"/api/experiments/by-name/{quote(name, safe='')}"))
        except NotFoundError:
            return None

    def search_experiments(self) -> list[Experiment]:
        return [Experiment.from_dict(d) for d in self._call("GET", "/api/experiments")]

    # -- runs -------------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, *, name: str | None = None, params: dict[str, Any] | None = None,
                   scorers: list[dict[str, Any]] | None = None, tags: dict[str, str] | None = None) -> Run:
        body = {"experiment_id": experiment_id, "name": name, "params": params or {}, "scorers": scorers or [],
                "tags": tags or {}}
        return Run.from_dict(self._call("POST", "/api/runs", body, idempotent=False))

    def get_run(self, run_id: str) -> Run:
        return Run.from_dict(self._call("GET", f"/api/runs/{quote(run_id, safe='')}"))

    def search_runs(self, experiment_ids: Sequence[str] | None = None, status: str | None = None,
                    max_results: int = 100) -> list[Run]:
        query: dict[str, Any] = {"max_results": max_results}
        if experiment_ids:
            query["experiment_id"] = list(experiment_ids)
        if status:
            query["status"] = status
        return [Run.from_dict(d) for d in self._call("GET", "/api/runs", query=query)]

    def end_run(self, run_id: str, end: RunEnd) -> Run:
        return Run.from_dict(self._call("PATCH", f"/api/runs/{quote(run_id, safe='')}", end.to_dict()))

    def log_judgments(self, run_id: str, items: Sequence[Judgment]) -> None:
        if items:  # stored once however often it is sent: safe to retry
            self._call("POST", f"/api/runs/{quote(run_id, safe='')}/judgments",
                       {"judgments": [j.to_dict() for j in items]})

    def load_rows(self, run_id: str) -> list[StoredRow]:
        return [StoredRow.from_dict(d) for d in self._call("GET", f"/api/runs/{quote(run_id, safe='')}/rows")]

    # -- traces -----------------------------------------------------------------------------------
    def log_traces(self, new: Sequence[Trace], experiment_id: str = DEFAULT_EXPERIMENT_ID) -> list[str]:
        body = {"experiment_id": experiment_id, "traces": [Trace.coerce(t).to_dict() for t in new]}
        return list(self._call("POST", "/api/traces", body)["trace_ids"])

    def get_trace(self, trace_id: str) -> StoredTrace:
        return StoredTrace.from_dict(self._call("GET", f"/api/traces/{quote(trace_id, safe='')}"))

    def search_traces(self, experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                      max_results: int = 100, order_by: Sequence[str] | None = None) -> list[StoredTrace]:
        body = {"experiment_ids": list(experiment_ids) if experiment_ids else None, "filter_string": filter_string,
                "max_results": max_results, "order_by": list(order_by) if order_by else None}
        return [StoredTrace.from_dict(d) for d in self._call("POST", "/api/traces/search", body)["traces"]]

    def log_assessment(self, assessment: Assessment) -> Assessment:
        if not assessment.trace_id:
            raise ConfigError("an assessment needs the trace_id of the trace it is about")
        got = self._call("POST", f"/api/traces/{quote(assessment.trace_id, safe='')}/assessments",
                         assessment_to_dict(assessment), idempotent=False)
        return assessment_from_dict(got)

    # -- judges -----------------------------------------------------------------------------------
    def register_judge(self, definition: dict[str, Any]) -> JudgeVersion:
        return JudgeVersion.from_dict(self._call("POST", "/api/judges", {"definition": definition},
                                                 idempotent=False))

    def get_judge(self, name: str, version: int | None = None) -> JudgeVersion:
        path = f"/api/judges/{quote(name, safe='')}"
        if version is not None:
            path += f"/versions/{int(version)}"
        return JudgeVersion.from_dict(self._call("GET", path))

    def list_judge_versions(self, name: str) -> list[JudgeVersion]:
        return [JudgeVersion.from_dict(d) for d in self._call("GET", f"/api/judges/{quote(name, safe='')}/versions")]

    def search_judges(self) -> list[JudgeVersion]:
        return [JudgeVersion.from_dict(d) for d in self._call("GET", "/api/judges")]
