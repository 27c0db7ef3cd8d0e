"""Sign-in and sign-out, the account page (password, personal API tokens) and user management for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import ROLES, Permission, Principal
from advisor.errors import AdvisorError, UserConflict, UserNotFound
from advisor.users import MAX_PASSWORD_LENGTH, MAX_TEAM_LENGTH, MAX_TOKEN_NAME_LENGTH, MIN_PASSWORD_LENGTH
from web.dependencies import TemplatesDep
from web.security import SESSION_COOKIE, PrincipalDep, UsersDep, current_principal, require, safe_next
from web.throttle import SignInThrottle

router = APIRouter()

AdminDep = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
Password = Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)]
NOTICES = {
    "password": "Your password is changed; your other sessions have ended.",
    "revoked": "The API token is revoked: it no longer works.",
}


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    templates: TemplatesDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.local:  # nobody to sign in as: go straight in
        return RedirectResponse(safe_next(next), status_code=303)
    return templates.TemplateResponse(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    username: Annotated[str, Form(max_length=200)],
    password: Password,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.local:
        return RedirectResponse("/", status_code=303)
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    client = request.client.host if request.client else ""
    if not throttle.attempt(username, client):
        error = "Too many failed sign-ins for this account or from this address; try again in 15 minutes."
        context = {"next": safe_next(next), "error": error, "username": username}
        return templates.TemplateResponse(request, "login.html", context, status_code=429)
    user = users.authenticate(username, password)
    if user is None:
        throttle.failed(username, client)
        context = {"next": safe_next(next), "error": "Wrong username or password.", "username": username}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    throttle.succeeded(username)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        users.end_session(old)
    token = users.start_session(user.username)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(users.session_lifetime.total_seconds()),
        path="/",
        secure=bool(request.app.state.secure_cookies),
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout")
def logout(request: Request, users: UsersDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        users.end_session(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=bool(request.app.state.secure_cookies))
    return response


# -- the account page ---------------------------------------------------------------------------------------
def _account(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: Principal,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context: dict[str, Any] = {
        "tokens": [] if principal.local else users.list_tokens(principal.username),
        "min_password_length": MIN_PASSWORD_LENGTH,
        "max_token_name_length": MAX_TOKEN_NAME_LENGTH,
        "notice": None,
        "error": None,
        "new_token": None,
        **extra,
    }
    return templates.TemplateResponse(request, "account.html", context, status_code=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: PrincipalDep,
    notice: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _account(request, templates, users, principal, notice=NOTICES.get(notice or ""))


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: PrincipalDep,
    current_password: Password,
    new_password: Password,
    confirm_password: Password,
) -> Response:
    if principal.local:
        return _account(request, templates, users, principal, status=409, error=_local_only())
    if new_password != confirm_password:
        return _account(request, templates, users, principal, status=400, error="The new passwords differ.")
    try:
        users.change_password(
            principal.username,
            current_password,
            new_password,
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    except AdvisorError as error:
        return _account(request, templates, users, principal, status=400, error=str(error))
    return RedirectResponse("/account?notice=password", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=MAX_TOKEN_NAME_LENGTH)],
) -> Response:
    if principal.local:
        return _account(request, templates, users, principal, status=409, error=_local_only())
    try:
        made = users.create_token(principal.username, name)
    except AdvisorError as error:
        return _account(request, templates, users, principal, status=400, error=str(error))
    # Shown this once: the page is the only place the token appears, and it is not cached.
    response = _account(request, templates, users, principal, status=201, new_token=made)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: str, request: Request, templates: TemplatesDep, users: UsersDep, principal: PrincipalDep
) -> Response:
    try:
        users.revoke_token(principal.username, token_id)
    except UserNotFound as error:
        return _account(request, templates, users, principal, status=404, error=str(error))
    return RedirectResponse("/account?notice=revoked", status_code=303)


# -- user management (admins) -------------------------------------------------------------------------------
def _users_page(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    context = {
        "users": [] if current_principal(request).local else users.list_users(),
        "roles": ROLES,
        "min_password_length": MIN_PASSWORD_LENGTH,
        "notice": notice,
        "error": error,
    }
    return templates.TemplateResponse(request, "users.html", context, status_code=status)


def _users_change(
    request: Request, templates: TemplatesDep, users: UsersDep, principal: Principal, change: Any, notice: str
) -> Response:
    """Run one change and show the page again, with what happened or why it could not."""
    if principal.local:
        return _users_page(request, templates, users, status=409, error=_local_only())
    try:
        change()
    except UserNotFound as error:
        return _users_page(request, templates, users, status=404, error=str(error))
    except UserConflict as error:
        return _users_page(request, templates, users, status=409, error=str(error))
    except AdvisorError as error:
        return _users_page(request, templates, users, status=400, error=str(error))
    return _users_page(request, templates, users, notice=notice)


@router.get(
    "/admin/users", response_class=HTMLResponse, dependencies=[Depends(require(Permission.MANAGE_USERS))]
)
def users_page(request: Request, templates: TemplatesDep, users: UsersDep) -> Response:
    return _users_page(request, templates, users)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: AdminDep,
    username: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    password: Password,
) -> Response:
    return _users_change(
        request,
        templates,
        users,
        principal,
        lambda: users.create_user(username, role, password),
        f"Created {username.strip().lower()} ({role}).",
    )


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
def change_role(
    username: str,
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: AdminDep,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    return _users_change(
        request,
        templates,
        users,
        principal,
        lambda: users.set_role(username, role),
        f"{username} is now {role}.",
    )


@router.post("/admin/users/{username}/team", response_class=HTMLResponse)
def change_team(
    username: str,
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: AdminDep,
    team: Annotated[str, Form(max_length=MAX_TEAM_LENGTH)] = "",
) -> Response:
    """The team whose figures are the user's (a manager's home shows its weak metrics); blank clears it."""
    notice = f"{username} is in {' '.join(team.split())}." if team.strip() else f"{username} has no team."
    return _users_change(request, templates, users, principal, lambda: users.set_team(username, team), notice)


@router.post("/admin/users/{username}/disabled", response_class=HTMLResponse)
def set_disabled(
    username: str,
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: AdminDep,
    disabled: Annotated[bool, Form()],
) -> Response:
    notice = f"{username} is disabled; their sessions have ended." if disabled else f"{username} is enabled."
    return _users_change(
        request, templates, users, principal, lambda: users.set_disabled(username, disabled), notice
    )


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
def reset_password(
    username: str,
    request: Request,
    templates: TemplatesDep,
    users: UsersDep,
    principal: AdminDep,
    password: Password,
) -> Response:
    return _users_change(
        request,
        templates,
        users,
        principal,
        lambda: users.reset_password(username, password),
        f"The password of {username} is reset; their sessions have ended.",
    )


def _local_only() -> str:
    return (
        "No user exists yet: this app runs in local single-user mode. Create the first admin with "
        "`advisor create-user NAME --role admin --password-stdin`, then sign in."
    )
