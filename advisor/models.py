"""Models that cross the advisor's boundary: Recommendation, Citation, ChatAnswer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TargetedMetric(BaseModel):
    id: str
    name: str
    value: float | None
    unit: str
    target: float | None
    baseline: float | None
    status: str
    compared_with: str


class Recommendation(BaseModel):
    """One next step: what to do, which weak metrics it moves, and the evidence behind it."""

    rank: int
    title: str
    practice_id: str
    targets: list[str]
    why: str
    sources: list[str]
    metrics: list[TargetedMetric] = Field(default_factory=list)
    level: str = ""
    effort: str = ""
    time_to_impact: str = ""
    steps: str = ""
    measure: str = ""


class Citation(BaseModel):
    id: str
    title: str
    kind: Literal["practice", "article", "solution", "document", "metric"]
    url: str


class ChatAnswer(BaseModel):
    answer: str
    citations: list[Citation]
    conversation_id: str
    intent: Literal["next_steps", "search", "metric", "empty"] = "search"


class ChatTurn(BaseModel):
    role: Literal["user", "advisor"]
    text: str
    citations: list[Citation] = Field(default_factory=list)
