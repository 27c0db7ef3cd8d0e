"""Recommendation plans: scoped steps, owner, due and review dates, checklist, comments and their history.

One open recommendation per practice becomes one open recommendation per practice and scope (the same practice
may run for two teams at once): `scope_key` ("" or "team=Billing Desk") joins the partial unique index. The
steps stored before get their scope key and a checklist made from their practice's steps.

Revision ID: 0005
Revises: 0004
Created: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from advisor.plan_rules import checklist_items, scope_key
from advisor.schema import create_table_if_missing

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_OPEN_ONLY = sa.text("status IN ('proposed', 'accepted', 'in_progress')")
_OLD_INDEX = "uq_recommendations_open_practice"
_INDEX = "uq_recommendations_open_scope"


def upgrade() -> None:
    with op.batch_alter_table("recommendations") as batch:
        batch.add_column(sa.Column("scope_key", sa.String(length=400), server_default="", nullable=False))
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("review_on", sa.Date(), nullable=True))
    create_table_if_missing(
        "recommendation_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["recommendation_id"]],
    )
    create_table_if_missing(
        "recommendation_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["recommendation_id"]],
    )
    create_table_if_missing(
        "recommendation_plan_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["recommendation_id"]],
    )
    _fill_plans()
    indexes = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("recommendations")}
    if _OLD_INDEX in indexes:
        op.drop_index(_OLD_INDEX, table_name="recommendations")
    op.create_index(
        _INDEX,
        "recommendations",
        ["organisation", "practice_id", "scope_key"],
        unique=True,
        sqlite_where=_OPEN_ONLY,
        postgresql_where=_OPEN_ONLY,
    )


def _fill_plans() -> None:
    """The scope key and checklist of every step stored before plans existed."""
    bind = op.get_bind()
    recommendations = sa.table(
        "recommendations", sa.column("id", sa.String), sa.column("content", sa.JSON), sa.column("scope_key")
    )
    tasks = sa.table(
        "recommendation_tasks",
        sa.column("recommendation_id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("done", sa.Boolean),
    )
    for row_id, content in bind.execute(sa.select(recommendations.c.id, recommendations.c.content)).all():
        content = content or {}
        key = scope_key(content.get("scope"))
        if key:
            bind.execute(recommendations.update().where(recommendations.c.id == row_id).values(scope_key=key))
        items = checklist_items(str(content.get("steps") or ""))
        if items:
            bind.execute(
                tasks.insert(),
                [
                    {"recommendation_id": row_id, "position": position, "text": text, "done": False}
                    for position, text in enumerate(items, start=1)
                ],
            )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="recommendations")
    for table in ("recommendation_plan_changes", "recommendation_comments", "recommendation_tasks"):
        op.drop_table(table)
    with op.batch_alter_table("recommendations") as batch:
        for column in ("review_on", "due", "owner", "scope_key"):
            batch.drop_column(column)
    op.create_index(
        _OLD_INDEX,
        "recommendations",
        ["organisation", "practice_id"],
        unique=True,
        sqlite_where=_OPEN_ONLY,
        postgresql_where=_OPEN_ONLY,
    )
