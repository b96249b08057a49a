"""The prompt registry (named prompts, their immutable versions, aliases pointing at versions) and the
history of each run metric's values by step.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_metric_history",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "prompts",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("creation_time_ms", sa.BigInteger, nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger, nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "prompt_versions",
        sa.Column("name", sa.String(256), sa.ForeignKey("prompts.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("commit_message", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("response_format", sa.Text),
        sa.Column("model_config", sa.Text),
        sa.Column("creation_time_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "prompt_aliases",
        sa.Column("name", sa.String(256), sa.ForeignKey("prompts.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("alias", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("prompt_aliases")
    op.drop_table("prompt_versions")
    op.drop_table("prompts")
    op.drop_table("run_metric_history")
