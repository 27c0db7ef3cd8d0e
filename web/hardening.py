"""Two pure-ASGI wrappers around the whole app: security headers on every response (pages, API, static files,
error pages, streams), and a refusal of JSON bodies that no handler could turn into text.

Pure ASGI rather than Starlette's BaseHTTPMiddleware so that streamed answers (server-sent events) pass
through untouched; `web.app` puts both outside Starlette's own error middleware, so a 500 gets them too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Scripts, styles, frames and forms from this site only. The one exception, inline `style` attributes,
#: draws the diagnosis bars without JavaScript; inline <style> elements and every inline script stay blocked.
#: `data:` images are the icons inside the vendored Swagger UI stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: The largest JSON request body read (every JSON API takes a few kilobytes; uploads are multipart).
MAX_JSON_BYTES = 2 * 1024**2
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class SecurityHeaders:
    """Adds `headers` to every HTTP response that does not set its own value for one of them."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        self._headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers += [(name, value) for name, value in self._headers if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class JsonBodyCheck:
    """Refuses a JSON request body holding a lone UTF-16 surrogate (`"\\ud800"`) with 400, before any handler
    sees it: such a string is valid JSON but not text, and fails later (storing, encoding) as a 500. Bodies
    over `max_bytes` get 413. Other bodies (forms, uploads) pass through unread."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, f"the JSON body is over {self.max_bytes:,} bytes")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        problem = lone_surrogate(body)
        if problem is not None:
            await _refuse(send, 400, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def lone_surrogate(body: bytes) -> str | None:
    """Why `body` is refused, when it is JSON whose strings (or keys) hold a lone surrogate; else None (also
    for malformed JSON, which FastAPI reports itself)."""
    if not _SURROGATE_ESCAPE.search(body):
        return None  # the usual case, decided without parsing
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(str(error.object[error.start]))
        return (
            f"the JSON body holds a lone surrogate (\\u{code:04x}), which is not a character: "
            "send text as UTF-8, or escape characters outside the BMP as a surrogate pair"
        )
    return None


def _json_body(scope: Scope) -> bool:
    """JSON, or no content type at all (FastAPI then reads the body as JSON)."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
