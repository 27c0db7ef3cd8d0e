"""Sign-in and sign-out, the account page (personal API tokens) and user management for admins."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
