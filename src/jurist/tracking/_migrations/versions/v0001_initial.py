"""The first schema: experiments, runs and their rows, traces with spans and tags, assessments, judges.

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_time_ms", sa.BigInteger, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("experiment_id", sa.String(64), sa.ForeignKey("experiments.experiment_id"), nullable=False),
        sa.Column("name", sa.String(256)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time_ms", sa.BigInteger, nullable=False),
        sa.Column("end_time_ms", sa.BigInteger),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("scorers", sa.Text, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("total_input_tokens", sa.BigInteger, nullable=False),
        sa.Column("total_output_tokens", sa.BigInteger, nullable=False),
        sa.Column("total_cost_usd", sa.Float),
        sa.Column("judge_calls", sa.Integer, nullable=False),
        sa.Column("cached_judgments", sa.Integer, nullable=False),
    )
    op.create_index("ix_runs_experiment_id", "runs", ["experiment_id"])
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(64), primary_key=True),
        sa.Column("experiment_id", sa.String(64), sa.ForeignKey("experiments.experiment_id"), nullable=False),
        sa.Column("name", sa.String(512)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger),
        sa.Column("execution_time_ms", sa.BigInteger),
        sa.Column("start_time_ns", sa.BigInteger),
        sa.Column("end_time_ns", sa.BigInteger),
        sa.Column("creation_time_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_traces_experiment_time", "traces", ["experiment_id", "timestamp_ms"])
    op.create_table(
        "trace_tags",
        sa.Column("trace_id", sa.String(64), sa.ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "spans",
        sa.Column("trace_id", sa.String(64), sa.ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("span_id", sa.String(64), primary_key=True),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("span_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time_ns", sa.BigInteger),
        sa.Column("end_time_ns", sa.BigInteger),
        sa.Column("inputs", sa.Text),
        sa.Column("outputs", sa.Text),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "run_rows",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("row_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("row_id", sa.Text),
        sa.Column("inputs", sa.Text),
        sa.Column("outputs", sa.Text),
        sa.Column("expectations", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
    )
    op.create_index("ix_run_rows_trace_id", "run_rows", ["trace_id"])
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.String(64), primary_key=True),
        sa.Column("trace_id", sa.String(64), sa.ForeignKey("traces.trace_id", ondelete="CASCADE"), nullable=False),
        sa.Column("span_id", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("rationale", sa.Text),
        sa.Column("error_code", sa.String(128)),
        sa.Column("error_message", sa.Text),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(512), nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("create_time_ms", sa.BigInteger, nullable=False),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE")),
        sa.Column("row_index", sa.Integer),
        sa.Column("scorer", sa.String(256)),
        sa.Column("position", sa.Integer),
        sa.UniqueConstraint("run_id", "row_index", "scorer", "position", name="uq_assessments_judgment"),
    )
    op.create_index("ix_assessments_trace_id", "assessments", ["trace_id"])
    op.create_index("ix_assessments_name", "assessments", ["name", "kind"])
    op.create_table(
        "judges",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("model", sa.String(512)),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("creation_time_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("judges", "assessments", "run_rows", "spans", "trace_tags", "traces", "runs", "experiments"):
        op.drop_table(table)
