"""The YAML mapping: which source file feeds which canonical table, and how its columns become canonical ones.

The format is documented in docs/importing.md; presets are mappings shipped in `metrics/importers/presets/`.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from metrics.importers.errors import InvalidMapping
from metrics.importers.specs import (
    Condition,
    EventSpec,
    Strict,
    ValueSpec,
    check_time_zone,
    condition,
    scalar_text,
)
from metrics.schema import EVENT_KINDS, SURVEY_KINDS, TABLES

AssignmentKey = Literal["team", "agent_id"]
ASSIGNMENT_KEYS: tuple[AssignmentKey, ...] = ("team", "agent_id")
#: Canonical columns whose values come from a closed list: a value outside it rejects the row.
ENUMERATED: dict[tuple[str, str], tuple[str, ...]] = {
    ("ticket_events", "kind"): EVENT_KINDS,
    ("surveys", "kind"): SURVEY_KINDS,
    ("revenue_events", "kind"): ("new", "churn", "expansion", "contraction"),
}

#: Ticket columns a state log derives by itself; a mapping may still override them.
DERIVED_TICKET_COLUMNS: tuple[str, ...] = ("id", "created_at", "resolved_at", "closed_at", "team")


class SourceSpec(Strict):
    """One kind of input file: which SOURCE files it takes and how they are read."""

    match: list[str] = Field(default_factory=lambda: ["*"])
    member: list[str] = Field(default_factory=list)
    format: Literal["auto", "csv", "parquet", "jsonl"] = "auto"
    delimiter: str | None = None
    encoding: str | None = None
    time_zone: str = "UTC"
    optional: bool = False
    #: Values that mean "no value" in this source (besides an empty cell); None: the mapping's list.
    missing_values: list[str] | None = None
    #: Other names a column may have in some exports: {name the mapping uses: [alternatives, ...]}.
    aliases: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("aliases", mode="before")
    @classmethod
    def _alias_lists(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {str(key): [item] if isinstance(item, str) else item for key, item in value.items()}

    @field_validator("missing_values", mode="before")
    @classmethod
    def _missing_as_text(cls, value: Any) -> Any:
        return [scalar_text(item) for item in value] if isinstance(value, list) else value

    @field_validator("match", "member", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError('a delimiter is one character (write a tab as "\\t")')
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_time_zone(value)


class TableSpec(Strict):
    """A canonical table filled row by row from one source."""

    from_: str = Field(alias="from")
    where: Condition | None = None
    where_not: Condition | None = None
    skip_if_empty: list[str] = Field(default_factory=list)
    columns: dict[str, ValueSpec]

    @field_validator("where", "where_not", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> Any:
        return condition(value)


class AssignmentSpec(Strict):
    """Which changes of a state log make an `assigned` event."""

    on_change_of: list[AssignmentKey] = Field(default_factory=lambda: list(ASSIGNMENT_KEYS))
    when: Condition | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        return condition(value)


class LogTicketsSpec(Strict):
    """Ticket columns taken from a state log's rows (first or last value seen), besides the derived ones."""

    columns: dict[str, ValueSpec] = Field(default_factory=dict)


class StateLogSpec(Strict):
    """A log of ticket states or activities, from which `ticket_events` (and `tickets`) are derived."""

    from_: str = Field(alias="from")
    where: Condition | None = None
    where_not: Condition | None = None
    skip_if_empty: list[str] = Field(default_factory=list)
    ticket_id: ValueSpec
    at: ValueSpec
    status: ValueSpec | None = None
    team: ValueSpec | None = None
    agent_id: ValueSpec | None = None
    assignment: AssignmentSpec = Field(default_factory=AssignmentSpec)
    events: list[EventSpec] = Field(default_factory=list)
    resolved_statuses: list[str] = Field(default_factory=lambda: ["resolved", "closed"])
    closed_statuses: list[str] = Field(default_factory=lambda: ["closed"])
    tickets: LogTicketsSpec | bool = True

    @field_validator("where", "where_not", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> Any:
        return condition(value)

    @field_validator("events", mode="before")
    @classmethod
    def _one_or_more_events(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value

    @field_validator("resolved_statuses", "closed_statuses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [item.lower() for item in value]

    @model_validator(mode="after")
    def _consistent(self) -> StateLogSpec:
        for name in self.assignment.on_change_of:
            if getattr(self, name) is None:
                raise ValueError(f"assignment.on_change_of names {name!r}, which this log does not map")
        for number, event in enumerate(self.events):
            unknown = sorted(
                {str(kind) for kind in (event.values or {}).values() if kind not in (*EVENT_KINDS, None)}
            )
            if unknown:
                raise ValueError(
                    f"events[{number}].values: unknown event kind(s) {unknown}; use one of {list(EVENT_KINDS)}"
                )
        if not set(self.closed_statuses) <= set(self.resolved_statuses):
            raise ValueError("closed_statuses must also be listed in resolved_statuses")
        return self

    @property
    def ticket_columns(self) -> dict[str, ValueSpec]:
        return self.tickets.columns if isinstance(self.tickets, LogTicketsSpec) else {}

    @property
    def derives_tickets(self) -> bool:
        return self.tickets is not False


class Mapping(Strict):
    """A whole mapping: sources, tables filled row by row, and state logs that events and tickets derive from."""

    name: str
    description: str = ""
    #: Values that mean "no value" in every source (besides an empty cell), compared ignoring case and spaces.
    missing_values: list[str] = Field(default_factory=list)
    sources: dict[str, SourceSpec] = Field(min_length=1)
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    state_logs: list[StateLogSpec] = Field(default_factory=list)

    @field_validator("missing_values", mode="before")
    @classmethod
    def _missing_as_text(cls, value: Any) -> Any:
        return [scalar_text(item) for item in value] if isinstance(value, list) else value

    def missing_values_of(self, source: str) -> list[str]:
        """The values that mean "no value" in `source` (its own list, else the mapping's)."""
        spec = self.sources[source].missing_values
        return self.missing_values if spec is None else spec

    @model_validator(mode="after")
    def _consistent(self) -> Mapping:
        producers = [(f"tables.{name}", spec.from_) for name, spec in self.tables.items()]
        producers += [(f"state_logs[{i}]", log.from_) for i, log in enumerate(self.state_logs)]
        if not producers:
            raise ValueError("the mapping fills no table: add `tables` or `state_logs`")
        for where, source in producers:
            if source not in self.sources:
                raise ValueError(
                    f"{where}: `from: {source}` names no source (sources: {', '.join(self.sources)})"
                )
        for name, spec in self.tables.items():
            _check_table(name, spec)
        ticket_producers = ["tables.tickets"] if "tickets" in self.tables else []
        for i, log in enumerate(self.state_logs):
            unknown = sorted(set(log.ticket_columns) - set(TABLES["tickets"].column_names) - {"id"})
            if unknown or "id" in log.ticket_columns:
                raise ValueError(f"state_logs[{i}].tickets.columns: not ticket columns: {unknown or ['id']}")
            if log.derives_tickets:
                ticket_producers.append(f"state_logs[{i}]")
        if len(ticket_producers) > 1:
            raise ValueError(
                f"tickets would come from {' and '.join(ticket_producers)}: keep one "
                "(set `tickets: false` on a state log whose tickets come from elsewhere)"
            )
        return self

    def produced_tables(self) -> list[str]:
        names = set(self.tables)
        if self.state_logs:
            names.add("ticket_events")
        if any(log.derives_tickets for log in self.state_logs):
            names.add("tickets")
        return sorted(names)


def _check_table(name: str, spec: TableSpec) -> None:
    if name not in TABLES:
        raise ValueError(f"tables.{name}: not a canonical table (tables: {', '.join(TABLES)})")
    table = TABLES[name]
    unknown = sorted(set(spec.columns) - set(table.column_names))
    if unknown:
        raise ValueError(f"tables.{name}.columns: {unknown} not in {name} ({', '.join(table.column_names)})")
    missing = [column for column in table.required_columns if column not in spec.columns]
    if missing:
        raise ValueError(f"tables.{name}.columns: required column(s) {missing} are not mapped")
    for column, value in spec.columns.items():
        if value.pick is not None:
            raise ValueError(
                f"tables.{name}.columns.{column}: `pick` only applies to tickets derived from a log"
            )
        allowed = ENUMERATED.get((name, column))
        if allowed and value.values:
            wrong = sorted({str(item) for item in value.values.values() if item not in (*allowed, None)})
            if wrong:
                raise ValueError(f"tables.{name}.columns.{column}.values: {wrong} not in {list(allowed)}")


def parse_mapping(text: str, origin: str) -> Mapping:
    """Read a mapping from YAML text; `origin` (a file name) starts every error message."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidMapping(f"{origin}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise InvalidMapping(f"{origin}: a mapping is a YAML object with `name`, `sources` and `tables`")
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{location}: {message}" if location else message)
        raise InvalidMapping(f"{origin}: " + "; ".join(problems)) from None


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file (YAML, UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidMapping(f"mapping {path}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InvalidMapping(f"mapping {path}: not UTF-8 (byte {error.start})") from None
    return parse_mapping(text, path.name)
