"""A tiny organisation of its own for the knowledge and data page tests (imports and votes change it, so
the session's Advisor, data folder and index are never used)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from advisor.composition import build_advisor
from advisor.service import Advisor
from advisor.settings import Settings
from knowledge.embeddings import Embedder

#: A few practices, one per category at least, keep the index small and quick to build.
PRACTICE_IDS = frozenset(
    {
        "cust-reopen-root-cause-review",
        "cust-warm-handoff-with-context",
        "know-improve-on-reuse",
        "emp-buddy-cohorts",
        "biz-churn-risk-signals-from-tickets",
        "acc-baseline-before-improving",
    }
)
ARTICLES = 18
CASES = 6
SCRIPT = "<script>alert(1)</script>"
#: An article whose title and body carry a script tag: it must show as text everywhere.
SCRIPT_ARTICLE = {
    "id": "KB9999",
    "title": f"Reset the payroll export {SCRIPT} cache",
    "body": f"Symptom: the payroll export hangs. {SCRIPT} Resolution: clear the export cache and run it again.",
    "audience": "internal",
    "state": "validated",
    "product": "Payroll",
    "first_known_at": "2025-06-01T09:00:00+00:00",
    "published_external_at": "",
}


def tiny_organisation(folder: Path, demo_dir: Path) -> Path:
    """A copy of the demo organisation with only its first articles (plus the script-tag article) and its
    first resolved cases."""
    shutil.copytree(demo_dir, folder)
    path = folder / "articles.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for _, row in zip(range(ARTICLES), reader, strict=False)]
    rows.append({key: SCRIPT_ARTICLE.get(key, "") for key in fields})
    _write(path, fields, rows)
    # Resolved tickets with a resolution note are indexed as cases: a few are enough.
    path = folder / "tickets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        tickets = list(reader)
    if "resolution" in fields:
        kept = 0
        for ticket in tickets:
            if ticket["resolution"] and kept < CASES:
                kept += 1
            else:
                ticket["resolution"] = ""
        _write(path, fields, tickets)
    return folder


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def tiny_advisor(
    root: Path, demo_dir: Path, embedder: Embedder, **settings: object
) -> tuple[Advisor, Settings]:
    """An Advisor of its own over a tiny organisation in `root`, with the session's model, index built."""
    configured = Settings(
        data_dir=tiny_organisation(root / "organisation", demo_dir),
        index_dir=root / "index",
        database_url=f"sqlite:///{root}/advisor.db",
        **settings,  # type: ignore[arg-type]
    )
    advisor = build_advisor(configured)
    advisor.index.embedder = embedder  # the session's model, loaded once
    advisor.practices = {key: value for key, value in advisor.practices.items() if key in PRACTICE_IDS}
    advisor.build_index()
    return advisor, configured
