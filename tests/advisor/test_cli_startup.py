"""`advisor --help` and the light commands start without the heavy libraries (issue 18: < 1 s of CPU)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "torch",
    "sentence_transformers",
    "onnxruntime",
    "chromadb",
    "statsmodels",
    "sqlalchemy",
    "langchain_core",
    "fastapi",
    "knowledge.index",
    "advisor.composition",
    "advisor.service",
)


def test_the_command_line_loads_no_heavy_library_until_a_command_needs_it() -> None:
    probe = (
        "import sys; from typer.testing import CliRunner; from advisor.cli import app; "
        "result = CliRunner().invoke(app, ['--help']); assert result.exit_code == 0, result.output; "
        f"print(','.join(name for name in {HEAVY!r} if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert loaded == ""
