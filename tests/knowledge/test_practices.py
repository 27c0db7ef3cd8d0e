"""The practices library: every file valid, every metric of the scorecard covered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from knowledge.errors import InvalidDocument
from knowledge.practices import CATEGORY_IDS, bundled_practices_dir, load_practice, load_practices
from metrics.definitions import SCORECARD_METRIC_IDS

KNOWN = frozenset(SCORECARD_METRIC_IDS)


def test_every_bundled_practice_is_valid() -> None:
    practices = load_practices(known_metric_ids=KNOWN)
    assert len(practices) >= 15
    assert len({practice.id for practice in practices}) == len(practices)


def test_every_category_and_metric_has_at_least_two_practices() -> None:
    practices = load_practices(known_metric_ids=KNOWN)
    by_metric = Counter(metric for practice in practices for metric in practice.metrics)
    by_category = Counter(category for practice in practices for category in practice.categories)
    assert {metric for metric in KNOWN if by_metric[metric] < 2} == set()
    assert {category for category in CATEGORY_IDS if by_category[category] < 2} == set()


def test_practices_ship_as_package_data() -> None:
    assert (bundled_practices_dir() / "cust-swarming-complex-cases.md").is_file()


VALID = """---
id: {id}
title: A practice
categories: [customer]
metrics: [C6]
level: manager
effort: S
time_to_impact: 2-4 weeks
prerequisites: []
sources: [https://example.org/kcs]
---
## Why it works
Because.

## Steps
1. Do it.

## How success will be measured
C6 falls.

## Pitfalls
- None.
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID.replace("level: manager", "level: boss"), "level"),
        (VALID.replace("metrics: [C6]", "metrics: [Z9]"), "unknown metric ids"),
        (VALID.replace("sources: [https://example.org/kcs]", "sources: []"), "sources"),
        (VALID.replace("## Pitfalls\n- None.\n", ""), "missing section '## Pitfalls'"),
        (VALID.replace("title: A practice", "title: [unclosed"), "line 3: front matter is not valid YAML"),
        (VALID.replace("id: {id}", "id: other-name"), "must equal the file name"),
    ],
)
def test_invalid_practices_are_rejected_with_file_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "my-practice.md"
    path.write_text(text.replace("{id}", "my-practice"), encoding="utf-8")
    with pytest.raises(InvalidDocument, match=message) as error:
        load_practice(path, KNOWN)
    assert "my-practice.md" in str(error.value)


def test_a_valid_practice_loads_with_its_sections(tmp_path: Path) -> None:
    path = tmp_path / "my-practice.md"
    path.write_text(VALID.replace("{id}", "my-practice"), encoding="utf-8")
    practice = load_practice(path, KNOWN)
    assert practice.section("Steps") == "1. Do it."
    assert practice.metrics == ["C6"]
