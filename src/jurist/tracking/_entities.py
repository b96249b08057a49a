"""What the tracking store keeps, as plain data: experiments, runs, judged rows, stored traces, judge versions.

Each class turns into JSON-ready dicts and back (``to_dict``/``from_dict``) without loss, so that the SQL
store, the REST API and its client pass the same shapes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union

from jurist.entities import Expectation, Feedback, Trace
from jurist.errors import ConfigError
from jurist.errors import NotFoundError as NotFoundError  # its home before the error tree held it

Assessment = Union[Feedback, Expectation]

#: The experiment every run and trace goes to unless another is set; MLflow's id and name.
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


class RunStatus(str, Enum):
    """Where a run stands. A process killed with ``kill -9`` leaves its run ``RUNNING``."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    def __str__(self) -> str:
        return self.value


#: One encoder for every value stored (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    """JSON text as stored: compact, unicode kept, anything unknown written as its ``str``."""
    if value is None:
        return "null"
    if not value and isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return _ENCODER.encode(value)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def assessment_to_dict(a: Assessment) -> dict[str, Any]:
    """A Feedback or Expectation as a dict that says which one it is (``"kind"``)."""
    return {"kind": "expectation" if isinstance(a, Expectation) else "feedback", **a.to_dict()}


def assessment_from_dict(d: dict[str, Any]) -> Assessment:
    if d.get("kind") == "expectation":
        return Expectation.from_dict(d)
    return Feedback.from_dict(d)


@dataclass
class Experiment:
    """A named group of runs and traces."""

    experiment_id: str
    name: str
    creation_time_ms: int = 0
    tags: dict[str, str] = field(default_factory=dict)

    #: MLflow's names: every stored experiment is active, and jurist keeps no artifacts.
    lifecycle_stage = "active"
    artifact_location = None

    @property
    def creation_time(self) -> int:
        return self.creation_time_ms

    @property
    def last_update_time(self) -> int:
        return self.creation_time_ms

    def to_dict(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id, "name": self.name, "creation_time_ms": self.creation_time_ms,
                "tags": dict(self.tags)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        return cls(experiment_id=str(d["experiment_id"]), name=d["name"],
                   creation_time_ms=int(d.get("creation_time_ms") or 0), tags=dict(d.get("tags") or {}))


@dataclass
class Run:
    """One ``evaluate()``: its parameters, judges (as data), status, metrics and totals."""

    run_id: str
    experiment_id: str
    status: RunStatus = RunStatus.RUNNING
    name: str | None = None
    start_time_ms: int = 0
    end_time_ms: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    scorers: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    row_count: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_cost_usd: float | None = 0.0
    judge_calls: int = 0
    cached_judgments: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.status, RunStatus):
            self.status = RunStatus(str(self.status).upper())

    @property
    def info(self) -> Any:
        """MLflow's view: ``run.info.run_id``, ``.experiment_id``, ``.status``, ``.start_time`` …"""
        from jurist.entities._views import RunInfo

        return RunInfo(self)

    @property
    def data(self) -> Any:
        """MLflow's view: ``run.data.metrics``, ``.params``, ``.tags``."""
        from jurist.entities._views import RunData

        return RunData(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "experiment_id": self.experiment_id, "status": self.status.value,
            "name": self.name, "start_time_ms": self.start_time_ms, "end_time_ms": self.end_time_ms,
            "params": dict(self.params), "scorers": list(self.scorers), "metrics": dict(self.metrics),
            "tags": dict(self.tags), "row_count": self.row_count, "total_input_tokens": self.total_input_tokens,
            "total_output_tokens": self.total_output_tokens, "total_cost_usd": self.total_cost_usd,
            "judge_calls": self.judge_calls, "cached_judgments": self.cached_judgments,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(
            run_id=d["run_id"], experiment_id=str(d["experiment_id"]), status=d.get("status", "RUNNING"),
            name=d.get("name"), start_time_ms=int(d.get("start_time_ms") or 0), end_time_ms=d.get("end_time_ms"),
            params=dict(d.get("params") or {}), scorers=list(d.get("scorers") or []),
            metrics=dict(d.get("metrics") or {}), tags=dict(d.get("tags") or {}),
            row_count=int(d.get("row_count") or 0), total_input_tokens=int(d.get("total_input_tokens") or 0),
            total_output_tokens=int(d.get("total_output_tokens") or 0), total_cost_usd=d.get("total_cost_usd"),
            judge_calls=int(d.get("judge_calls") or 0), cached_judgments=int(d.get("cached_judgments") or 0),
        )


@dataclass
class RunEnd:
    """How a run ended: its status and, when it finished, its metrics and totals."""

    status: RunStatus
    end_time_ms: int | None = None
    metrics: dict[str, float] | None = None
    row_count: int | None = None
    total_input_tokens: int | None = None
    total_output_tokens: int | None = None
    total_cost_usd: float | None = None
    judge_calls: int | None = None
    cached_judgments: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": RunStatus(self.status).value, "end_time_ms": self.end_time_ms, "metrics": self.metrics,
                "row_count": self.row_count, "total_input_tokens": self.total_input_tokens,
                "total_output_tokens": self.total_output_tokens, "total_cost_usd": self.total_cost_usd,
                "judge_calls": self.judge_calls, "cached_judgments": self.cached_judgments}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunEnd:
        end = d.get("end_time_ms")
        return cls(status=RunStatus(str(d["status"]).upper()), end_time_ms=None if end is None else int(end),
                   **{k: d.get(k) for k in ("metrics", "row_count", "total_input_tokens", "total_output_tokens",
                                            "total_cost_usd", "judge_calls", "cached_judgments")})


def row_hash(inputs: Any, outputs: Any, expectations: Any, trace: Any, session: Any, tags: Any, row_id: Any,
             extra: Any = None) -> str:
    """A fingerprint of a data row's content, to tell on resume whether the data changed."""
    if isinstance(trace, Trace):
        trace = trace.to_dict()
    parts = [inputs, outputs, expectations, trace, session, tags, row_id]
    if extra:  # columns a scorer takes by name (a pairwise judge's two responses)
        parts.append(extra)
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass
class RowData:
    """A data row as stored with its run (outputs are ``predict_fn``'s when there is one)."""

    row_hash: str
    trace_id: str
    inputs: Any = None
    outputs: Any = None
    expectations: Any = None
    tags: dict[str, Any] = field(default_factory=dict)
    row_id: Any = None
    #: The row's trace: its own, or one made for it (a root span holding inputs and outputs).
    trace: Trace | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row_hash": self.row_hash, "trace_id": self.trace_id, "inputs": self.inputs,
                "outputs": self.outputs, "expectations": self.expectations, "tags": dict(self.tags),
                "row_id": self.row_id, "trace": self.trace.to_dict() if self.trace is not None else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RowData:
        return cls(row_hash=d["row_hash"], trace_id=d["trace_id"], inputs=d.get("inputs"),
                   outputs=d.get("outputs"), expectations=d.get("expectations"), tags=dict(d.get("tags") or {}),
                   row_id=d.get("row_id"), trace=Trace.from_dict(d["trace"]) if d.get("trace") else None)


@dataclass
class Judgment:
    """One finished (row, scorer) pair of a run: the feedback it gave, and the row on its first judgment."""

    row_index: int
    scorer: str
    feedbacks: list[Feedback]
    row: RowData | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row_index": self.row_index, "scorer": self.scorer,
                "feedbacks": [f.to_dict() for f in self.feedbacks],
                "row": self.row.to_dict() if self.row is not None else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Judgment:
        return cls(row_index=int(d["row_index"]), scorer=d["scorer"],
                   feedbacks=[Feedback.from_dict(f) for f in d.get("feedbacks") or []],
                   row=RowData.from_dict(d["row"]) if d.get("row") else None)


@dataclass
class StoredRow:
    """A row of a run as the store holds it, with its feedback by scorer name (what resume reads)."""

    row_index: int
    data: RowData
    feedbacks: dict[str, list[Feedback]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"row_index": self.row_index, "data": self.data.to_dict(),
                "feedbacks": {k: [f.to_dict() for f in v] for k, v in self.feedbacks.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoredRow:
        return cls(row_index=int(d["row_index"]), data=RowData.from_dict(d["data"]),
                   feedbacks={k: [Feedback.from_dict(f) for f in v] for k, v in (d.get("feedbacks") or {}).items()})


@dataclass
class StoredTrace(Trace):
    """A trace as the store holds it: its spans, and every assessment made of it (judges' and people's).

    Example:
        >>> t = jurist.get_trace(trace_id)                               # doctest: +SKIP
        >>> [(a.name, a.value, a.source.source_type) for a in t.assessments]   # doctest: +SKIP
        [('correctness', 'yes', LLM_JUDGE), ('correctness', 'no', HUMAN)]
    """

    experiment_id: str | None = None
    name: str | None = None
    status: str = "OK"
    timestamp_ms: int | None = None
    execution_time_ms: int | None = None
    assessments: list[Assessment] = field(default_factory=list)

    @property
    def feedbacks(self) -> list[Feedback]:
        return [a for a in self.assessments if isinstance(a, Feedback)]

    @property
    def expectations(self) -> list[Expectation]:
        return [a for a in self.assessments if isinstance(a, Expectation)]

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(experiment_id=self.experiment_id, name=self.name, status=self.status,
                 timestamp_ms=self.timestamp_ms, execution_time_ms=self.execution_time_ms,
                 assessments=[assessment_to_dict(a) for a in self.assessments])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoredTrace:
        base = Trace.from_dict(d)
        return cls(trace_id=base.trace_id, spans=base.spans, tags=base.tags, experiment_id=d.get("experiment_id"),
                   name=d.get("name"), status=d.get("status") or "OK", timestamp_ms=d.get("timestamp_ms"),
                   execution_time_ms=d.get("execution_time_ms"),
                   assessments=[assessment_from_dict(a) for a in d.get("assessments") or []])


@dataclass
class JudgeVersion:
    """One immutable version of a registered judge, kept as data (the output of ``Judge.to_dict``)."""

    name: str
    version: int
    definition: dict[str, Any]
    creation_time_ms: int = 0

    def to_judge(self) -> Any:
        """The judge, rebuilt from its data."""
        from jurist.judges import judge_from_dict

        return judge_from_dict(self.definition)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "definition": dict(self.definition),
                "creation_time_ms": self.creation_time_ms}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JudgeVersion:
        return cls(name=d["name"], version=int(d["version"]), definition=dict(d["definition"]),
                   creation_time_ms=int(d.get("creation_time_ms") or 0))


#: Inference parameters never stored: credentials travel in the environment, not in a judge's data.
SECRET_KEYS = frozenset({
    "api_key", "apikey", "api_token", "access_token", "token", "secret", "password", "authorization",
    "headers", "extra_headers", "aws_secret_access_key", "aws_session_token",
})


def judge_definition(judge: Any) -> dict[str, Any]:
    """A judge as storable data, with anything that could hold a secret left out."""
    to_dict = getattr(judge, "to_dict", None)
    if to_dict is None:
        raise ConfigError(
            f"{judge!r} is not a judge; only judges (data: name, instructions, output type, model, parameters) "
            "can be registered, never code such as @scorer functions"
        )
    d = dict(to_dict())
    d.pop("extra_headers", None)
    params = d.get("inference_params")
    if isinstance(params, dict):
        d["inference_params"] = {k: v for k, v in params.items() if k.lower() not in SECRET_KEYS}
    return d
