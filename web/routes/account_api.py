"""The JSON API for users and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
