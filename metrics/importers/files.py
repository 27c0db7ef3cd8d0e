"""Source files on disk: which mapping source each feeds, size limits, zip members, and text made UTF-8.

The size limit holds for the bytes DuckDB reads: gzip files and zip members are unpacked into the import's
scratch folder a block at a time, and stop at the limit (a 1 MB .csv.gz may hold gigabytes of repeated rows).
"""

from __future__ import annotations

import codecs
import fnmatch
import gzip
import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Literal

from charset_normalizer import from_bytes

from metrics.errors import InvalidInputData
from metrics.importers.mapping import Mapping, SourceSpec

Format = Literal["csv", "parquet", "jsonl"]

#: How much of a text file decides its encoding.
SAMPLE_BYTES = 1 << 20
_SUFFIX_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_UTF_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\ufffd]")


@dataclass(frozen=True)
class FileProblem:
    """A whole file (or its header) that cannot be used. `line` is None when the problem is not on one line."""

    file: str
    reason: str
    line: int | None = None
    column: str = ""


@dataclass(frozen=True)
class SourceFile:
    """One readable input: a file, or a member unpacked from an archive, with UTF-8 text."""

    source: str
    name: str
    path: Path
    format: Format


@dataclass
class Prepared:
    files: list[SourceFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def assign_files(arguments: Sequence[str | Path], mapping: Mapping) -> dict[str, list[Path]]:
    """Which files feed which source: `NAME=FILE` names the source, otherwise the first `match` that fits."""
    assigned: dict[str, list[Path]] = {name: [] for name in mapping.sources}
    seen: set[Path] = set()
    for argument in arguments:
        text = str(argument)
        name, _, rest = text.partition("=")
        source: str | None
        if rest and name in mapping.sources:
            path, source = Path(rest), name
        else:
            path, source = Path(text), _matching_source(Path(text).name, mapping)
        if not path.is_file():
            raise InvalidInputData(f"source file {path} does not exist")
        if source is None:
            patterns = "; ".join(f"{key}: {', '.join(spec.match)}" for key, spec in mapping.sources.items())
            raise InvalidInputData(
                f"{path.name} matches no source of mapping {mapping.name!r} ({patterns}); "
                f"name it as SOURCE=FILE (sources: {', '.join(mapping.sources)})"
            )
        if path.resolve() not in seen:
            seen.add(path.resolve())
            assigned[source].append(path)
    for name, spec in mapping.sources.items():
        if not assigned[name] and not spec.optional:
            raise InvalidInputData(
                f"no file for source {name!r} of mapping {mapping.name!r} (expected a file matching "
                f"{' or '.join(spec.match)}, or {name}=FILE)"
            )
    return assigned


def _matching_source(file_name: str, mapping: Mapping) -> str | None:
    for name, spec in mapping.sources.items():
        if any(fnmatch.fnmatch(file_name.lower(), pattern.lower()) for pattern in spec.match):
            return name
    return None


def prepare(path: Path, source: str, spec: SourceSpec, scratch: Path, max_file_bytes: int) -> Prepared:
    """Check a file's size, unpack it if it is a zip archive, and make its text UTF-8 for DuckDB."""
    prepared = Prepared()
    name = path.name
    size = path.stat().st_size
    if size > max_file_bytes:
        prepared.problems.append(FileProblem(name, _too_big(size, max_file_bytes)))
        return prepared
    if size == 0:
        prepared.problems.append(FileProblem(name, "the file is empty"))
        return prepared
    if path.suffix.lower() == ".zip":
        _unpack(path, source, spec, scratch, max_file_bytes, prepared)
    else:
        _add(path, name, source, spec, scratch, prepared, max_file_bytes)
    return prepared


def _too_big(size: int, limit: int) -> str:
    return f"the file holds {size:,} bytes, over the import limit of {limit:,} bytes (max file size setting)"


def _too_big_unpacked(limit: int) -> str:
    return (
        f"unpacked, the file holds more than {limit:,} bytes, over the import limit of {limit:,} bytes "
        "(max file size setting; the limit applies to the unpacked bytes too)"
    )


def _copy_capped(source: io.BufferedIOBase | IO[bytes], target: Path, limit: int) -> bool:
    """Copy `source` into `target` a block at a time; False (and `target` removed) beyond `limit` bytes."""
    written = 0
    with target.open("wb") as out:
        while block := source.read(1 << 20):
            written += len(block)
            if written > limit:
                break
            out.write(block)
    if written > limit:
        target.unlink()
        return False
    return True


def _unpack(path: Path, source: str, spec: SourceSpec, scratch: Path, limit: int, prepared: Prepared) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        prepared.problems.append(FileProblem(path.name, f"not a readable zip archive: {error}"))
        return
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith("._")
            and (
                any(fnmatch.fnmatch(info.filename, pattern) for pattern in spec.member)
                if spec.member
                else _format_of(info.filename, spec) is not None
            )
        ]
        if not members:
            wanted = " or ".join(spec.member) if spec.member else "a CSV, Parquet or JSON lines file"
            prepared.problems.append(FileProblem(path.name, f"the archive holds no {wanted}"))
        for info in members:
            name = f"{path.name}/{info.filename}"
            if info.file_size > limit:
                prepared.problems.append(FileProblem(name, _too_big(info.file_size, limit)))
                continue
            if info.file_size == 0:
                prepared.problems.append(FileProblem(name, "the file is empty"))
                continue
            target = _scratch_file(scratch, _suffixes(info.filename))
            try:
                with archive.open(info) as member:
                    if not _copy_capped(member, target, limit):
                        prepared.problems.append(FileProblem(name, _too_big_unpacked(limit)))
                        continue
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error) as error:
                prepared.problems.append(FileProblem(name, f"cannot be unpacked: {error}"))
                continue
            _add(target, name, source, spec, scratch, prepared, limit)


def _scratch_file(scratch: Path, suffix: str) -> Path:
    """A new, empty file in the import's scratch folder, with `suffix` (DuckDB reads by suffix)."""
    handle, name = tempfile.mkstemp(suffix=suffix, dir=scratch)
    os.close(handle)
    return Path(name)


def _suffixes(name: str) -> str:
    suffixes = PurePosixPath(name).suffixes[-2:]
    return "".join(suffix for suffix in suffixes if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix))


def _format_of(name: str, spec: SourceSpec) -> Format | None:
    if spec.format != "auto":
        return spec.format
    suffixes = [suffix.lower() for suffix in PurePosixPath(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return _SUFFIX_FORMATS.get(suffixes[-1]) if suffixes else None


def _add(
    path: Path, name: str, source: str, spec: SourceSpec, scratch: Path, prepared: Prepared, limit: int
) -> None:
    file_format = _format_of(name, spec)
    if file_format is None:
        prepared.problems.append(
            FileProblem(
                name, "unknown file type: use .csv, .parquet or .jsonl (optionally .gz), or set `format`"
            )
        )
        return
    if _is_gzip(path):
        unpacked = _scratch_file(
            scratch, {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}[file_format]
        )
        try:
            with gzip.GzipFile(path, "rb") as packed:
                if not _copy_capped(packed, unpacked, limit):
                    prepared.problems.append(FileProblem(name, _too_big_unpacked(limit)))
                    return
        except (OSError, EOFError, zlib.error) as error:
            prepared.problems.append(FileProblem(name, f"cannot be read: {error}"))
            return
        path = unpacked
        if unpacked.stat().st_size == 0:
            prepared.problems.append(FileProblem(name, "the file is empty"))
            return
    if file_format == "parquet":
        prepared.files.append(SourceFile(source, name, path, file_format))
        return
    try:
        with _open_binary(path) as handle:
            sample = handle.read(SAMPLE_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        prepared.problems.append(FileProblem(name, f"cannot be read: {error}"))
        return
    if not sample:
        prepared.problems.append(FileProblem(name, "the file is empty"))
        return
    encoding = spec.encoding or detect_encoding(sample)
    if encoding is None:
        prepared.problems.append(FileProblem(name, "not text: no character encoding fits it"))
        return
    if codecs.lookup(encoding).name == "utf-8":
        prepared.files.append(SourceFile(source, name, path, file_format))
        return
    target = _scratch_file(scratch, ".jsonl" if file_format == "jsonl" else ".csv")
    try:
        with _open_binary(path) as raw, target.open("w", encoding="utf-8", newline="") as out:
            reader = codecs.getreader(encoding)(raw)
            shutil.copyfileobj(reader, out, 1 << 20)
    except UnicodeDecodeError as error:
        prepared.problems.append(
            FileProblem(name, f"read as {encoding}, but holds bytes that are not {encoding} ({error.reason})")
        )
        return
    prepared.notices.append(f"{name}: read as {encoding}" + ("" if spec.encoding else " (detected)"))
    prepared.files.append(SourceFile(source, name, target, file_format))


def _open_binary(path: Path) -> io.BufferedIOBase:
    if _is_gzip(path):
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def detect_encoding(sample: bytes) -> str | None:
    """The encoding of a text sample: UTF-8 when it is (even with a few broken bytes), else charset-normalizer's
    best guess, preferring Windows-1252 among equally good ones (the usual encoding of Western exports)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if not sample.startswith(_UTF_BOMS):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            # valid multi-byte UTF-8 beside broken bytes: UTF-8 with errors, which DuckDB rejects line by line
            if _NON_ASCII_TEXT.search(sample.decode("utf-8", errors="replace")):
                return "utf-8"
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return None
    ties = {
        match.encoding for match in matches if match.chaos == best.chaos and match.coherence == best.coherence
    }
    for preferred in ("utf_8", "cp1252", "latin_1"):
        if preferred in ties:
            return preferred
    return str(best.encoding)
