"""The two real logs in ../shared/data (Volvo BPIC 2013, the Italian help desk), imported through their presets:
their default scorecard picks a period where their data lies and judges every metric they hold data for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from metrics.importers import import_sources, load_preset
from metrics.models import Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
VOLVO = DATA / "volvo-incidents-bpic2013" / "IBM-VolvoIT-Challenge.zip"
ITALIAN = DATA / "helpdesk-italian" / "finale.csv.gz"

pytestmark = pytest.mark.skipif(
    not (VOLVO.is_file() and ITALIAN.is_file()),
    reason=f"the real logs are not at {DATA} (a clone without ../shared/data); see its README",
)

JUDGED = {"strong", "watch", "weak"}


def default_scorecard(folder: Path, source: Path, preset: str) -> Iterator[Scorecard]:
    import_sources([source], folder, load_preset(preset))
    store = open_store(folder)
    try:
        yield compute_scorecard(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def volvo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scorecard]:
    yield from default_scorecard(tmp_path_factory.mktemp("volvo") / "org", VOLVO, "volvo-incidents-bpic2013")


@pytest.fixture(scope="module")
def italian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scorecard]:
    yield from default_scorecard(tmp_path_factory.mktemp("italian") / "org", ITALIAN, "helpdesk-italian")


def assert_judges_every_metric_with_data(card: Scorecard) -> None:
    with_data = [metric for metric in card.all_metrics() if metric.value is not None]
    assert {metric.id for metric in with_data} >= {"C1r", "C6", "B2"}
    for metric in with_data:
        assert metric.status in JUDGED, (metric.id, metric.status, metric.note)
    for metric in card.all_metrics():
        if metric.value is None:
            # "no data" only where there is none; never a made-up 0 for a log without messages or articles
            assert metric.status == "no data", metric.id
    interactions = card.metric("C5")
    assert (interactions.value, interactions.availability) == (None, "missing_events")
    # every category with a measure that has data has a score
    for category in card.categories:
        if any(metric.value is not None for metric in category.metrics if metric.id != "A1"):
            assert category.score is not None and category.status in JUDGED, category.id


def test_volvo_default_period_is_where_its_tickets_are_resolved(volvo: Scorecard) -> None:
    # 7,554 service requests: a few stragglers from 2010 on, the bulk resolved in May 2012 up to the
    # export on the 23rd; no full month holds a representative share, so the period is that last month
    assert (volvo.period.start, volvo.period.end) == (date(2012, 5, 1), date(2012, 5, 23))
    assert volvo.period_reason.startswith("No full month of the data is representative")
    assert volvo.metric("C6").n > 7000
    # the history before it is short: a fallback baseline, so the statuses are provisional
    assert volvo.baseline_kind == "fallback"
    assert volvo.metric("C6").provisional


def test_volvo_default_scorecard_judges_every_metric_it_has_data_for(volvo: Scorecard) -> None:
    assert_judges_every_metric_with_data(volvo)


def test_italian_default_period_is_its_latest_representative_months(italian: Scorecard) -> None:
    # 4,580 tickets from January 2010 to 3 January 2014; the last ticket arrived on 28 November 2013, so
    # December holds only resolutions of older tickets: not a full month of the help desk's work
    assert (italian.period.start, italian.period.end) == (date(2013, 9, 1), date(2013, 12, 1))
    assert "Left out: Dec 2013, only partly covered by the data" in italian.period_reason
    assert "no new ticket after 28 Nov 2013" in italian.period_reason
    assert italian.baseline_kind == "baseline" and italian.baseline_period is not None
    assert italian.baseline_period.start == date(2010, 2, 1)


def test_italian_default_scorecard_judges_every_metric_it_has_data_for(italian: Scorecard) -> None:
    assert_judges_every_metric_with_data(italian)
