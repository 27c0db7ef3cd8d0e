"""How often the chat reads questions as expected: the share of matching readings per facet."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.models import Understood

FACETS = ("intent", "metrics", "filters", "by", "period")


@dataclass
class ChatQuestion:
    id: str
    question: str
    expect: dict[str, Any]


@dataclass
class FacetScores:
    """Per facet: questions that fix it and how many of those were read right; `all`: every fixed facet."""

    questions: int = 0
    all_right: int = 0
    checked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACETS, 0))
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACETS, 0))
    misses: list[dict[str, Any]] = field(default_factory=list)

    def shares(self) -> dict[str, float | None]:
        shares: dict[str, float | None] = {
            facet: round(self.right[facet] / self.checked[facet], 4) if self.checked[facet] else None
            for facet in FACETS
        }
        shares["all"] = round(self.all_right / self.questions, 4) if self.questions else None
        return shares

    def as_json(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "shares": self.shares(),
            "checked": self.checked,
            "misses": self.misses,
        }


def read_questions(path: Path) -> list[ChatQuestion]:
    """JSON lines {"id", "question", "expect"}; a line that is not such an object raises ValueError."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(
                ChatQuestion(str(item["id"]), str(item["question"]), dict(item.get("expect", {})))
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}, line {number}: not a question object ({error})") from None
    return questions


def facet_matches(facet: str, expected: Any, understood: Understood) -> bool:
    """One facet as the eval README defines it."""
    if facet == "intent":
        return bool(understood.intent == expected)
    if facet == "metrics":
        return all(metric in understood.metrics for metric in expected)
    if facet == "filters":
        got = {key.lower(): value.lower() for key, value in understood.filters.items()}
        return all(got.get(key.lower()) == str(value).lower() for key, value in expected.items())
    if facet == "by":
        return bool(understood.by == expected)
    if facet == "period":
        period = understood.period
        return period is not None and (period.start.isoformat(), period.end.isoformat()) == (
            expected["start"],
            expected["end"],
        )
    raise ValueError(f"unknown facet {facet!r}")


def score_readings(pairs: Iterable[tuple[ChatQuestion, Understood]]) -> FacetScores:
    scores = FacetScores()
    for question, understood in pairs:
        scores.questions += 1
        wrong = []
        for facet in FACETS:
            if facet not in question.expect:
                continue
            scores.checked[facet] += 1
            if facet_matches(facet, question.expect[facet], understood):
                scores.right[facet] += 1
            else:
                wrong.append(facet)
        if wrong:
            scores.misses.append(
                {
                    "id": question.id,
                    "question": question.question,
                    "wrong": wrong,
                    "expected": question.expect,
                    "understood": understood.model_dump(mode="json", exclude_defaults=True),
                }
            )
        else:
            scores.all_right += 1
    return scores
