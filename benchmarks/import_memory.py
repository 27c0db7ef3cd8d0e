"""Peak memory of imports: the largest file the size limit allows, and a small, highly compressible .csv.gz.

Each import runs in a fresh process (as the data page runs them), whose peak resident set size is measured.
Prints JSON: per case the file's size on disk and unpacked, rows, seconds, peak RSS, and the goal (2 GiB).

    python benchmarks/import_memory.py [--max-bytes 268435456] [--memory-bytes 1073741824] [--gz-bytes 1500000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.targets import goal  # noqa: E402

GOAL_BYTES = int(goal("import_memory", "peak_bytes").value)
MAPPING = """
name: benchmark
sources:
  tickets: {match: ["*.csv", "*.csv.gz"]}
tables:
  tickets:
    from: tickets
    columns: {id: Ticket, created_at: Opened, resolved_at: Solved, team: Team}
"""
HEADER = b"Ticket,Opened,Solved,Team\n"
#: One import in a child process: prints rows, rejects (or the error) and the child's peak RSS.
CHILD = """
import json, sys, time
from pathlib import Path
from metrics.errors import MetricsError
from metrics.importers import import_sources, parse_mapping
source, into, mapping, limit, memory = sys.argv[1:6]
started = time.monotonic()
result = {}
try:
    report = import_sources([source], Path(into), parse_mapping(mapping, "benchmark.yaml"),
                            max_file_bytes=int(limit), memory_limit_bytes=int(memory), replace=["all"])
    result = {"rows": sum(t.rows for t in report.tables), "rejects": report.rejects,
              "refused": [f.file for f in report.files if f.rows == 0]}
except MetricsError as error:
    result = {"error": str(error)[:300]}
result["seconds"] = round(time.monotonic() - started, 1)
# VmHWM: this process's own peak (ru_maxrss carries a parent's size over fork and exec)
status = Path("/proc/self/status").read_text().splitlines()
result["peak_rss_bytes"] = int(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) * 1024
print(json.dumps(result))
"""


def write_distinct(path: Path, target_bytes: int) -> int:
    """A CSV of distinct tickets just under `target_bytes`; returns its rows."""
    rows = 0
    with path.open("wb") as out:
        out.write(HEADER)
        written = len(HEADER)
        block: list[bytes] = []
        while True:
            line = f"T{rows},2026-03-{rows % 28 + 1:02d}T08:00:00Z,2026-03-{rows % 28 + 1:02d}T10:30:00Z,Team {rows % 40}\n"
            encoded = line.encode()
            if written + len(encoded) > target_bytes:
                break
            block.append(encoded)
            written += len(encoded)
            rows += 1
            if len(block) >= 100_000:
                out.write(b"".join(block))
                block.clear()
        out.write(b"".join(block))
    return rows


def write_compressible(path: Path, gz_bytes: int) -> int:
    """A .csv.gz of one repeated row (an export of duplicates) of about `gz_bytes`; returns unpacked bytes."""
    line = b"T1,2026-03-01T08:00:00Z,2026-03-01T10:30:00Z,Billing\n"
    chunk = line * 200_000
    unpacked = len(HEADER)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(HEADER)
        while path.stat().st_size < gz_bytes:
            out.write(chunk)
            unpacked += len(chunk)
            out.flush()
    return unpacked


def measure(source: Path, work: Path, limit: int, memory: int) -> dict[str, object]:
    into = work / f"org-{source.name}"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(into), MAPPING, str(limit), str(memory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-bytes", type=int, default=256 * 1024**2, help="the size limit (upload default)"
    )
    parser.add_argument("--memory-bytes", type=int, default=1024**3, help="the import's DuckDB memory limit")
    parser.add_argument("--gz-bytes", type=int, default=1_500_000, help="size of the compressible .csv.gz")
    arguments = parser.parse_args()
    cases = []
    with tempfile.TemporaryDirectory(prefix="import-memory-") as folder:
        work = Path(folder)
        largest = work / "largest.csv"
        rows = write_distinct(largest, arguments.max_bytes)
        result = measure(largest, work, arguments.max_bytes, arguments.memory_bytes)
        cases.append(
            {
                "case": "largest file the limit allows",
                "bytes": largest.stat().st_size,
                "source_rows": rows,
                **result,
            }
        )
        largest.unlink()
        packed = work / "compressible.csv.gz"
        unpacked = write_compressible(packed, arguments.gz_bytes)
        for limit, label in (
            (arguments.max_bytes, "under the limit"),
            (max(arguments.max_bytes, unpacked + 1), "limit raised to fit"),
        ):
            result = measure(packed, work, limit, arguments.memory_bytes)
            cases.append(
                {
                    "case": f"compressible .csv.gz ({label})",
                    "bytes": packed.stat().st_size,
                    "unpacked_bytes": unpacked,
                    "limit_bytes": limit,
                    **result,
                }
            )
    peak = max(int(str(case["peak_rss_bytes"])) for case in cases)
    print(
        json.dumps(
            {
                "max_file_bytes": arguments.max_bytes,
                "memory_limit_bytes": arguments.memory_bytes,
                "goal_bytes": GOAL_BYTES,
                "peak_rss_bytes": peak,
                "within_goal": peak <= GOAL_BYTES,
                "goal": goal("import_memory", "peak_bytes").check(peak),
                "this_process_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "cases": cases,
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
