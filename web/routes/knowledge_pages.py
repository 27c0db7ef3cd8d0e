"""The knowledge page: search with filters, with feedback on each hit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
