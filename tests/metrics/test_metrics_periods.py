"""Issue 10: periods and baselines that fit the data, headlines that move, statuses that resist noise."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from metrics.models import Period, Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables

MARCH = Period.parse("2026-03-01..2026-04-01")


def tickets_per_day(month: str, days: range, per_day: int, prefix: str) -> list[dict[str, object]]:
    """`per_day` tickets created and resolved (an hour later) on each day of `days` in `month` (YYYY-MM)."""
    return [
        ticket(f"{prefix}{month}-{day}-{number}", f"{month}-{day:02d}T08:00:00+00:00",
               f"{month}-{day:02d}T09:00:00+00:00")
        for day in days
        for number in range(per_day)
    ]  # fmt: skip


def card(folder: Path, period: Period | None = None, baseline: Period | None = None) -> Scorecard:
    return compute_scorecard(open_store(folder), period, baseline=baseline, min_group_size=1)


# -- the default period ----------------------------------------------------------------------------------------
def test_default_period_leaves_out_a_thin_tail_of_stragglers(tmp_path: Path) -> None:
    # the bulk of the export: January to March 2016, 3 tickets a day; then 11 months holding one straggler
    # each (the real export of issue 10: 55 of 20,766 incidents in its last three months)
    tickets = [
        *tickets_per_day("2016-01", range(1, 32), 3, "B"),
        *tickets_per_day("2016-02", range(1, 30), 3, "B"),
        *tickets_per_day("2016-03", range(1, 32), 3, "B"),
    ]
    for month in range(4, 13):
        tickets.append(
            ticket(f"S{month}", "2016-03-01T08:00:00+00:00", f"2016-{month:02d}-15T08:00:00+00:00")
        )
    tickets.append(ticket("S13", "2016-03-01T08:00:00+00:00", "2017-01-31T08:00:00+00:00"))
    result = card(write_tables(tmp_path, {"tickets": tickets}))
    # three representative full months in a row: one month, leaving January as its baseline
    assert Period(result.period.start, result.period.end) == Period(date(2016, 3, 1), date(2016, 4, 1))
    assert result.baseline_period is not None and result.baseline_kind == "baseline"
    assert (result.baseline_period.start, result.baseline_period.end) == (date(2016, 1, 1), date(2016, 2, 1))
    assert "Left out: the 10 months Apr 2016 to Jan 2017, thin (10 resolved tickets in all" in (
        result.period_reason
    )
    assert "shortened to 1" in result.period_reason
    # the scorecard judges the bulk, not the stragglers
    assert result.metric("B2").n == 93


def test_a_month_without_new_tickets_after_the_export_is_not_full(tmp_path: Path) -> None:
    # the export's tickets arrive from 1 March to 15 May 2016; afterwards only old tickets are updated,
    # so May is covered up to the 15th although the data (the stragglers) runs on to February 2017
    tickets = [
        *tickets_per_day("2016-03", range(1, 32), 3, "B"),
        *tickets_per_day("2016-04", range(1, 31), 3, "B"),
        *tickets_per_day("2016-05", range(1, 16), 3, "B"),
    ]
    for month in (6, 8, 11):
        tickets.append(
            ticket(f"S{month}", "2016-05-02T08:00:00+00:00", f"2016-{month:02d}-15T08:00:00+00:00")
        )
    tickets.append(ticket("S-last", "2016-05-03T08:00:00+00:00", "2017-02-20T08:00:00+00:00"))
    result = card(write_tables(tmp_path, {"tickets": tickets}))
    assert (result.period.start, result.period.end) == (date(2016, 4, 1), date(2016, 5, 1))
    assert (
        "Left out: May 2016, only partly covered by the data (45 resolved tickets; no new ticket after "
        "15 May 2016)." in result.period_reason
    )
    assert (
        "Left out: the 9 months Jun 2016 to Feb 2017, thin (4 resolved tickets in all" in result.period_reason
    )
    assert result.baseline_period is not None and result.baseline_period.start == date(2016, 3, 1)


def test_default_period_is_three_months_with_a_long_history(tmp_path: Path) -> None:
    tickets = [ticket(f"T{month}", f"2025-{month:02d}-05T08:00:00+00:00", f"2025-{month:02d}-06T08:00:00+00:00")
               for month in range(1, 13)]  # fmt: skip
    result = card(write_tables(tmp_path, {"tickets": tickets}))
    # the data ends on 6 December: December is not a full month
    assert (result.period.start, result.period.end) == (date(2025, 9, 1), date(2025, 12, 1))
    # January 2025 is not full (the data starts on the 5th): the first full window is February to April
    assert result.baseline_period is not None and result.baseline_kind == "baseline"
    assert (result.baseline_period.start, result.baseline_period.end) == (date(2025, 2, 1), date(2025, 5, 1))
    assert result.period_reason.startswith("The latest 3 months of representative data")


def test_an_export_whose_bulk_lies_in_its_last_partial_month(tmp_path: Path) -> None:
    # like the Volvo log: a few tickets resolved in April, the bulk in May up to the export on the 23rd
    tickets = [
        *tickets_per_day("2012-04", range(9, 13), 1, "A"),
        *tickets_per_day("2012-05", range(1, 24), 10, "M"),
    ]
    result = card(write_tables(tmp_path, {"tickets": tickets}))
    assert (result.period.start, result.period.end) == (date(2012, 5, 1), date(2012, 5, 24))
    assert result.period_reason.startswith("No full month of the data is representative")
    # the fallback: what lies before the period, from where the data starts (shorter than the period)
    assert result.baseline_kind == "fallback" and result.baseline_period is not None
    assert (result.baseline_period.start, result.baseline_period.end) == (date(2012, 4, 9), date(2012, 5, 1))
    assert "provisional" in result.baseline_reason


def test_a_given_period_and_baseline_are_kept(tmp_path: Path) -> None:
    tickets = [ticket(f"T{month}", f"2026-{month:02d}-05T08:00:00+00:00", f"2026-{month:02d}-06T08:00:00+00:00")
               for month in range(1, 5)]  # fmt: skip
    february = Period.parse("2026-02-01..2026-03-01")
    result = card(write_tables(tmp_path, {"tickets": tickets}), MARCH, february)
    assert result.period_reason == "Given: 2026-03-01..2026-04-01."
    assert result.baseline_kind == "given" and result.baseline_period is not None
    assert (result.baseline_period.start, result.baseline_period.end) == (february.start, february.end)


# -- short history: a provisional status, never "no data" for a metric with a value ---------------------------
def handoff_ticket(
    ticket_id: str, day: str, handoffs: int, team: str = "Desk"
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """A ticket created and resolved on `day` (YYYY-MM-DD) with `handoffs` changes of team after its first one."""
    row = ticket(ticket_id, f"{day}T08:00:00+00:00", f"{day}T20:00:00+00:00", team=team)
    events = [
        event(
            ticket_id, f"{day}T{9 + step:02d}:00:00+00:00", "assigned", team=f"{team}-{step}", agent_id="a1"
        )
        for step in range(handoffs + 1)
    ]
    return row, events


def handoff_tables(months: dict[str, list[int]]) -> dict[str, list[dict[str, object]]]:
    """Per month (YYYY-MM), the hand-offs of each of its tickets, resolved on the 10th; the data covers each
    month whole (an open ticket created on its first day and one on its last)."""
    tickets: list[dict[str, object]] = []
    for month in months:
        last = (date.fromisoformat(f"{month}-01") + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        tickets += [ticket(f"O{month}-first", f"{month}-01T00:00:00+00:00"),
                    ticket(f"O{month}-last", f"{last}T23:00:00+00:00")]  # fmt: skip
    events: list[dict[str, object]] = []
    for month, counts in months.items():
        for number, handoffs in enumerate(counts):
            row, rows = handoff_ticket(f"T{month}-{number}", f"{month}-10", handoffs)
            tickets.append(row)
            events += rows
    return {"tickets": tickets, "ticket_events": events}


def test_short_history_gives_a_provisional_status_not_no_data(tmp_path: Path) -> None:
    # six weeks of history: from 20 February to the end of March
    tables = handoff_tables({"2026-03": [0] * 10 + [3] * 10})
    early, early_events = handoff_ticket("E1", "2026-02-20", 0)
    tables["tickets"] += [early, *(handoff_ticket(f"E{n}", "2026-02-21", 0)[0] for n in range(2, 11))]
    tables["ticket_events"] += early_events
    result = card(write_tables(tmp_path, tables))
    assert (result.period.start, result.period.end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert result.baseline_kind == "fallback" and result.baseline_period is not None
    assert (result.baseline_period.start, result.baseline_period.end) == (date(2026, 2, 20), date(2026, 3, 1))
    handoffs = result.metric("C6")
    # 1.5 hand-offs per ticket against 0 in the fallback window: weak, and marked provisional
    assert (handoffs.value, handoffs.baseline, handoffs.status, handoffs.provisional) == (
        1.5,
        0.0,
        "weak",
        True,
    )
    # every metric with a value is judged; "no data" only where there is none
    for metric in result.all_metrics():
        if metric.value is None:
            assert metric.status == "no data", metric.id
        elif metric.kind == "outcome":
            assert metric.status in {"strong", "watch", "weak"}, metric.id
    customer = next(category for category in result.categories if category.id == "customer")
    assert customer.score is not None and customer.status != "no data"
    readiness = result.metric("A1")
    assert readiness.value is not None and readiness.value > 0


def test_no_history_before_the_period_has_its_own_wording(tmp_path: Path) -> None:
    result = card(write_tables(tmp_path, handoff_tables({"2026-03": [0, 1, 2, 1, 0]})), MARCH)
    assert result.baseline_kind is None and result.baseline_period is None
    assert "nothing before the period" in result.baseline_reason
    handoffs = result.metric("C6")
    assert (handoffs.value, handoffs.status, handoffs.availability) == (0.8, "no baseline", "no_baseline")
    customer = next(category for category in result.categories if category.id == "customer")
    assert (customer.score, customer.status) == (None, "no baseline")
    assert result.metric("A1").status == "no baseline"


# -- count measures: the mean per ticket, judged with a noise band that knows n -------------------------------
def test_one_team_tripling_its_hand_offs_rates_c6_weak(tmp_path: Path) -> None:
    # 100 tickets a month. January (the baseline): 28 with one hand-off and 11 with two: a mean of 0.50, 39%
    # with a hand-off. March: a team's hand-offs tripled: 20 with one, 10 with two, 19 with three: 0.97, 49%.
    january = [1] * 28 + [2] * 11 + [0] * 61
    march = [1] * 20 + [2] * 10 + [3] * 19 + [0] * 51
    tables = handoff_tables({"2026-01": january, "2026-02": january, "2026-03": march})
    result = card(write_tables(tmp_path, tables), MARCH)
    handoffs = result.metric("C6")
    assert (handoffs.value, handoffs.baseline, handoffs.unit) == (0.97, 0.5, "hand-offs per ticket")
    assert handoffs.details["share_with_handoff_pct"] == 49.0
    # the median is 0 in both months: a median headline could not see the change at all
    assert handoffs.details["median"] == 0.0
    assert (handoffs.compared_with, handoffs.status, handoffs.provisional) == ("baseline", "weak", False)


def test_a_change_inside_the_noise_is_not_weak(tmp_path: Path) -> None:
    # 0.5 -> 0.7 hand-offs per ticket on 10 tickets a month: two standard errors of the difference are 0.45
    small = handoff_tables({"2026-01": [1] * 5 + [0] * 5, "2026-03": [1] * 7 + [0] * 3})
    noisy = card(write_tables(tmp_path / "small", small), MARCH).metric("C6")
    assert (noisy.value, noisy.baseline, noisy.status) == (0.7, 0.5, "watch")
    # the same change on 1,000 tickets a month is beyond the noise
    large = handoff_tables({"2026-01": [1] * 500 + [0] * 500, "2026-03": [1] * 700 + [0] * 300})
    clear = card(write_tables(tmp_path / "large", large), MARCH).metric("C6")
    assert (clear.value, clear.baseline, clear.status) == (0.7, 0.5, "weak")


# -- no zero where the input is absent ---------------------------------------------------------------------
def test_no_message_events_is_no_data_for_interactions_not_zero(tmp_path: Path) -> None:
    tables = handoff_tables({"2026-01": [0, 1, 0, 1, 0], "2026-03": [0, 1, 0, 1, 0]})
    result = card(write_tables(tmp_path, tables), MARCH)
    interactions = result.metric("C5")
    assert (interactions.value, interactions.status, interactions.availability) == (
        None,
        "no data",
        "missing_events",
    )
    assert interactions.note is not None and "`customer_message` or `agent_message`" in interactions.note
    # nor knowledge figures made of absent article events
    assert result.metric("K3").availability == "missing_events"
    assert result.metric("K6").availability == "missing_events"
    # the customer score rests on the measures that have data (C6), not on a made-up 0 interactions
    customer = next(category for category in result.categories if category.id == "customer")
    assert customer.score == result.metric("C6").score


# -- the command line ----------------------------------------------------------------------------------------
def test_the_scorecard_command_takes_a_baseline_and_says_how_its_windows_were_chosen(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from advisor.cli import app

    folder = write_tables(tmp_path, handoff_tables({"2026-01": [0, 1, 0, 1, 0], "2026-02": [0, 1, 0, 1, 0],
                                                    "2026-03": [1, 2, 1, 2, 1]}))  # fmt: skip
    runner = CliRunner()
    given = runner.invoke(app, ["scorecard", str(folder), "--period", "2026-03-01..2026-04-01",
                                "--baseline", "2026-02-01..2026-03-01", "--json"])  # fmt: skip
    assert given.exit_code == 0, given.output
    body = json.loads(given.output)
    assert body["baseline_kind"] == "given"
    assert body["baseline_period"] == {"start": "2026-02-01", "end": "2026-03-01"}
    assert body["period_reason"] == "Given: 2026-03-01..2026-04-01."
    default = runner.invoke(app, ["scorecard", str(folder)], env={"COLUMNS": "200"})
    assert default.exit_code == 0, default.output
    assert "Period: The latest 1 month of representative data" in " ".join(default.output.split())
    assert "Baseline: The organisation's first representative window" in " ".join(default.output.split())
