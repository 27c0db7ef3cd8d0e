"""Who is asking: the principal behind a request, the permission checks routes declare, and the middleware
that signs requests in (session cookie or API token) and turns away those that may not come in.

Until the first user exists, every request acts as the local single-user principal, and only from this
machine. Once a user exists, every page and API call needs a session or a personal API token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from advisor.access import LOCAL_PRINCIPAL, Permission, Principal
from advisor.settings import is_loopback_host
from advisor.users import UserStore

SESSION_COOKIE = "advisor_session"
#: Reachable without signing in: the sign-in page itself, the health check and the stylesheets.
HEALTH_PATHS = frozenset({"/healthz", "/healthz/live", "/healthz/ready"})
OPEN_PATHS = HEALTH_PATHS | {"/login", "/logout"}
STATIC_PREFIX = "/static/"
#: What Starlette's in-process TestClient calls the client and the server; no network address looks so.
_TEST_CLIENT, _TEST_SERVER = "testclient", "testserver"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOCAL_MODE_HINT = "create the first admin with `advisor create-user NAME --role admin --password-stdin`"


def current_principal(request: Request) -> Principal:
    """The principal of this request, as the `Authentication` middleware found it (kept on `request.state`
    so that templates can show it)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency that lets the request through only when its principal holds `permission`."""

    def check(request: Request) -> Principal:
        principal = current_principal(request)
        if not principal.can(permission):
            raise HTTPException(
                403, f"your role ({principal.role}) may not {permission.value.replace('_', ' ')}"
            )
        return principal

    return check


def get_users(request: Request) -> UserStore:
    users: UserStore = request.app.state.users
    return users


UsersDep = Annotated[UserStore, Depends(get_users)]


def is_api(path: str) -> bool:
    """JSON answers (401/403 with a `detail`) rather than pages and redirects."""
    return path.startswith("/api/") or path == "/openapi.json"


class Authentication:
    """ASGI middleware: finds the principal of every HTTP request and refuses those that may not come in.

    Local single-user mode (no user yet): only requests from this machine, addressed to a loopback name, and
    (for changes) not sent from another site's page. Otherwise `Authorization: Bearer <token>`, else the
    session cookie; without either, pages redirect to the sign-in page and the API answers 401.
    """

    def __init__(self, app: ASGIApp, *, users: UserStore) -> None:
        self.app = app
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(STATIC_PREFIX)
            or scope["path"] in HEALTH_PATHS
        ):
            await self.app(scope, receive, send)  # nobody to find: no database read, no thread
            return
        request = Request(scope)
        found = await run_in_threadpool(self._principal, request)
        if isinstance(found, Response):
            await found(scope, receive, send)
            return
        if found is None and scope["path"] not in OPEN_PATHS:
            await _sign_in_first(request)(scope, receive, send)
            return
        scope = {**scope, "state": {**scope.get("state", {}), "principal": found}}
        await self.app(scope, receive, send)

    def _principal(self, request: Request) -> Principal | Response | None:
        if not self.users.has_users():
            return _local_mode_refusal(request) or LOCAL_PRINCIPAL
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            principal = self.users.token_principal(credentials.strip())
            if principal is None:
                return _refuse(request, 401, "the API token is unknown, revoked, or its user is disabled")
            return principal
        token = request.cookies.get(SESSION_COOKIE)
        return self.users.session_principal(token) if token else None


def _local_mode_refusal(request: Request) -> Response | None:
    """Local mode answers only this machine: a loopback client, a loopback Host (no DNS rebinding), and no
    change sent from another origin (a page on some website posting to 127.0.0.1)."""
    client = request.client.host if request.client else ""
    if client != _TEST_CLIENT and not is_loopback_host(client):
        return _refuse(
            request, 403, f"no user exists yet, so this app only answers its own machine; {LOCAL_MODE_HINT}"
        )
    host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
    if host != _TEST_SERVER and not is_loopback_host(host):
        return _refuse(
            request, 403, f"no user exists yet, so this app answers only to localhost, not {host!r}"
        )
    origin = request.headers.get("origin")
    if (
        request.method not in _SAFE_METHODS
        and origin is not None
        and urlsplit(origin).netloc != request.headers.get("host", "")
    ):
        return _refuse(request, 403, "a change sent from another site's page was refused")
    return None


def _sign_in_first(request: Request) -> Response:
    if is_api(request.url.path):
        return _refuse(
            request, 401, "sign in first: send `Authorization: Bearer <token>` or a session cookie"
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = target if request.method in ("GET", "HEAD") else "/"
    response = RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)
    if SESSION_COOKIE in request.cookies:  # expired or ended: drop it
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _refuse(request: Request, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if is_api(request.url.path):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return error_page(request, message, status, headers=headers)


def error_page(
    request: Request,
    message: str,
    status: int,
    *,
    headers: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> Response:
    """The error page, for middleware that answers before any route does (`reason="csrf"`: a refused form)."""
    templates: Any = request.app.state.templates
    context = {"message": message, "status": status, "reason": reason}
    response: Response = templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
    return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//evil.example` or `https://...`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(char) < 32 or char == "\\" for char in target) or target.startswith("/login"):
        return "/"
    return target


class ProtectedPaths:
    """For asgi-csrf: every path outside /api/ needs the CSRF token on POST, even when the browser sends no
    cookie at all (sign-in forms, local mode); /api/ calls from scripts carry no cookie and skip the check."""

    def __contains__(self, path: object) -> bool:
        return not (isinstance(path, str) and path.startswith("/api/"))


async def csrf_failed(scope: Scope, send: Send, _message_id: object) -> None:
    """asgi-csrf's refusal, made readable: a JSON `detail` for the API, the error page otherwise."""
    request = Request(scope)
    if is_api(request.url.path):
        response: Response = JSONResponse(
            {
                "detail": "CSRF check failed: send the x-csrftoken header with the value of the csrftoken "
                "cookie, or use `Authorization: Bearer <token>`"
            },
            status_code=403,
        )
    else:
        response = error_page(
            request,
            "This form could not be accepted: it is out of date or was not sent from this site (CSRF check). "
            "Go back, reload the page and try again.",
            403,
            reason="csrf",
        )

    async def no_body() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response(scope, no_body, send)
