"""Results kept per organisation folder: bounded, oldest out first, forgotten per folder."""

from __future__ import annotations

from pathlib import Path

from advisor.folder_results import FolderResults


def test_results_are_bounded_and_forgotten_per_folder() -> None:
    results = FolderResults[str](limit=3)
    north, south = Path("/orgs/north"), Path("/orgs/south")
    results.put((north, "C6"), "north C6")
    results.put((south, "C6"), "south C6")
    results.put((north, "C1b"), "north C1b")
    assert results.get((north, "C6")) == "north C6"
    results.put((south, "B2"), "south B2")  # the fourth pushes out the oldest
    assert results.get((north, "C6")) is None and results.get((south, "B2")) == "south B2"
    results.forget(north)
    assert results.get((north, "C1b")) is None and results.get((south, "C6")) == "south C6"
    results.forget()
    assert results.get((south, "C6")) is None and results.get((south, "B2")) is None
