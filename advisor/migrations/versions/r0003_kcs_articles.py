"""KCS loop: articles written from resolved cases, their changes (who, when), the cases behind them, and the
flags agents raise on any article.

Revision ID: 0003
Revises: 0002
Created: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from advisor.schema import create_table_if_missing

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_table_if_missing(
        "kcs_articles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("symptoms", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("known_at", _WHEN, nullable=False),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["organisation"], ["state"]],
    )
    create_table_if_missing(
        "kcs_article_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["kcs_articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["article_id"]],
    )
    create_table_if_missing(
        "kcs_article_cases",
        sa.Column("article_id", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["kcs_articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "ticket_id"),
        indexes=[["ticket_id"]],
    )
    create_table_if_missing(
        "kcs_article_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["article_id"], ["organisation"]],
    )


def downgrade() -> None:
    for table in ("kcs_article_flags", "kcs_article_cases", "kcs_article_changes", "kcs_articles"):
        op.drop_table(table)
