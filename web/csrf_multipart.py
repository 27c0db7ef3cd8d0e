"""asgi-csrf 0.11 finds the token of a multipart form through python-multipart's `FormParser(FileClass=...)`,
an argument python-multipart no longer has (every multipart POST then fails with a 500). `install()` puts
in its place the same reading on the streaming `MultipartParser`: parts are read until the `csrftoken`
field; a file's bytes before it refuse the form (FileBeforeToken); what was read is replayed to the app.

Upstream: https://github.com/simonw/asgi-csrf/issues/38 (fix proposed in pull request 39). Pinning an older
python-multipart instead would bring back CVE-2026-40347; remove this module once a fixed asgi-csrf is out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asgi_csrf
from python_multipart.multipart import MultipartParser, parse_options_header

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
#: A token longer than this is not a token.
MAX_TOKEN_BYTES = 4096


class _TokenFound(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


async def parse_multipart_form_data(boundary: bytes, receive: Receive) -> tuple[str | None, Receive]:
    """(the csrftoken field's value or None, a receive that replays the body read so far, then reads on)."""
    messages: list[Message] = []
    part: dict[str, Any] = {}

    async def replay_receive() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    def on_part_begin() -> None:
        part.clear()
        part.update(header=b"", value=b"", disposition=b"", data=b"", name=b"", file=False)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        if part["header"].strip().lower() == b"content-disposition":
            part["disposition"] = part["value"]
        part["header"] = part["value"] = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(part["disposition"])
        part["name"] = options.get(b"name", b"")
        part["file"] = b"filename" in options

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if part["file"]:
            if end > start:
                raise asgi_csrf.FileBeforeToken
            return
        if part["name"] == b"csrftoken" and len(part["data"]) + end - start <= MAX_TOKEN_BYTES:
            part["data"] += data[start:end]

    def on_part_end() -> None:
        if part.get("name") == b"csrftoken" and not part["file"]:
            raise _TokenFound(part["data"].decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        {  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    more_body = True
    try:
        while more_body:
            message = await receive()
            messages.append(message)
            parser.write(message.get("body", b""))
            more_body = bool(message.get("more_body", False))
    except _TokenFound as found:
        return found.token, replay_receive
    return None, replay_receive


def install() -> None:
    """Use `parse_multipart_form_data` in asgi-csrf (idempotent)."""
    asgi_csrf._parse_multipart_form_data = parse_multipart_form_data  # type: ignore[attr-defined]
