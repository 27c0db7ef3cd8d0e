"""The recommendations page and the next-steps API on an organisation with tables missing (a help-desk export
of tickets and events only): the steps answer measured weaknesses, the gaps are listed apart to measure next."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from advisor.composition import build_advisor
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.demo import generate_demo
from tests.conftest import DEMO_END
from tests.web.servers import serve
from web.app import create_app


@pytest.fixture(scope="module")
def partial_url(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, advisor: Advisor
) -> Iterator[str]:
    """A server over a tickets-and-events-only organisation (the session's index: ranking needs none)."""
    folder = tmp_path_factory.mktemp("partial")
    generate_demo(folder, end=DEMO_END, seed=7, size="small", weaknesses=["handoffs"], shape="tickets_events")
    state = tmp_path_factory.mktemp("partial_state")
    partial = settings.model_copy(
        update={"data_dir": folder, "database_url": f"sqlite:///{state}/advisor.db"}
    )
    with serve(create_app(partial, advisor=build_advisor(partial))) as url:
        yield url


def test_the_page_ranks_weaknesses_and_lists_what_to_measure_next(partial_url: str) -> None:
    page = httpx.get(f"{partial_url}/recommendations", timeout=60)
    assert page.status_code == 200
    ranked, _, rest = page.text.partition('id="measure-next-title"')
    assert rest, "no measure-next section"
    # the steps come first and answer hand-offs; CSAT, with no surveys, is to be measured, with a practice
    assert "C6 Hand-offs per ticket" in ranked and "hand-offs per ticket" in ranked
    assert 'id="gap-C1b"' in rest and "/practices/" in rest


def test_the_api_keeps_the_gaps_apart(partial_url: str) -> None:
    body = httpx.get(f"{partial_url}/api/next-steps", timeout=60).json()
    gaps = {gap["metric_id"]: gap for gap in body["measure_next"]}
    assert {"C1b", "E4", "K2"} <= gaps.keys() and gaps["C1b"]["availability"] == "missing_tables"
    targets = {target for rec in body["recommendations"] for target in rec["targets"]}
    assert targets and not targets & gaps.keys()
    assert "C6" in body["recommendations"][0]["targets"]
