"""The JSON API for the signed-in person, their personal API tokens, and (for admins) users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from advisor.access import ROLE_PERMISSIONS, Permission, Principal, Role
from advisor.users import MAX_PASSWORD_LENGTH, MAX_TOKEN_NAME_LENGTH, MIN_PASSWORD_LENGTH, ApiToken, User
from web.security import LOCAL_MODE_HINT, SESSION_COOKIE, PrincipalDep, UsersDep, require

router = APIRouter(prefix="/api", tags=["account"])

AdminDep = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
NewPassword = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class Me(BaseModel):
    username: str
    role: Role
    local: bool = Field(description="local single-user mode: no user exists yet")
    permissions: list[Permission]


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = NewPassword


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class TokenList(BaseModel):
    tokens: list[TokenOut]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_TOKEN_NAME_LENGTH, description="what the token is for")


class NewTokenOut(TokenOut):
    token: str = Field(description="send as `Authorization: Bearer <token>`; shown this once only")


class UserOut(BaseModel):
    username: str
    role: Role
    created_at: datetime
    disabled: bool


class UserList(BaseModel):
    users: list[UserOut]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    password: str = NewPassword


class UserChange(BaseModel):
    """Only the fields given change."""

    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


def _signed_in(principal: Principal) -> str:
    if principal.local:
        raise HTTPException(409, f"no user exists yet (local single-user mode); {LOCAL_MODE_HINT}")
    return principal.username


@router.get("/me")
def me(principal: PrincipalDep) -> Me:
    """Who this request acts for, and what they may do."""
    return Me(
        username=principal.username,
        role=principal.role,
        local=principal.local,
        permissions=sorted(ROLE_PERMISSIONS[principal.role]),
    )


@router.put("/me/password", status_code=204)
def change_password(
    body: PasswordChange, request: Request, users: UsersDep, principal: PrincipalDep
) -> Response:
    """Change your own password; your other web sessions end."""
    users.change_password(
        _signed_in(principal),
        body.current_password,
        body.new_password,
        keep_session=request.cookies.get(SESSION_COOKIE),
    )
    return Response(status_code=204)


@router.get("/tokens")
def list_tokens(users: UsersDep, principal: PrincipalDep) -> TokenList:
    """Your personal API tokens (names and times; the tokens themselves are never shown again)."""
    if principal.local:
        return TokenList(tokens=[])
    return TokenList(tokens=[_token(token) for token in users.list_tokens(principal.username)])


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, users: UsersDep, principal: PrincipalDep, response: Response) -> NewTokenOut:
    """Make a personal API token that acts with your role; the answer holds it, once."""
    made = users.create_token(_signed_in(principal), body.name)
    response.headers["Cache-Control"] = "no-store"
    return NewTokenOut(**_token(made.token).model_dump(), token=made.secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, users: UsersDep, principal: PrincipalDep) -> Response:
    """Revoke one of your tokens: it stops working at once."""
    users.revoke_token(_signed_in(principal), token_id)
    return Response(status_code=204)


@router.get("/users")
def list_users(users: UsersDep, _admin: AdminDep) -> UserList:
    """Every user with their role and state (never a password hash)."""
    return UserList(users=[_user(user) for user in users.list_users()])


@router.post("/users", status_code=201)
def create_user(body: UserIn, users: UsersDep, admin: AdminDep) -> UserOut:
    """Create a user with a role and a first password."""
    _signed_in(admin)
    return _user(users.create_user(body.username, body.role, body.password))


@router.patch("/users/{username}")
def change_user(username: str, body: UserChange, users: UsersDep, admin: AdminDep) -> UserOut:
    """Change a user's role, disable or enable them, or reset their password (their sessions then end).
    The last active admin cannot be demoted or disabled."""
    _signed_in(admin)
    if body.role is not None:
        users.set_role(username, body.role)
    if body.disabled is not None:
        users.set_disabled(username, body.disabled)
    if body.password is not None:
        users.reset_password(username, body.password)
    return _user(users.get_user(username))


def _token(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id, name=token.name, created_at=token.created_at, last_used_at=token.last_used_at
    )


def _user(user: User) -> UserOut:
    return UserOut(username=user.username, role=user.role, created_at=user.created_at, disabled=user.disabled)
