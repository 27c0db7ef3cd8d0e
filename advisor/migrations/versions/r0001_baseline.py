"""Baseline: the tables `create_all` made before migrations existed (each made only when missing, so a
database made by an older version, or by the reuse counts alone, is completed rather than refused).

Revision ID: 0001
Revises:
Created: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from advisor.schema import create_table_if_missing

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_table_if_missing(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    create_table_if_missing(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
        indexes=[["expires_at"], ["user_id"]],
    )
    create_table_if_missing(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_used_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        indexes=[["user_id"]],
    )
    create_table_if_missing(
        "conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["owner"], ["updated_at"]],
    )
    create_table_if_missing(
        "conversation_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=20), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["conversation_id"]],
    )
    create_table_if_missing(
        "answer_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["turn_id"], ["conversation_turns.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["turn_id"]],
    )
    create_table_if_missing(
        "recommendations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("practice_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["organisation"], ["practice_id"], ["status"]],
    )
    for table, extra in (
        (
            "recommendation_changes",
            [
                sa.Column("from_status", sa.String(length=20), nullable=True),
                sa.Column("to_status", sa.String(length=20), nullable=False),
                sa.Column("actor", sa.String(length=200), nullable=False),
                sa.Column("reason", sa.Text(), nullable=True),
                sa.Column("at", _WHEN, nullable=False),
            ],
        ),
        (
            "recommendation_outcomes",
            [
                sa.Column("metric_id", sa.String(length=20), nullable=False),
                sa.Column("content", sa.JSON(), nullable=False),
            ],
        ),
    ):
        create_table_if_missing(
            table,
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("recommendation_id", sa.String(length=32), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
            sa.PrimaryKeyConstraint("id"),
            indexes=[["recommendation_id"]],
        )
    create_table_if_missing(
        "knowledge_reuse",
        sa.Column("document_id", sa.String(length=500), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("solved", sa.Integer(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )
    create_table_if_missing(
        "knowledge_reuse_imports",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("imported_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    for table in (
        "knowledge_reuse_imports",
        "knowledge_reuse",
        "recommendation_outcomes",
        "recommendation_changes",
        "recommendations",
        "answer_feedback",
        "conversation_turns",
        "conversations",
        "api_tokens",
        "web_sessions",
        "users",
    ):
        op.drop_table(table)
