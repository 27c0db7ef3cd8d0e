"""The JSON API behind the data page: imports, index rebuilds and their progress."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
