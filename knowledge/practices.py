"""Loading and validating the practices library (Markdown files with YAML front matter)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from knowledge.documents import read_front_matter
from knowledge.errors import InvalidDocument
from knowledge.models import Practice

CATEGORY_IDS: frozenset[str] = frozenset({"customer", "employee", "business", "knowledge", "acceleration"})
REQUIRED_SECTIONS: tuple[str, ...] = ("Why it works", "Steps", "How success will be measured", "Pitfalls")
_ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def bundled_practices_dir() -> Path:
    """The practices library shipped inside the package."""
    return Path(str(resources.files("knowledge") / "practices"))


def load_practice(path: Path, known_metric_ids: frozenset[str] | None = None) -> Practice:
    """Read and validate one practice file; errors name the file and what is wrong."""
    post = read_front_matter(path, path.name)
    try:
        practice = Practice.model_validate({**post.metadata, "body": post.content})
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise InvalidDocument(f"{path.name}: {fields}") from None
    problems = _problems(practice, path, known_metric_ids)
    if problems:
        raise InvalidDocument(f"{path.name}: " + "; ".join(problems))
    return practice


def _problems(practice: Practice, path: Path, known_metric_ids: frozenset[str] | None) -> list[str]:
    problems = []
    if practice.id != path.stem or not _ID_PATTERN.match(practice.id):
        problems.append(
            f"id {practice.id!r} must equal the file name and use lowercase letters, digits, hyphens"
        )
    if not practice.categories or not set(practice.categories) <= CATEGORY_IDS:
        problems.append(f"categories must be a non-empty list from {sorted(CATEGORY_IDS)}")
    if not practice.metrics:
        problems.append("metrics must not be empty")
    elif known_metric_ids is not None and not set(practice.metrics) <= known_metric_ids:
        problems.append(f"unknown metric ids: {sorted(set(practice.metrics) - known_metric_ids)}")
    for field in ("requires", "measures"):
        listed = set(getattr(practice, field))
        if known_metric_ids is not None and not listed <= known_metric_ids:
            problems.append(f"unknown metric ids in {field}: {sorted(listed - known_metric_ids)}")
    if not practice.sources or not all(
        source.startswith(("https://", "http://")) for source in practice.sources
    ):
        problems.append("sources must be a non-empty list of http(s) URLs")
    for section in REQUIRED_SECTIONS:
        if not practice.section(section):
            problems.append(f"missing section '## {section}'")
    return problems


def load_practices(
    folder: Path | None = None, known_metric_ids: frozenset[str] | None = None
) -> list[Practice]:
    """Every practice in `folder` (default: the bundled library), sorted by id."""
    folder = folder or bundled_practices_dir()
    practices = [load_practice(path, known_metric_ids) for path in sorted(folder.glob("*.md"))]
    return sorted(practices, key=lambda practice: practice.id)
