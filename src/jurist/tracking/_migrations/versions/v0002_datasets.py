"""Evaluation datasets: named sets of records (inputs, expectations, tags, source), matched by inputs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("dataset_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("experiment_ids", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("created_time_ms", sa.BigInteger, nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.Column("last_updated_by", sa.String(256)),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "dataset_records",
        sa.Column("dataset_id", sa.String(64), sa.ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("record_id", sa.String(64), primary_key=True),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("expectations", sa.Text),
        sa.Column("outputs", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("create_time_ms", sa.BigInteger, nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("dataset_id", "inputs_hash", name="uq_dataset_records_inputs"),
    )


def downgrade() -> None:
    op.drop_table("dataset_records")
    op.drop_table("datasets")
