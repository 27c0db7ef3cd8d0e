"""Turn the demo's numpy arrays into canonical CSV files (ids, ISO-8601 times, labels)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from metrics.demo.sampling import Bools, Ints
from metrics.schema import TABLES

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def id_column(prefix: str, count: int, min_width: int) -> pa.Array:
    """Ids `prefix` + zero-padded 1..count, e.g. T000001."""
    width = max(min_width, len(str(count)))
    numbers = np.arange(1, count + 1).astype(np.str_)
    return pa.array(np.strings.add(prefix, np.strings.zfill(numbers, width)))


def refs(ids: pa.Array, index: Ints) -> pa.Array:
    """The ids at `index`; null where `index` is negative."""
    return ids.take(pa.array(index, mask=index < 0))


def labels(names: Sequence[str], codes: Ints) -> pa.Array:
    """Names for codes; null where a code is negative."""
    return pa.array(list(names)).take(pa.array(codes, mask=codes < 0))


def times(seconds: Ints, valid: Bools | None = None) -> pa.Array:
    """ISO-8601 UTC strings with offset for epoch seconds; null where not `valid`."""
    mask = None if valid is None else ~valid
    return pc.strftime(pa.array(seconds, type=pa.timestamp("s"), mask=mask), format=_TIME_FORMAT)


def booleans(values: Bools, valid: Bools | None = None) -> pa.Array:
    return pa.array(values, mask=None if valid is None else ~valid)


def build_table(name: str, columns: Mapping[str, pa.Array]) -> pa.Table:
    """A table with exactly the canonical columns of `name`, in schema order."""
    expected = TABLES[name].column_names
    if set(columns) != set(expected):
        raise ValueError(f"{name}: columns {sorted(columns)} do not match the schema {list(expected)}")
    return pa.table({column: columns[column] for column in expected})


def write_csv(out_dir: Path, name: str, table: pa.Table) -> None:
    """Write `<name>.csv` with a plain header line and quoting only where a value needs it."""
    with (out_dir / f"{name}.csv").open("wb") as sink:
        sink.write((",".join(table.column_names) + "\n").encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        pa_csv.write_csv(table, sink, write_options=options)
