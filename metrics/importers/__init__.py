"""Importers: read help-desk exports (CSV, gzip, zip, Parquet, JSON lines), map them with a YAML mapping onto
the canonical tables, and write them as Parquet into an organisation's data folder."""

from metrics.importers.errors import InvalidMapping
from metrics.importers.mapping import Mapping, load_mapping, parse_mapping
from metrics.importers.merging import TableChange
from metrics.importers.models import FileCount, ImportReport, TableCount
from metrics.importers.pipeline import DEFAULT_MAX_FILE_BYTES, DEFAULT_MEMORY_LIMIT_BYTES, import_sources
from metrics.importers.presets import load_preset, preset_names
from metrics.importers.versions import UndoReport, Version, list_versions, undo_import

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MEMORY_LIMIT_BYTES",
    "FileCount",
    "ImportReport",
    "InvalidMapping",
    "Mapping",
    "TableChange",
    "TableCount",
    "UndoReport",
    "Version",
    "import_sources",
    "list_versions",
    "load_mapping",
    "load_preset",
    "parse_mapping",
    "preset_names",
    "undo_import",
]
