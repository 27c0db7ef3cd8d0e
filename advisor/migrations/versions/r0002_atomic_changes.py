"""Atomic changes: one open recommendation per practice (a partial unique index), the index outbox of done
recommendations, and one reuse vote of each kind per person and document.

Open duplicates that earlier races left are resolved first, without losing any: the one furthest along
(then the oldest) stays open, the others are dismissed with a reason and a history entry.

Revision ID: 0002
Revises: 0001
Created: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from advisor.schema import create_table_if_missing

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = ("proposed", "accepted", "in_progress")
_OPEN_ONLY = sa.text("status IN ('proposed', 'accepted', 'in_progress')")
_INDEX = "uq_recommendations_open_practice"


def upgrade() -> None:
    _dismiss_open_duplicates()
    if _INDEX not in {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("recommendations")}:
        op.create_index(
            _INDEX,
            "recommendations",
            ["organisation", "practice_id"],
            unique=True,
            sqlite_where=_OPEN_ONLY,
            postgresql_where=_OPEN_ONLY,
        )
    create_table_if_missing(
        "index_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=32), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=[["recommendation_id"]],
    )
    create_table_if_missing(
        "knowledge_reuse_votes",
        sa.Column("document_id", sa.String(length=500), nullable=False),
        sa.Column("voter", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "voter", "kind"),
    )


def _dismiss_open_duplicates() -> None:
    bind = op.get_bind()
    recommendations = sa.table(
        "recommendations",
        sa.column("id", sa.String),
        sa.column("organisation", sa.String),
        sa.column("practice_id", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    changes = sa.table(
        "recommendation_changes",
        sa.column("recommendation_id", sa.String),
        sa.column("from_status", sa.String),
        sa.column("to_status", sa.String),
        sa.column("actor", sa.String),
        sa.column("reason", sa.Text),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(recommendations.c.id, recommendations.c.organisation, recommendations.c.practice_id,
                  recommendations.c.status, recommendations.c.created_at)
        .where(recommendations.c.status.in_(_OPEN))
    ).all()  # fmt: skip
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.organisation, row.practice_id), []).append(row)
    now = datetime.now(UTC)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda row: (-_OPEN.index(row.status), str(row.created_at), row.id))
        kept = group[0]
        for extra in group[1:]:
            bind.execute(
                sa.update(recommendations)
                .where(recommendations.c.id == extra.id)
                .values(status="dismissed", updated_at=now)
            )
            bind.execute(
                sa.insert(changes).values(
                    recommendation_id=extra.id,
                    from_status=extra.status,
                    to_status="dismissed",
                    actor="database upgrade",
                    reason=f"a duplicate of the open recommendation {kept.id} for the same practice",
                    at=now,
                )
            )


def downgrade() -> None:
    op.drop_table("knowledge_reuse_votes")
    op.drop_table("index_outbox")
    op.drop_index(_INDEX, table_name="recommendations")
