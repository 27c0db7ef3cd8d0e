"""The data page: upload exports with a preset or a mapping, see counts and rejects, rebuild the index."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
