"""SQL for one mapped value: rename, value map, constant, time parsing and typing, with its reject condition.

Every source value is text (readers load sources as VARCHAR). A compiled value is a set of SQL expressions over
one source row: the typed value, whether a present value is unusable, and the reason, so that a whole table is
checked in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass

from metrics.importers.specs import ISO_FORMAT, Condition, Scalar, ValueSpec
from metrics.plausible import DateWindow
from metrics.schema import DUCKDB_TYPES, ColumnType

TYPE_WORDS: dict[ColumnType, str] = {
    "id": "an id",
    "text": "text",
    "timestamp": "a date and time",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}

#: Times such as `2024-03-01T08:00:00+01:00`, `... 08:00:00Z` or `... 08:00:00 +0100` carry their own offset.
_OFFSET = r"\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)$"
_SPACED_OFFSET = r"(\d)\s+([+-]\d\d(:?\d\d)?|Z)$"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: Scalar) -> str:
    """A SQL literal for a YAML scalar (text stays text)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def text_lit(value: Scalar) -> str:
    """A VARCHAR literal for a YAML scalar (`true` becomes 'true')."""
    if value is None:
        return "NULL::VARCHAR"
    if isinstance(value, bool):
        return lit("true" if value else "false")
    return lit(str(value))


def in_list(values: list[str] | tuple[str, ...]) -> str:
    return "(" + ", ".join(lit(value.lower()) for value in values) + ")"


def condition_sql(
    condition: Condition | None, columns: MappingType[str, str | None], *, negate: bool = False
) -> str:
    """SQL for `where`/`when`: each named column holds one of its values (case-insensitive); all must hold."""
    if not condition:
        return "TRUE"
    parts = []
    for name, accepted in condition.items():
        actual = columns.get(name)
        value = "NULL::VARCHAR" if actual is None else f"lower(nullif(trim({ident(actual)}), ''))"
        test = f"coalesce({value} IN {in_list(accepted)}, FALSE)"
        parts.append(f"NOT {test}" if negate else test)
    return "(" + (" OR " if negate else " AND ").join(parts) + ")"


def row_filter(
    where: Condition | None,
    where_not: Condition | None,
    skip_if_empty: list[str],
    columns: MappingType[str, str | None],
) -> str:
    """SQL keeping the rows a table or log takes: `where` holds, `where_not` does not, no listed column empty."""
    parts = [condition_sql(where, columns), condition_sql(where_not, columns, negate=True)]
    for name in skip_if_empty:
        actual = columns.get(name)
        parts.append(
            "FALSE" if actual is None else f"nullif(trim(CAST({ident(actual)} AS VARCHAR)), '') IS NOT NULL"
        )
    return " AND ".join(parts)


def quoted(expression: str) -> str:
    """SQL text that shows a value in quotes inside a reason."""
    return f"'''' || {expression} || ''''"


@dataclass(frozen=True)
class Compiled:
    """SQL expressions for one canonical value of one source row."""

    value: str
    raw: str
    invalid: str
    reason: str
    drop: str
    label: str
    #: The row goes to rejects even when the column is optional (a value map with `other: reject`).
    refuse: str = "FALSE"


def parse_time(text: str, formats: list[str] | None, time_zone: str) -> str:
    """SQL turning text into TIMESTAMPTZ; times without an offset are read in `time_zone`."""
    zone = lit(time_zone)
    if formats == ["epoch"] or formats == ["epoch_ms"]:
        scale = "1000.0" if formats == ["epoch_ms"] else "1.0"
        number = f"TRY_CAST({text} AS DOUBLE) / {scale}"
        return f"CASE WHEN abs({number}) < 1e11 THEN to_timestamp({number}) END"
    patterns = [item for item in formats or [] if item != ISO_FORMAT]
    if patterns:
        parsed = f"try_strptime({text}, [{', '.join(lit(item) for item in patterns)}])"
        if not any("%z" in item or "%Z" in item for item in patterns):
            parsed = f"timezone({zone}, {parsed})"
        if formats and ISO_FORMAT in formats:
            return f"coalesce({_iso_time(text, zone)}, {parsed})"
        return parsed
    return _iso_time(text, zone)


def _iso_time(text: str, zone: str) -> str:
    joined = f"regexp_replace({text}, {lit(_SPACED_OFFSET)}, '\\1\\2')"
    return (
        f"CASE WHEN regexp_matches({joined}, {lit(_OFFSET)}) THEN TRY_CAST({joined} AS TIMESTAMPTZ) "
        f"ELSE timezone({zone}, TRY_CAST({joined} AS TIMESTAMP)) END"
    )


def compile_value(
    spec: ValueSpec | None,
    column_type: ColumnType,
    columns: MappingType[str, str | None],
    *,
    time_zone: str,
    allowed: tuple[str, ...] | None = None,
    what: str = "value",
    default_other: str = "keep",
    window: DateWindow | None = None,
) -> Compiled:
    """The SQL of one mapped value. `columns` resolves the mapping's column names to the source's (None: absent).

    A time outside `window` is unusable, like text that is no time: its row is rejected, or the value emptied
    in an optional column.
    """
    sql_type = DUCKDB_TYPES[column_type]
    if spec is None:
        return Compiled(f"NULL::{sql_type}", "NULL::VARCHAR", "FALSE", "NULL::VARCHAR", "FALSE", "")
    if spec.column is None:
        raw = text_lit(spec.constant)
    else:
        actual = columns.get(spec.column)
        raw = "NULL::VARCHAR" if actual is None else f"nullif(trim(CAST({ident(actual)} AS VARCHAR)), '')"
    checks: list[tuple[str, str]] = []
    drop = refuse = "FALSE"
    text = raw
    if spec.values:
        keys = in_list(list(spec.values))
        cases = " ".join(
            f"WHEN {lit(key.lower())} THEN {text_lit(value)}" for key, value in spec.values.items()
        )
        other = spec.other or default_other
        unmapped = f"({raw} IS NOT NULL AND lower({raw}) NOT IN {keys})"
        text = f"(CASE lower({raw}) {cases} ELSE {raw if other == 'keep' else 'NULL::VARCHAR'} END)"
        if other == "drop":
            drop = unmapped
        elif other == "reject":
            refuse = unmapped
            checks.append(
                (unmapped, f"{quoted(raw)} || ' is not one of the values mapped for {_safe(spec.label)}'")
            )
    value = _typed(text, column_type, spec.format, spec.time_zone or time_zone)
    if column_type != "text" and column_type != "id":
        checks.append(
            (
                f"({text} IS NOT NULL AND {value} IS NULL)",
                f"{quoted(raw)} || ' is not {_type_words(column_type, spec)}'",
            )
        )
    if column_type == "timestamp" and window is not None:
        checks.append((window.outside_sql(value), window.reason_sql(value, raw)))
    if allowed is not None:
        value = f"lower({value})"
        expected = ", ".join(allowed)
        checks.append(
            (
                f"({value} IS NOT NULL AND {value} NOT IN {in_list(allowed)})",
                f"'unknown {what} ' || {quoted(raw)} || ' (expected one of: {expected})'",
            )
        )
    invalid = " OR ".join(check for check, _ in checks) or "FALSE"
    reason = (
        "CASE " + " ".join(f"WHEN {check} THEN {why}" for check, why in checks) + " END"
        if checks
        else "NULL::VARCHAR"
    )
    if spec.when:
        condition = condition_sql(spec.when, columns)
        value = f"CASE WHEN {condition} THEN {value} END"
        invalid = f"({condition} AND ({invalid}))"
        drop = f"({condition} AND {drop})"
        refuse = f"({condition} AND {refuse})"
    return Compiled(
        value,
        raw,
        f"coalesce({invalid}, FALSE)",
        reason,
        f"coalesce({drop}, FALSE)",
        spec.label,
        f"coalesce({refuse}, FALSE)",
    )


def _typed(text: str, column_type: ColumnType, formats: list[str] | None, time_zone: str) -> str:
    if column_type == "timestamp":
        return parse_time(text, formats, time_zone)
    if column_type in ("id", "text"):
        return text
    return f"TRY_CAST({text} AS {DUCKDB_TYPES[column_type]})"


def _type_words(column_type: ColumnType, spec: ValueSpec) -> str:
    if column_type == "timestamp" and spec.format:
        shown = ["ISO-8601" if item == ISO_FORMAT else item for item in spec.format]
        return "a date and time in the format " + " or ".join(shown).replace("'", "''")
    if column_type == "timestamp":
        return "an ISO-8601 date and time"
    return TYPE_WORDS[column_type]


def _safe(text: str) -> str:
    """Text placed inside a SQL string literal."""
    return text.replace("'", "''")
