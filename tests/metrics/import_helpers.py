"""Running an import over small export files written by a test."""

from __future__ import annotations

from pathlib import Path

from metrics.importers import ImportReport, import_sources
from metrics.importers.mapping import parse_mapping


def import_files(
    tmp_path: Path, files: dict[str, bytes | str], mapping: str, **options: object
) -> ImportReport:
    """Write `files` to a source folder and import them all into `tmp_path / 'org'` through `mapping`."""
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths.append(path)
    return import_sources(paths, tmp_path / "org", parse_mapping(mapping, "test.yaml"), **options)  # type: ignore[arg-type]
