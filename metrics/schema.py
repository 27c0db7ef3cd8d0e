"""The canonical tables of SCORECARD.md: one source of truth for the store, importers, the demo and the docs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["id", "text", "timestamp", "number", "integer", "boolean"]

#: DuckDB type used for each column type when a table is read.
DUCKDB_TYPES: dict[ColumnType, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "number": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    description: str = ""
    #: Column whose values must be unique, if any.
    key: str | None = "id"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _c(name: str, type_: ColumnType, required: bool = False, description: str = "") -> Column:
    return Column(name, type_, required, description)


EVENT_KINDS: tuple[str, ...] = (
    "assigned",
    "customer_message",
    "agent_message",
    "status",
    "reopened",
    "escalated",
    "article_linked",
    "article_created",
)

SURVEY_KINDS: tuple[str, ...] = ("nps", "csat", "ces", "engagement", "esat", "collaboration")

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "tickets",
            (
                _c("id", "id", True),
                _c("account_id", "id"),
                _c("created_at", "timestamp", True),
                _c("resolved_at", "timestamp"),
                _c("closed_at", "timestamp"),
                _c("team", "text"),
                _c("product", "text"),
                _c("channel", "text"),
                _c("priority", "text"),
                _c("interruption_id", "id", description="tickets sharing one interruption of the customer"),
                _c("subject", "text", description="the ticket's subject or short description"),
                _c(
                    "resolution",
                    "text",
                    description="resolution notes: how the ticket was solved (indexed as a prior solution)",
                ),
            ),
            "Support tickets (cases, incidents, service requests).",
        ),
        Table(
            "ticket_events",
            (
                _c("ticket_id", "id", True),
                _c("at", "timestamp", True),
                _c("kind", "text", True, "one of: " + ", ".join(EVENT_KINDS)),
                _c("team", "text"),
                _c("agent_id", "id"),
                _c("article_id", "id"),
                _c("status", "text", description="new status for 'status' events (e.g. resolved)"),
            ),
            "What happened to each ticket, in time order.",
            key=None,
        ),
        Table(
            "accounts",
            (
                _c("id", "id", True),
                _c("segment", "text"),
                _c("first_value_before_sale_at", "timestamp"),
                _c("contract_signed_at", "timestamp"),
                _c("first_value_after_sale_at", "timestamp"),
                _c("licences", "integer"),
            ),
            "Customer accounts.",
        ),
        Table(
            "interruptions",
            (
                _c("id", "id", True),
                _c("account_id", "id"),
                _c("interrupted_at", "timestamp", True),
                _c("back_to_happy_at", "timestamp"),
                _c("departments", "text"),
            ),
            "Times a customer could not use the product, until they were back to happy.",
        ),
        Table(
            "usage",
            (
                _c("account_id", "id", True),
                _c("period", "text", True, "month as YYYY-MM"),
                _c("active_users", "integer"),
                _c("feature", "text"),
                _c("adopted", "boolean"),
                _c("health_check_passed", "boolean"),
            ),
            "Product usage per account and month.",
            key=None,
        ),
        Table(
            "revenue_events",
            (
                _c("account_id", "id", True),
                _c("at", "timestamp", True),
                _c("kind", "text", True, "new, churn, expansion, contraction"),
                _c("amount", "number", True),
                _c("currency", "text"),
            ),
            "Revenue changes per account.",
            key=None,
        ),
        Table(
            "surveys",
            (
                _c("id", "id", True),
                _c("kind", "text", True, "one of: " + ", ".join(SURVEY_KINDS)),
                _c("respondent_id", "id"),
                _c("ticket_id", "id"),
                _c("at", "timestamp", True),
                _c("score", "number", True),
                _c("scale_max", "number", True),
            ),
            "Survey answers from customers and employees.",
        ),
        Table(
            "employees",
            (
                _c("id", "id", True),
                _c("team", "text"),
                _c("role", "text"),
                _c("started_at", "timestamp", True),
            ),
            "Support staff.",
        ),
        Table(
            "competency",
            (
                _c("employee_id", "id", True),
                _c("skill", "text"),
                _c("exam_passed_at", "timestamp"),
                _c(
                    "peer_trust_at",
                    "timestamp",
                    description="when peers vouched the person can work unsupervised",
                ),
            ),
            "Competency sign-offs per employee and skill.",
            key=None,
        ),
        Table(
            "articles",
            (
                _c("id", "id", True),
                _c("title", "text", True),
                _c("body", "text"),
                _c("audience", "text", description="internal or customer"),
                _c("state", "text"),
                _c("product", "text"),
                _c("first_known_at", "timestamp"),
                _c("published_external_at", "timestamp"),
            ),
            "Knowledge articles.",
        ),
        Table(
            "suggestions",
            (
                _c("id", "id", True),
                _c("source", "text", description="customer or employee"),
                _c("submitted_at", "timestamp", True),
                _c("status", "text"),
                _c("decided_at", "timestamp"),
            ),
            "Improvement suggestions and their decisions.",
        ),
        Table(
            "internal_requests",
            (
                _c("id", "id", True),
                _c("from_team", "text"),
                _c("to_team", "text"),
                _c("opened_at", "timestamp", True),
                _c("accepted_at", "timestamp"),
                _c("resolved_at", "timestamp"),
            ),
            "Requests between internal teams.",
        ),
        Table(
            "initiatives",
            (
                _c("id", "id", True),
                _c("name", "text", True),
                _c("kind", "text"),
                _c("started_at", "timestamp"),
                _c("status", "text"),
                _c("on_track", "boolean"),
            ),
            "Transformative initiatives.",
        ),
        Table(
            "self_service_sessions",
            (
                _c("id", "id", True),
                _c("account_id", "id"),
                _c("at", "timestamp", True),
                _c("helpful", "boolean"),
                _c("ticket_id", "id"),
            ),
            "Customer self-service sessions (help-centre visits, bot conversations).",
        ),
    )
}
