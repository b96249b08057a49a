"""The store's tables (SQLAlchemy Core). Alembic migrations in ``_migrations/`` build exactly this schema.

JSON values are kept as text written by :func:`jurist.tracking._entities.dumps`, the same on SQLite and
PostgreSQL. Timestamps are milliseconds, span times nanoseconds, as OpenTelemetry writes them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: The Alembic revision this code writes and reads; a store below it is upgraded when opened.
HEAD_REVISION = "0003"

metadata = MetaData()

experiments = Table(
    "experiments", metadata,
    Column("experiment_id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("tags", Text, nullable=False, default="{}"),
)

runs = Table(
    "runs", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("experiment_id", String(64), ForeignKey("experiments.experiment_id"), nullable=False, index=True),
    Column("name", String(256)),
    Column("status", String(16), nullable=False),
    Column("start_time_ms", BigInteger, nullable=False),
    Column("end_time_ms", BigInteger),
    Column("params", Text, nullable=False),
    Column("scorers", Text, nullable=False),
    Column("metrics", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("row_count", Integer, nullable=False, default=0),
    Column("total_input_tokens", BigInteger, nullable=False, default=0),
    Column("total_output_tokens", BigInteger, nullable=False, default=0),
    Column("total_cost_usd", Float),
    Column("judge_calls", Integer, nullable=False, default=0),
    Column("cached_judgments", Integer, nullable=False, default=0),
)

traces = Table(
    "traces", metadata,
    Column("trace_id", String(64), primary_key=True),
    Column("experiment_id", String(64), ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(512)),
    Column("status", String(16), nullable=False),
    Column("timestamp_ms", BigInteger),
    Column("execution_time_ms", BigInteger),
    Column("start_time_ns", BigInteger),
    Column("end_time_ns", BigInteger),
    Column("creation_time_ms", BigInteger, nullable=False),
    Index("ix_traces_experiment_time", "experiment_id", "timestamp_ms"),
)

trace_tags = Table(
    "trace_tags", metadata,
    Column("trace_id", String(64), ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("value", Text, nullable=False),
)

spans = Table(
    "spans", metadata,
    Column("trace_id", String(64), ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True),
    Column("span_id", String(64), primary_key=True),
    Column("parent_id", String(64)),
    Column("name", String(512), nullable=False),
    Column("span_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time_ns", BigInteger),
    Column("end_time_ns", BigInteger),
    Column("inputs", Text),
    Column("outputs", Text),
    Column("attributes", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("seq", Integer, nullable=False),
)

run_rows = Table(
    "run_rows", metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("row_index", Integer, primary_key=True, autoincrement=False),
    Column("row_hash", String(64), nullable=False),
    Column("trace_id", String(64), nullable=False, index=True),
    Column("row_id", Text),
    Column("inputs", Text),
    Column("outputs", Text),
    Column("expectations", Text),
    Column("tags", Text, nullable=False),
)

assessments = Table(
    "assessments", metadata,
    Column("assessment_id", String(64), primary_key=True),
    Column("trace_id", String(64), ForeignKey("traces.trace_id", ondelete="CASCADE"), nullable=False, index=True),
    Column("span_id", String(64)),
    Column("kind", String(16), nullable=False),
    Column("name", String(256), nullable=False),
    Column("value", Text),
    Column("rationale", Text),
    Column("error_code", String(128)),
    Column("error_message", Text),
    Column("source_type", String(16), nullable=False),
    Column("source_id", String(512), nullable=False),
    Column("metadata", Text, nullable=False),
    Column("create_time_ms", BigInteger, nullable=False),
    # Set for feedback from evaluate(): which run, row and scorer gave it, and its place in that list.
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE")),
    Column("row_index", Integer),
    Column("scorer", String(256)),
    Column("position", Integer),
    # A judgment stored twice (a retried batch) is stored once.
    UniqueConstraint("run_id", "row_index", "scorer", "position", name="uq_assessments_judgment"),
    Index("ix_assessments_name", "name", "kind"),
)

judges = Table(
    "judges", metadata,
    Column("name", String(256), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(128), nullable=False),
    Column("model", String(512)),
    Column("definition", Text, nullable=False),
    Column("creation_time_ms", BigInteger, nullable=False),
)

# -- evaluation datasets (revision 0002) ------------------------------------------------------------
datasets = Table(
    "datasets", metadata,
    Column("dataset_id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("experiment_ids", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("created_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
    Column("created_by", String(256)),
    Column("last_updated_by", String(256)),
)

dataset_records = Table(
    "dataset_records", metadata,
    Column("dataset_id", String(64), ForeignKey("datasets.dataset_id", ondelete="CASCADE"), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    # Records are matched by a hash of their inputs: merging the same inputs again updates the record.
    Column("inputs_hash", String(64), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("expectations", Text),
    Column("outputs", Text),
    Column("tags", Text, nullable=False),
    Column("source", Text),
    Column("seq", Integer, nullable=False),
    Column("create_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
    UniqueConstraint("dataset_id", "inputs_hash", name="uq_dataset_records_inputs"),
)

# -- every value of a run's metrics, by step (revision 0003); ``runs.metrics`` keeps the latest of each.
run_metric_history = Table(
    "run_metric_history", metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("value", Float, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
)

# -- the prompt registry (revision 0003) ------------------------------------------------------------
prompts = Table(
    "prompts", metadata,
    Column("name", String(256), primary_key=True),
    Column("description", Text),
    Column("tags", Text, nullable=False),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
    # The highest version ever given: a deleted version's number is never given again.
    Column("last_version", Integer, nullable=False, default=0),
)

# A version never changes once written: there is no UPDATE of this table anywhere.
prompt_versions = Table(
    "prompt_versions", metadata,
    Column("name", String(256), ForeignKey("prompts.name", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    # A text template as JSON text (a string), or a chat template as a JSON list of messages.
    Column("template", Text, nullable=False),
    Column("commit_message", Text),
    Column("tags", Text, nullable=False),
    Column("response_format", Text),
    Column("model_config", Text),
    Column("creation_time_ms", BigInteger, nullable=False),
)

prompt_aliases = Table(
    "prompt_aliases", metadata,
    Column("name", String(256), ForeignKey("prompts.name", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(256), primary_key=True),
    Column("version", Integer, nullable=False),
)
