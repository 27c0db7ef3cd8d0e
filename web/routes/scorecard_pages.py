"""The scorecard page: categories, metrics with their monthly trend charts, drill-down by group."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
