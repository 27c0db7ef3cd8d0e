"""Uploads of the data page: a multipart body streamed into a folder under a hard per-file size limit, and
each file's type checked by its name and by its first bytes before anything is imported."""

from __future__ import annotations

import gzip
import re
import shutil
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

#: What the importers read (metrics.importers.files), and which of them may come gzip-compressed.
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson")
EXPORT_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", ".pq", ".zip")
MAPPING_SUFFIXES = (".yaml", ".yml")
ACCEPT_EXPORTS = ",".join((*EXPORT_SUFFIXES, ".gz"))
#: At most this many export files in one upload, a mapping of at most this size, short form fields.
MAX_FILES = 20
MAX_MAPPING_BYTES = 1024**2
MAX_FIELD_BYTES = 4096
#: After a refusal the rest of the body is read (and dropped) up to this much, so that a browser still
#: sees the answer instead of a connection reset; beyond it the connection is closed.
DRAIN_BYTES = 64 * 1024**2
SNIFF_BYTES = 8192

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel or Office file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\x1f\x8b", "a gzip file (name it .csv.gz)"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class UploadRejected(Exception):
    """An upload that is refused as a whole: `status_code` 400 (a wrong file), 413 (too large), 409."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass
class ReceivedUpload:
    """The stored export files (in the order sent), the mapping file if one was sent, and the other fields."""

    files: list[Path] = field(default_factory=list)
    mapping: Path | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    disposition: bytes = b""
    header_name: bytes = b""
    header_value: bytes = b""
    data: bytearray = field(default_factory=bytearray)
    handle: BinaryIO | None = None
    path: Path | None = None
    size: int = 0
    limit: int = 0
    skip: bool = False


def human_bytes(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover


def safe_file_name(name: str) -> str:
    """A file name that is safe in a folder and keeps what the mapping's `match` globs look at."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    if len(cleaned) > 120:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = f"{stem[: 110 - len(suffix)]}{dot}{suffix}" if dot and len(suffix) <= 8 else cleaned[:120]
    return cleaned or "upload"


def shown_name(name: str) -> str:
    """The name a message uses for an uploaded file: its base name, cut short."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base if len(base) <= 80 else base[:77] + "..."


def export_suffix(name: str) -> str | None:
    """The importer's file type of `name` ('.csv', '.parquet', ...; '.csv.gz' for compressed text), or None."""
    lowered = name.lower()
    for suffix in TEXT_SUFFIXES:
        if lowered.endswith(suffix + ".gz"):
            return suffix + ".gz"
    return next((suffix for suffix in EXPORT_SUFFIXES if lowered.endswith(suffix)), None)


async def receive_upload(request: Request, folder: Path, *, max_file_bytes: int) -> ReceivedUpload:
    """Stream a multipart body into `folder`: export files from the `files` fields, a mapping from `mapping`.

    A file over `max_file_bytes` (or a mapping over 1 MiB) stops the upload with 413 while it streams; a file
    the importers do not read, or whose bytes do not match its name, stops it with 400. On any refusal
    `folder` is removed, so nothing of the upload stays.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadRejected(400, "send the files as a multipart/form-data form")
    declared = request.headers.get("content-length", "")
    whole_limit = max_file_bytes * MAX_FILES + MAX_MAPPING_BYTES + 1024**2
    stream = request.stream()
    if declared.isdigit() and int(declared) > whole_limit:
        # far too large for any upload this form allows: refused before a byte is stored
        named = await _first_file_name(stream)
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadRejected(
            413,
            f"the upload{' of ' + named if named else ''} holds {human_bytes(int(declared))}, over the upload "
            f"limit of {human_bytes(max_file_bytes)} per file (setting ADVISOR_UPLOAD_MAX_BYTES); nothing was stored",
        )
    receiver = _Receiver(folder, max_file_bytes)
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        receiver.finish()
        for path in receiver.upload.files:
            check_export(path, receiver.original[path])
        if receiver.upload.mapping is not None:
            check_text(
                receiver.upload.mapping, receiver.original[receiver.upload.mapping], "a YAML text file"
            )
    except UploadRejected:
        receiver.abandon()
        await _drain(stream)
        raise
    except FormParserError as error:
        receiver.abandon()
        raise UploadRejected(400, f"the form could not be read: {error}") from None
    except BaseException:
        receiver.abandon()
        raise
    return receiver.upload


class _Receiver:
    """The multipart parser's callbacks: file parts go to disk as they arrive, counted against the limit."""

    def __init__(self, folder: Path, max_file_bytes: int) -> None:
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.upload = ReceivedUpload()
        self.original: dict[Path, str] = {}
        self.part = _Part()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.part.header_name.strip().lower() == b"content-disposition":
            self.part.disposition = self.part.header_value
        self.part.header_name = self.part.header_value = b""

    def on_headers_finished(self) -> None:
        part = self.part
        _, options = parse_options_header(part.disposition)
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        part.filename = options[b"filename"].decode("utf-8", "replace")
        # an empty file input sends a part without a name and without bytes; other file fields are ignored
        if not part.filename or part.name not in {"files", "mapping"}:
            part.skip = True
            return
        shown = shown_name(part.filename)
        if part.name == "mapping":
            if not part.filename.lower().endswith(MAPPING_SUFFIXES):
                raise UploadRejected(400, f"{shown}: a mapping is a YAML file (.yaml or .yml)")
            if self.upload.mapping is not None:
                raise UploadRejected(400, "send one mapping file, not several")
            target = self.folder / "mapping" / safe_file_name(part.filename)
            part.limit = MAX_MAPPING_BYTES
        else:
            if export_suffix(part.filename) is None:
                raise UploadRejected(400, f"{shown}: {_unsupported(part.filename)}")
            if len(self.upload.files) >= MAX_FILES:
                raise UploadRejected(400, f"send at most {MAX_FILES} files at once")
            target = _unique(self.folder / "exports" / safe_file_name(part.filename))
            part.limit = self.max_file_bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        part.path = target
        part.handle = target.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if part.skip:
            return
        if part.handle is None:
            if len(part.data) + end - start > MAX_FIELD_BYTES:
                raise UploadRejected(400, f"the form field {part.name!r} is too long")
            part.data += data[start:end]
            return
        part.size += end - start
        if part.size > part.limit:
            what = "mapping" if part.name == "mapping" else "file"
            setting = "" if part.name == "mapping" else " (setting ADVISOR_UPLOAD_MAX_BYTES)"
            raise UploadRejected(
                413,
                f"{shown_name(part.filename or '')} is larger than the upload limit of "
                f"{human_bytes(part.limit)} per {what}{setting}; nothing was stored",
            )
        part.handle.write(data[start:end])

    def on_part_end(self) -> None:
        part = self.part
        if part.skip:
            return
        if part.handle is None:
            self.upload.fields.setdefault(part.name, part.data.decode("utf-8", "replace"))
            return
        part.handle.close()
        part.handle = None
        assert part.path is not None
        self.original[part.path] = part.filename or part.path.name
        if part.name == "mapping":
            self.upload.mapping = part.path
        else:
            self.upload.files.append(part.path)

    def finish(self) -> None:
        if self.part.handle is not None:
            raise UploadRejected(400, "the upload ended in the middle of a file")

    def abandon(self) -> None:
        if self.part.handle is not None:
            self.part.handle.close()
            self.part.handle = None
        shutil.rmtree(self.folder, ignore_errors=True)


async def _drain(stream: AsyncIterator[bytes]) -> None:
    """Read what is left of a refused body (dropping it), up to DRAIN_BYTES."""
    drained = 0
    try:
        async for chunk in stream:
            drained += len(chunk)
            if drained > DRAIN_BYTES:
                return
    except Exception:  # the client went away: nothing left to read
        return


async def _first_file_name(stream: AsyncIterator[bytes]) -> str | None:
    """The name of the first file in a multipart body, read from at most its first 64 KiB."""
    head = b""
    async for chunk in stream:
        head += chunk
        found = _FILE_NAME.search(head)
        if found is not None or len(head) > 65536:
            return shown_name(found.group(1).decode("utf-8", "replace")) if found else None
    return None


_FILE_NAME = re.compile(rb'filename="([^"\r\n]{1,255})"')


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    suffixes = "".join(path.suffixes[-2:]) if path.name.lower().endswith(".gz") else path.suffix
    stem = path.name[: len(path.name) - len(suffixes)]
    number = 2
    while (candidate := path.with_name(f"{stem}-{number}{suffixes}")).exists():
        number += 1
    return candidate


def _unsupported(name: str) -> str:
    if name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        return "spreadsheets are not read: save the sheet as CSV (UTF-8) and upload that"
    return "not a file the importer reads: use CSV (.csv, .tsv, .txt), JSON lines (.jsonl, .ndjson, .json), Parquet, a .zip of those, or gzip-compressed text (.csv.gz)"


def check_export(path: Path, original: str) -> None:
    """Refuse (400) an export whose first bytes do not fit its name: binary junk named .csv, a renamed file."""
    shown = shown_name(original)
    suffix = export_suffix(original) or ""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise UploadRejected(400, f"{shown} is empty")
    if suffix == ".zip":
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise UploadRejected(400, f"{shown} is named .zip but is not a zip archive")
    elif suffix in {".parquet", ".pq"}:
        if not head.startswith(b"PAR1"):
            raise UploadRejected(400, f"{shown} is named {suffix} but is not a Parquet file")
    elif suffix.endswith(".gz"):
        if not head.startswith(b"\x1f\x8b"):
            raise UploadRejected(400, f"{shown} is named .gz but is not gzip-compressed")
        try:
            with gzip.open(path, "rb") as unpacked:
                text = unpacked.read(SNIFF_BYTES)
        except (OSError, EOFError, zlib.error):
            raise UploadRejected(400, f"{shown} is not a readable gzip file") from None
        _require_text(text, shown, suffix.removesuffix(".gz"))
    else:
        _require_text(head, shown, suffix)


def check_text(path: Path, original: str, what: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise UploadRejected(400, f"{shown_name(original)} is empty")
    _require_text(head, shown_name(original), what)


def _require_text(head: bytes, shown: str, what: str) -> None:
    """Refuse bytes that are not text; `what` is the expected type (a suffix such as '.csv', or words)."""
    label = _TEXT_LABELS.get(what, what)
    if head.startswith(_TEXT_BOMS):
        return
    for signature, kind in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise UploadRejected(400, f"{shown} is not {label}: it is {kind}")
    if b"\x00" in head or len(_CONTROL.findall(head)) > max(2, len(head) // 100):
        raise UploadRejected(400, f"{shown} is not {label}: it holds binary data")


_TEXT_LABELS = {
    ".csv": "CSV text",
    ".tsv": "tab-separated text",
    ".txt": "CSV text",
    ".json": "JSON lines text",
    ".jsonl": "JSON lines text",
    ".ndjson": "JSON lines text",
}
