"""The gateway's first tables: secrets, clients, endpoints, state, usage.

Revision ID: g0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_secrets",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "gateway_clients",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "gateway_endpoints",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "gateway_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "gateway_usage",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("endpoint", sa.String(128), nullable=False),
        sa.Column("target", sa.String(256)),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("stream", sa.Boolean, nullable=False),
    )
    op.create_index("ix_gateway_usage_ts", "gateway_usage", ["ts"])
    op.create_index("ix_gateway_usage_endpoint_ts", "gateway_usage", ["endpoint", "ts"])
    op.create_index("ix_gateway_usage_client_ts", "gateway_usage", ["client", "ts"])


def downgrade() -> None:
    op.drop_table("gateway_usage")
    op.drop_table("gateway_state")
    op.drop_table("gateway_endpoints")
    op.drop_table("gateway_clients")
    op.drop_table("gateway_secrets")
