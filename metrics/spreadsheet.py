"""CSV cells a spreadsheet would run as formulas (CSV injection): one rule for every CSV the product writes.

Following OWASP, a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
single quote, so that Excel, LibreOffice and Google Sheets show `=HYPERLINK(...)` as text. Numbers are
written as numbers (a negative amount stays -12.5): only text cells are touched.
"""

from __future__ import annotations

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell made safe to open in a spreadsheet; any other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised_sql(text: str) -> str:
    """DuckDB SQL for the VARCHAR expression `text` made safe like `neutralise` (NULL stays NULL)."""
    starts = ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS)
    return f"CASE WHEN left({text}, 1) IN ({starts}) THEN '''' || {text} ELSE {text} END"
