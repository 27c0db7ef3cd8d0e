"""Shared state for several workers: jobs and their status (the one-job-at-a-time slot, the heartbeat), the
sign-in throttle's hits and the secrets every worker must agree on.

Revision ID: 0004
Revises: 0003
Created: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from advisor.schema import create_table_if_missing

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    if create_table_if_missing(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("heartbeat_at", _WHEN, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("request", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["state"], ["created_at"]],
    ):
        op.create_index("ix_jobs_slot", "jobs", ["slot"], unique=True)  # one queued or running job
    create_table_if_missing(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["key"], ["expires_at"]],
    )
    create_table_if_missing(
        "app_secrets",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("app_secrets", "rate_limit_hits", "jobs"):
        op.drop_table(table)
