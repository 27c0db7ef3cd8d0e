"""Value specs of a mapping: how one canonical column gets its value (a source column renamed, mapped, parsed,
or a constant), and the extra events of a state log. Part of the mapping format (docs/importing.md)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

Scalar = str | int | float | bool | None
#: Keep a row only when each named source column holds one of the listed values (compared case-insensitively).
Condition = dict[str, list[str]]
#: A time format that stands for ISO-8601 (with or without an offset), tried among the other formats.
ISO_FORMAT = "iso"


def scalar_text(value: object) -> str:
    """YAML 1.1 reads `yes`, `1` or `2024-01-01` as non-strings: map keys and condition values are text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def condition(value: object) -> object:
    if not isinstance(value, dict):
        return value
    return {
        str(column): [scalar_text(item) for item in (accepted if isinstance(accepted, list) else [accepted])]
        for column, accepted in value.items()
    }


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ValueSpec(Strict):
    """How one canonical column gets its value: from a source column (renamed, mapped, parsed) or a constant."""

    column: str | None = None
    constant: Scalar = None
    values: dict[str, Scalar] | None = None
    other: Literal["keep", "empty", "reject", "drop"] | None = None
    format: list[str] | None = None
    time_zone: str | None = None
    when: Condition | None = None
    pick: Literal["first", "last"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        return {scalar_text(key): item for key, item in value.items()} if isinstance(value, dict) else value

    @field_validator("format", mode="before")
    @classmethod
    def _one_or_more_formats(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("when", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        return condition(value)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)

    @model_validator(mode="after")
    def _one_origin(self) -> ValueSpec:
        has_constant = "constant" in self.model_fields_set
        if (self.column is None) == (not has_constant):
            raise ValueError("give exactly one of `column` or `constant`")
        if has_constant and (self.values or self.format or self.other):
            raise ValueError("a `constant` takes no `values`, `other` or `format`")
        if self.format:
            special = [item for item in self.format if item in {"epoch", "epoch_ms"}]
            if special and len(self.format) > 1:
                raise ValueError("`epoch` and `epoch_ms` cannot be combined with other formats")
            patterns = [item for item in self.format if item not in special and item != ISO_FORMAT]
            zoned = {("%z" in item or "%Z" in item) for item in patterns}
            if len(zoned) > 1:
                raise ValueError("either every format carries a zone (%z) or none does")
            for item in patterns:
                _check_format(item)
        return self

    @property
    def label(self) -> str:
        """How messages name this value's origin: the source column, or 'constant'."""
        return self.column if self.column is not None else "constant"


class EventSpec(ValueSpec):
    """Extra events of a state log: a value map onto event kinds, made on every row or on a change of value."""

    emit: Literal["every_row", "on_change"] = "every_row"


@lru_cache(maxsize=256)
def _check_format(text: str) -> None:
    """A strptime format DuckDB understands (it is the one that parses the times)."""
    with duckdb.connect(":memory:") as connection:
        try:
            connection.execute("SELECT try_strptime('', ?)", [text])
        except duckdb.Error as error:
            raise ValueError(f"format {text!r}: {str(error).splitlines()[0]}") from None


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Rome)") from None
    return name
