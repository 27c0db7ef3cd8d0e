"""Read one source file into DuckDB as text columns plus `__src` (file number) and `__line` (where it came from).

CSV goes through DuckDB's reader with its rejects table (malformed rows, bytes that are not UTF-8), Parquet
through `read_parquet`, JSON lines through DuckDB's JSON functions one line at a time. `__line` counts like
DuckDB does: the header is line 1 and a record with quoted line breaks counts as one line. For Parquet it is
the row number (first row 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from metrics.importers.files import FileProblem, SourceFile
from metrics.importers.sql import ident, lit


@dataclass(frozen=True)
class RawTable:
    """A source file loaded as text: its DuckDB table, its columns in file order, and its row count."""

    table: str
    columns: list[str]
    rows: int


def read_source(
    connection: duckdb.DuckDBPyConnection, file: SourceFile, index: int, delimiter: str | None
) -> RawTable | FileProblem:
    """Load `file` as table `raw_<index>`; rows DuckDB cannot parse go to the `rejects` table."""
    try:
        if file.format == "csv":
            _read_csv(connection, file, index, delimiter)
        elif file.format == "parquet":
            connection.execute(
                f"CREATE TEMP TABLE parquet_{index} AS SELECT * FROM read_parquet(?)", [str(file.path)]
            )
            connection.execute(
                f"CREATE TEMP TABLE raw_{index} AS SELECT {index} AS __src, rowid + 1 AS __line, "
                f"CAST(COLUMNS(*) AS VARCHAR) FROM parquet_{index}"
            )
        else:
            _read_json_lines(connection, file, index)
    except duckdb.Error as error:
        return FileProblem(file.name, f"cannot be read as {file.format}: {_first_line(error)}")
    columns = [row[0] for row in connection.execute(f"DESCRIBE raw_{index}").fetchall()][2:]
    row = connection.execute(f"SELECT count(*) FROM raw_{index}").fetchone()
    rows = int(row[0]) if row else 0
    if rows == 0:
        parsed = connection.execute("SELECT count(*) FROM rejects WHERE file = ?", [file.name]).fetchone()
        if not parsed or not parsed[0]:
            return FileProblem(file.name, "the file has no rows", 1 if file.format == "csv" else None)
    return RawTable(f"raw_{index}", columns, rows)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _read_csv(
    connection: duckdb.DuckDBPyConnection, file: SourceFile, index: int, delimiter: str | None
) -> None:
    options = ", delim = ?" if delimiter else ""
    parameters = [str(file.path)] + ([delimiter] if delimiter else [])
    connection.execute(
        f"CREATE TEMP TABLE csv_{index} AS SELECT * FROM read_csv(?, header = true, all_varchar = true, "
        f"store_rejects = true, rejects_table = 'csv_errors_{index}', rejects_scan = 'csv_scans_{index}'"
        f"{options})",
        parameters,
    )
    connection.execute(
        f"""
        INSERT INTO rejects
        SELECT {lit(file.name)}, line, coalesce(column_name, ''), '',
               lower(error_type) || ': ' || error_message, 'rejected'
        FROM csv_errors_{index}
        """
    )
    errors = connection.execute(f"SELECT count(*) FROM csv_errors_{index}").fetchone()
    if not errors or not errors[0]:
        connection.execute(
            f"CREATE TEMP VIEW raw_{index} AS SELECT {index} AS __src, rowid + 2 AS __line, * FROM csv_{index}"
        )
        return
    # DuckDB leaves rejected rows out: a row's line is its position plus the rejected lines before it.
    connection.execute(
        f"""
        CREATE TEMP TABLE raw_{index} AS
        WITH bad AS (SELECT DISTINCT line FROM csv_errors_{index}),
             steps AS (SELECT line - 1 - row_number() OVER (ORDER BY line) AS threshold,
                              row_number() OVER (ORDER BY line) AS passed FROM bad),
             step AS (SELECT threshold, max(passed) AS passed FROM steps GROUP BY threshold),
             numbered AS (SELECT rowid AS __position, * FROM csv_{index})
        SELECT {index} AS __src, n.__position + 2 + coalesce(s.passed, 0) AS __line, n.* EXCLUDE (__position)
        FROM numbered n ASOF LEFT JOIN step s ON n.__position >= s.threshold
        ORDER BY n.__position
        """
    )


def _read_json_lines(connection: duckdb.DuckDBPyConnection, file: SourceFile, index: int) -> None:
    name = lit(file.name)
    # One text column per physical line: JSON strings cannot hold a raw \x1f, so no line is ever split.
    connection.execute(
        f"CREATE TEMP TABLE lines_{index} AS SELECT * FROM read_csv(?, columns = {{'j': 'VARCHAR'}}, "
        "header = false, delim = '\x1f', quote = '', escape = '', auto_detect = false, strict_mode = false)",
        [str(file.path)],
    )
    connection.execute(
        f"""
        CREATE TEMP TABLE json_{index} AS
        SELECT rowid + 1 AS __line, j, json_valid(j) AS valid FROM lines_{index} WHERE trim(coalesce(j, '')) <> ''
        """
    )
    connection.execute(
        f"""
        CREATE TEMP TABLE objects_{index} AS
        SELECT __line, j::JSON AS j FROM json_{index}
        WHERE valid AND (CASE WHEN valid THEN json_type(j) END) = 'OBJECT'
        """
    )
    connection.execute(
        f"""
        INSERT INTO rejects
        SELECT {name}, __line, '', '',
               CASE WHEN valid THEN 'not a JSON object' ELSE 'not valid JSON' END, 'rejected'
        FROM json_{index} line WHERE NOT EXISTS (SELECT 1 FROM objects_{index} o WHERE o.__line = line.__line)
        """
    )
    keys = [
        row[0]
        for row in connection.execute(
            f"""
            SELECT key FROM (
                SELECT unnest(json_keys(j)) AS key, __line, generate_subscripts(json_keys(j), 1) AS position
                FROM objects_{index})
            GROUP BY key ORDER BY min(__line), min(position), key
            """
        ).fetchall()
    ]
    selects = "".join(f", json_extract_string(j, {lit(_pointer(key))}) AS {ident(key)}" for key in keys)
    connection.execute(
        f"CREATE TEMP TABLE raw_{index} AS SELECT {index} AS __src, __line{selects} FROM objects_{index}"
    )


def _pointer(key: str) -> str:
    """A JSON pointer (RFC 6901) to a top-level key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
