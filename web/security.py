"""Who is asking: the principal behind a request, and the permission checks routes declare.

Until the first user exists, every request acts as the local single-user principal (loopback only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from advisor.access import LOCAL_PRINCIPAL, Permission, Principal


def current_principal(request: Request) -> Principal:
    """The principal of this request (kept on `request.state` so templates can show it)."""
    principal: Principal = LOCAL_PRINCIPAL
    request.state.principal = principal
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
