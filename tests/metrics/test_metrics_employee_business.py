"""Employee and Business metrics on small hand-made tables, against figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

from metrics.models import MetricValue, Period
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import write_tables

MARCH = Period.parse("2026-03-01..2026-04-01")


def metric(folder: Path, metric_id: str, min_group_size: int = 1) -> MetricValue:
    return compute_scorecard(open_store(folder), MARCH, min_group_size=min_group_size).metric(metric_id)


def staff_answer(number: int, kind: str, who: str, score: float, scale: float) -> dict[str, object]:
    return {"id": f"S{number}", "kind": kind, "respondent_id": who, "at": "2026-03-15T10:00:00+00:00",
            "score": score, "scale_max": scale}  # fmt: skip


def staff_surveys(folder: Path) -> Path:
    return write_tables(
        folder,
        {
            "surveys": [
                staff_answer(1, "engagement", "R1", 80, 100),
                staff_answer(2, "engagement", "R2", 60, 100),
                staff_answer(3, "engagement", "R3", 4, 5),  # 4 / 5 * 100 = 80
                staff_answer(4, "engagement", "R1", 7, 10),  # 70; R1 answered twice
                staff_answer(5, "esat", "R1", 50, 100),
            ],
            "employees": [
                {"id": "R1", "team": "A", "started_at": "2025-01-01T00:00:00+00:00"},
                {"id": "R2", "team": "A", "started_at": "2025-01-01T00:00:00+00:00"},
                {"id": "R3", "team": "B", "started_at": "2025-01-01T00:00:00+00:00"},
            ],
        },
    )


def test_engagement_and_satisfaction_are_means_on_0_100(tmp_path: Path) -> None:
    folder = staff_surveys(tmp_path)
    engagement = metric(folder, "E1")
    # (80 + 60 + 80 + 70) / 4
    assert (engagement.n, engagement.value) == (4, 72.5)
    assert metric(folder, "E2").value == 50.0


def test_staff_surveys_are_suppressed_by_people_not_answers(tmp_path: Path) -> None:
    folder = staff_surveys(tmp_path)
    # four answers from three people: shown at a minimum of 3, hidden at 4
    assert metric(folder, "E1", min_group_size=3).value == 72.5
    hidden = metric(folder, "E1", min_group_size=4)
    assert (hidden.value, hidden.n, hidden.availability) == (None, 4, "suppressed")
    assert hidden.note == "fewer than 4 people in the period: not shown"


def test_suggestions_accepted_of_those_submitted(tmp_path: Path) -> None:
    def suggestion(
        number: int, status: str, source: str = "employee", day: str = "03-10", decided: str = ""
    ) -> dict[str, object]:
        return {"id": f"G{number}", "source": source, "submitted_at": f"2026-{day}T10:00:00+00:00", "status": status,
                "decided_at": decided}  # fmt: skip

    folder = write_tables(
        tmp_path,
        {
            "suggestions": [
                suggestion(1, "accepted", decided="2026-03-12T10:00:00+00:00"),
                suggestion(2, "Implemented", decided="2026-03-20T10:00:00+00:00"),
                suggestion(3, "declined", decided="2026-03-20T10:00:00+00:00"),
                suggestion(4, "open"),  # still awaiting a decision: submitted, not accepted
                suggestion(5, "accepted", source="customer"),  # a customer's suggestion
                suggestion(6, "accepted", day="02-10"),  # February
            ]
        },
    )
    result = metric(folder, "E3")
    assert (result.n, result.value) == (4, 50.0)
    assert result.details["awaiting_decision"] == 1


def accounts_and_interruptions(folder: Path) -> Path:
    return write_tables(
        folder,
        {
            "accounts": [
                # -10 before sale, 20 after sale, median Time to Smile of 48 h and 24 h = 1.5 days: 11.5
                {"id": "A1", "segment": "smb", "first_value_before_sale_at": "2026-02-19T00:00:00+00:00",
                 "contract_signed_at": "2026-03-01T00:00:00+00:00",
                 "first_value_after_sale_at": "2026-03-21T00:00:00+00:00"},
                # still waiting at the period's end (1 April): 21 days elapsed, flagged
                {"id": "A2", "segment": "smb", "contract_signed_at": "2026-03-11T00:00:00+00:00"},
                # a 'before sale' value after signing counts 0; 1.5 days after sale
                {"id": "A3", "segment": "enterprise", "first_value_before_sale_at": "2026-03-25T00:00:00+00:00",
                 "contract_signed_at": "2026-03-21T00:00:00+00:00",
                 "first_value_after_sale_at": "2026-03-22T12:00:00+00:00"},
                # reached first value only after the period: waiting 1 day at its end, flagged
                {"id": "A4", "segment": "enterprise", "contract_signed_at": "2026-03-31T00:00:00+00:00",
                 "first_value_after_sale_at": "2026-04-05T00:00:00+00:00"},
                {"id": "A5", "segment": "smb", "contract_signed_at": "2026-02-10T00:00:00+00:00",
                 "first_value_after_sale_at": "2026-02-11T00:00:00+00:00"},  # signed in February
            ],
            "interruptions": [
                {"id": "I1", "account_id": "A1", "interrupted_at": "2026-03-02T00:00:00+00:00",
                 "back_to_happy_at": "2026-03-04T00:00:00+00:00"},
                {"id": "I2", "account_id": "A1", "interrupted_at": "2026-03-10T00:00:00+00:00",
                 "back_to_happy_at": "2026-03-11T00:00:00+00:00"},
                {"id": "I3", "account_id": "A1", "interrupted_at": "2026-03-20T00:00:00+00:00"},  # not over
                {"id": "I4", "account_id": "A2", "interrupted_at": "2026-03-30T00:00:00+00:00",
                 "back_to_happy_at": "2026-04-05T00:00:00+00:00"},  # ends after the period
            ],
        },
    )  # fmt: skip


def test_time_to_customer_value_follows_klevers_law(tmp_path: Path) -> None:
    result = metric(accounts_and_interruptions(tmp_path), "B1")
    # per account: A1 11.5, A2 21, A3 1.5, A4 1 -> sorted 1 1.5 11.5 21
    assert result.n == 4
    assert result.details == {
        "median": 6.5,
        "p80": 15.3,  # 11.5 + 0.4 * (21 - 11.5)
        "mean": 8.75,
        "waiting_for_first_value": 2,
    }
    # 6.5 days against the target of 0 with a 30-day band: 0.217 of a band worse -> 75 - 24 * 0.217
    assert (result.compared_with, result.status, result.score) == ("target", "watch", 69.8)


def test_time_to_first_value_counts_waiting_accounts_with_elapsed_days(tmp_path: Path) -> None:
    result = metric(accounts_and_interruptions(tmp_path), "B5")
    # after sale: A1 20, A2 21 (waiting), A3 1.5, A4 1 (waiting) -> sorted 1 1.5 20 21
    assert result.details["median"] == 10.75
    assert result.details["waiting_for_first_value"] == 2


def test_net_customer_revenue_subtracts_churn_and_contraction(tmp_path: Path) -> None:
    def revenue(
        kind: str, amount: float, at: str = "2026-03-05T00:00:00+00:00", currency: str = "EUR"
    ) -> dict[str, object]:
        return {"account_id": "A1", "at": at, "kind": kind, "amount": amount, "currency": currency}

    rows = [revenue("new", 1000), revenue("expansion", 200), revenue("churn", 300), revenue("Contraction", -50),
            revenue("new", 999, at="2026-04-01T00:00:00+00:00")]  # fmt: skip
    result = metric(write_tables(tmp_path, {"revenue_events": rows}), "B3")
    # 1000 + 200 - 300 - 50 (a contraction counts as lost whatever its sign)
    assert (result.value, result.unit, result.n) == (850.0, "EUR", 4)
    assert result.details == {"sum": 850.0, "n": 4, "new": 1000.0, "churn": 300.0, "expansion": 200.0,
                              "contraction": 50.0, "currencies": 1}  # fmt: skip
    mixed = metric(
        write_tables(tmp_path, {"revenue_events": [*rows, revenue("new", 1, currency="USD")]}), "B3"
    )
    assert mixed.unit == "mixed currencies"
