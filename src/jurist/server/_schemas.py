"""The REST API's bodies, as pydantic models: what the OpenAPI spec shows and what each request is held to.

They mirror the ``to_dict`` shapes of :mod:`jurist.entities` and :mod:`jurist.tracking`, so a body turns
into an entity with ``Entity.from_dict(model.model_dump())``. An answer whose shape is an entity's own
fields (an experiment, a run, a judge version) is derived from the entity's dataclass by
:func:`from_entity`, so a field added to the entity is in the API without being listed twice.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from jurist.tracking._entities import Experiment, JudgeVersion, Run

RunStatusName = Literal["RUNNING", "FINISHED", "FAILED", "KILLED"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


def from_entity(entity: type, name: str, **overrides: Any) -> Any:
    """A response model named ``name`` with the fields of the dataclass ``entity``: their types and defaults.

    ``overrides`` gives a field another ``(type, default)``, as its ``to_dict`` shows it (an enum as its
    name, say). A field without a default is required.
    """
    hints = get_type_hints(entity)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(entity):
        if f.name in overrides:
            fields[f.name] = overrides[f.name]
        elif f.default is not dataclasses.MISSING:
            fields[f.name] = (hints[f.name], f.default)
        elif f.default_factory is not dataclasses.MISSING:
            fields[f.name] = (hints[f.name], Field(default_factory=f.default_factory))
        else:
            fields[f.name] = (hints[f.name], ...)
    return create_model(name, __base__=_Model, __doc__=(entity.__doc__ or "").strip() or None, **fields)


class ErrorOut(_Model):
    error_code: str = Field(examples=["NOT_FOUND"])
    message: str


class ExperimentIn(_Model):
    name: str = Field(min_length=1, max_length=256, examples=["support-bot"])
    tags: dict[str, str] = Field(default_factory=dict)


ExperimentOut = from_entity(Experiment, "ExperimentOut")


class RunIn(_Model):
    experiment_id: str = "0"
    name: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    scorers: list[dict[str, Any]] = Field(default_factory=list, description="Judges as data; code scorers by name")
    tags: dict[str, str] = Field(default_factory=dict)


RunOut = from_entity(Run, "RunOut", status=(RunStatusName, ...))


class RunEndIn(_Model):
    status: RunStatusName
    end_time_ms: int | None = None
    metrics: dict[str, float] | None = None
    row_count: int | None = None
    total_input_tokens: int | None = None
    total_output_tokens: int | None = None
    total_cost_usd: float | None = None
    judge_calls: int | None = None
    cached_judgments: int | None = None


class SourceModel(_Model):
    source_type: Literal["HUMAN", "LLM_JUDGE", "CODE"] = "CODE"
    source_id: str = "default"


class ErrorModel(_Model):
    error_code: str
    error_message: str | None = None


class AssessmentModel(_Model):
    """A Feedback (``kind`` "feedback") or an Expectation (``kind`` "expectation")."""

    kind: Literal["feedback", "expectation"] = "feedback"
    name: str = Field(min_length=1, max_length=256)
    value: Any = None
    rationale: str | None = None
    source: SourceModel = Field(default_factory=SourceModel)
    error: ErrorModel | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    trace_id: str | None = None
    span_id: str | None = None
    create_time_ms: int | None = None
    assessment_id: str | None = None


class SpanModel(_Model):
    name: str = ""
    span_id: str = Field(min_length=1, max_length=64)
    trace_id: str | None = None
    parent_id: str | None = None
    span_type: str = "UNKNOWN"
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)
    status: str = "OK"
    start_time_ns: int | None = None
    end_time_ns: int | None = None


class TraceModel(_Model):
    trace_id: str = Field(min_length=1, max_length=64)
    spans: list[SpanModel] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


class StoredTraceOut(TraceModel):
    experiment_id: str | None = None
    name: str | None = None
    status: str = "OK"
    timestamp_ms: int | None = None
    execution_time_ms: int | None = None
    assessments: list[AssessmentModel] = Field(default_factory=list)


class TracesIn(_Model):
    experiment_id: str = "0"
    traces: list[TraceModel]


class TraceIdsOut(_Model):
    trace_ids: list[str]


class SearchTracesIn(_Model):
    experiment_ids: list[str] | None = Field(default=None, description="None: every experiment")
    filter_string: str | None = Field(default=None, examples=["feedback.correctness = 'no' AND tags.env = 'prod'"])
    max_results: int = Field(default=100, ge=1, le=50_000)
    order_by: list[str] | None = Field(default=None, examples=[["timestamp_ms DESC"]])


class TracesOut(_Model):
    traces: list[StoredTraceOut]


class RowDataModel(_Model):
    row_hash: str
    trace_id: str
    inputs: Any = None
    outputs: Any = None
    expectations: Any = None
    tags: dict[str, Any] = Field(default_factory=dict)
    row_id: Any = None
    trace: TraceModel | None = None


class JudgmentModel(_Model):
    row_index: int = Field(ge=0)
    scorer: str
    feedbacks: list[AssessmentModel]
    row: RowDataModel | None = None


class JudgmentsIn(_Model):
    judgments: list[JudgmentModel]


class StoredRowOut(_Model):
    row_index: int
    data: RowDataModel
    feedbacks: dict[str, list[AssessmentModel]] = Field(default_factory=dict)


class JudgeIn(_Model):
    definition: dict[str, Any] = Field(description="Judge.to_dict(): name, kind, instructions, model, parameters")


JudgeVersionOut = from_entity(JudgeVersion, "JudgeVersionOut")


class MonitorIn(_Model):
    judge: str = Field(min_length=1, description="A registered judge's name")
    version: int | None = Field(default=None, description="None: its latest version")
    experiment: str = Field(min_length=1, description="An experiment's name or id")
    sample_rate: float = Field(default=1.0, description="The share of new traces judged, 0 to 1")
    filter_string: str | None = Field(default=None, examples=["tags.env = 'prod'"])
    concurrency: int = 4
    poll_interval: float = 2.0
    backfill: bool = Field(default=False, description="Also judge the matching traces already stored")


class MonitorStatsOut(_Model):
    seen: int
    sampled: int
    judged: int
    errors: int


class MonitorOut(_Model):
    monitor_id: str
    judge: str
    version: int
    experiment_id: str
    sample_rate: float
    filter_string: str | None = None
    concurrency: int
    poll_interval: float
    start_time_ms: int
    running: bool
    stats: MonitorStatsOut
