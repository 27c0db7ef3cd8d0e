"""Diagnosis: the shift-share decomposition by hand, the change-point rule, and planted weaknesses found."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metrics import records
from metrics.change_point import since_month
from metrics.definition_types import MetricDefinition
from metrics.definitions import METRICS_BY_ID
from metrics.demo import generate_demo
from metrics.diagnosis import NOT_SET, OTHER, diagnose
from metrics.models import Period, TrendPoint
from metrics.shift_share import Part, shift_share
from metrics.store import open_store

# -- the decomposition, by hand ------------------------------------------------------------------------------
# Each case: before and now as group -> (weight, rate), and the expected (rate, mix) per group, worked out on
# paper with w̄ = mean share, r̄ = mean rate, V̄ = mean level:  rate = w̄ Δr,  mix = (r̄ - V̄) Δw.
CASES = [
    pytest.param(
        {"A": (50, 10.0), "B": (50, 20.0)},
        {"A": (50, 30.0), "B": (50, 20.0)},
        # V0 = 15, V1 = 25: A's own rate rose by 20 on half the work.
        {"A": (10.0, 0.0), "B": (0.0, 0.0)},
        id="pure rate",
    ),
    pytest.param(
        {"A": (80, 10.0), "B": (20, 50.0)},
        {"A": (20, 10.0), "B": (80, 50.0)},
        # V0 = 18, V1 = 42, V̄ = 30: A (below average) shrank by 0.6 -> (10 - 30)(-0.6) = 12; B grew: (20)(0.6).
        {"A": (0.0, 12.0), "B": (0.0, 12.0)},
        id="pure mix",
    ),
    pytest.param(
        {"A": (50, 10.0), "B": (50, 20.0)},
        {"A": (25, 10.0), "B": (75, 40.0)},
        # V0 = 15, V1 = 32.5, V̄ = 23.75. A: mix (10 - 23.75)(0.25 - 0.5) = 3.4375.
        # B: rate 0.625 * 20 = 12.5, mix (30 - 23.75)(0.75 - 0.5) = 1.5625. Sum 17.5 = V1 - V0.
        {"A": (0.0, 3.4375), "B": (12.5, 1.5625)},
        id="rate and mix",
    ),
    pytest.param(
        {"A": (100, 10.0)},
        {"A": (50, 10.0), "C": (50, 30.0)},
        # C appears only now: no rate change of its own, all mix. V0 = 10, V1 = 20, V̄ = 15.
        # A: (10 - 15)(0.5 - 1) = 2.5; C: (30 - 15)(0.5 - 0) = 7.5.
        {"A": (0.0, 2.5), "C": (0.0, 7.5)},
        id="group only in the period",
    ),
    pytest.param(
        {"A": (50, 10.0), "B": (50, 30.0)},
        {"A": (100, 10.0)},
        # B vanished. V0 = 20, V1 = 10, V̄ = 15. A: (10 - 15)(1 - 0.5) = -2.5; B: (30 - 15)(0 - 0.5) = -7.5.
        {"A": (0.0, -2.5), "B": (0.0, -7.5)},
        id="group only in the comparison window",
    ),
    pytest.param(
        {"A": (50, 10.0), "Z": (0, None)},
        {"A": (50, 20.0), "Z": (0, None)},
        # A group without records or value in both windows takes no part.
        {"A": (10.0, 0.0)},
        id="empty group",
    ),
    pytest.param({}, {}, {}, id="empty windows"),
]


@pytest.mark.parametrize(("before", "now", "expected"), CASES)
def test_shift_share_matches_hand_computed_values(
    before: dict[str, tuple[float, float | None]],
    now: dict[str, tuple[float, float | None]],
    expected: dict[str, tuple[float, float]],
) -> None:
    parts = shift_share(before, now)
    assert set(parts) == set(expected)
    for group, (rate, mix) in expected.items():
        assert parts[group].rate == pytest.approx(rate), group
        assert parts[group].mix == pytest.approx(mix), group


@pytest.mark.parametrize(("before", "now", "expected"), CASES)
def test_rate_and_mix_add_up_to_the_change(
    before: dict[str, tuple[float, float | None]],
    now: dict[str, tuple[float, float | None]],
    expected: dict[str, tuple[float, float]],
) -> None:
    def level(figures: dict[str, tuple[float, float | None]]) -> float:
        used = {g: (w, r) for g, (w, r) in figures.items() if w and r is not None}
        total = sum(w for w, _ in used.values())
        return sum(w * (r or 0.0) for w, r in used.values()) / total if total else 0.0

    parts = shift_share(before, now)
    assert sum(part.total for part in parts.values()) == pytest.approx(level(now) - level(before))


def test_part_total() -> None:
    assert Part(rate=1.5, mix=-0.5).total == 1.0


# -- since when ----------------------------------------------------------------------------------------------
def _trend(values: list[float | None]) -> list[TrendPoint]:
    return [
        TrendPoint(month=f"2026-{index + 1:02d}", value=value, n=100) for index, value in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("values", "direction", "expected"),
    [
        # Six ordinary months around 10 (sd 0.63), then it climbs and stays up: it left the band in July.
        ([10, 11, 9, 10, 11, 9, 14, 15, 16], "lower", "2026-07"),
        # The same rise is good news for a higher-is-better metric: no break on the worse side.
        ([10, 11, 9, 10, 11, 9, 14, 15, 16], "higher", None),
        ([80, 81, 79, 80, 81, 79, 60, 55], "higher", "2026-07"),
        # A blip that came back is not a lasting change.
        ([10, 11, 9, 10, 20, 10, 11, 9], "lower", None),
        # Too little history to know what is usual.
        ([10, 11, 30], "lower", None),
        # Months without a value are skipped.
        ([10, None, 11, 9, 10, None, 11, 9, 14, 15], "lower", "2026-09"),
        ([10, 10, 10, 10, 10, 10], "lower", None),
        ([], "lower", None),
    ],
)
def test_since_month_finds_where_the_final_run_outside_the_band_starts(
    values: list[float | None], direction: str, expected: str | None
) -> None:
    assert since_month(_trend(values), direction) == expected  # type: ignore[arg-type]


# -- diagnose on hand-made tickets ---------------------------------------------------------------------------
#: A made-up percent metric: the share of tickets whose priority is 'bad', by the ticket's creation time.
BAD_SHARE = MetricDefinition(
    id="T1",
    name="Bad tickets",
    category="customer",
    level="manager",
    unit="%",
    direction="lower",
    formula="share of tickets marked bad",
    tables=("tickets",),
    aggregation="percent",
    records_sql=lambda tables: (
        "SELECT "
        + records.columns(
            at="created_at",
            x="CASE WHEN priority = 'bad' THEN 1.0 ELSE 0.0 END",
            team="team",
            channel="channel",
        )
        + " FROM tickets"
    ),
)
PERIOD = Period(date(2026, 4, 1), date(2026, 7, 1))
BASELINE = Period(date(2026, 1, 1), date(2026, 4, 1))


def _write_tickets(folder: Path, rows: list[tuple[str, str, str, str | None]]) -> Path:
    """rows: (created date, team, 'bad' or 'ok', channel)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["id,created_at,team,priority,channel"]
    for index, (day, team, priority, channel) in enumerate(rows):
        lines.append(f"T{index:04d},{day}T10:00:00+00:00,{team},{priority},{channel or ''}")
    (folder / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _group(
    team: str, day: str, total: int, bad: int, channel: str | None = "email"
) -> list[tuple[str, str, str, str | None]]:
    return [(day, team, "bad" if index < bad else "ok", channel) for index in range(total)]


@pytest.fixture
def hand_made(tmp_path: Path) -> Path:
    rows = [
        # Comparison window (baseline): A 1 of 10 bad, B 2 of 10, Tiny 2 of 2.
        *_group("A", "2026-02-10", 10, 1),
        *_group("B", "2026-02-11", 10, 2),
        *_group("Tiny", "2026-02-12", 2, 2),
        # Period: A 5 of 10 (worse), B 2 of 10 (same), New 0 of 10 (only now), Tiny 1 of 1.
        *_group("A", "2026-05-10", 10, 5, "chat"),
        *_group("B", "2026-05-11", 10, 2),
        *_group("New", "2026-05-12", 10, 0),
        *_group("Tiny", "2026-05-13", 1, 1),
    ]
    return _write_tickets(tmp_path / "org", rows)


def test_diagnose_hand_made_tickets_by_team(hand_made: Path) -> None:
    store = open_store(hand_made)
    result = diagnose(store, BAD_SHARE, PERIOD, baseline=BASELINE, min_group_size=5)
    v0, v1 = 100 * 5 / 22, 100 * 8 / 31
    assert result.compared_with is not None and result.compared_with.kind == "baseline"
    assert result.compared_with.value == pytest.approx(v0, abs=1e-3)
    assert result.value == pytest.approx(v1, abs=1e-3)
    assert result.change == pytest.approx(v1 - v0, abs=1e-3)
    teams = {s.value: s for s in result.segments if s.by == "team"}
    # Tiny (2 then 1 tickets) is below the minimum size: pooled as "other", never shown on its own.
    assert set(teams) == {"A", "B", "New", OTHER}
    mean_level = (v0 + v1) / 2
    a = teams["A"]
    assert a.rate_effect == pytest.approx((10 / 22 + 10 / 31) / 2 * (50 - 10), abs=1e-3)
    assert a.mix_effect == pytest.approx(((10 + 50) / 2 - mean_level) * (10 / 31 - 10 / 22), abs=1e-3)
    assert a.effect == "rate" and a.value_now == 50.0 and a.value_before == 10.0 and a.n == 10
    new = teams["New"]
    assert new.rate_effect == 0.0 and new.effect == "mix" and new.share_before == 0.0
    assert new.mix_effect == pytest.approx((0 - mean_level) * (10 / 31), abs=1e-3)
    assert new.value_before is None
    other = teams[OTHER]
    assert other.value_now is None and other.value_before is None  # too small to show a value
    assert sum(s.contribution for s in teams.values()) == pytest.approx(result.change, abs=1e-3)
    # Largest contribution to the rise first: team A, where the rate got worse.
    assert (result.segments[0].by, result.segments[0].value) == ("team", "A")
    assert result.change is not None
    assert result.segments[0].share_of_change == pytest.approx(a.contribution / result.change, abs=1e-3)


def test_diagnose_skips_dimensions_the_records_do_not_carry(hand_made: Path) -> None:
    result = diagnose(open_store(hand_made), BAD_SHARE, PERIOD, baseline=BASELINE, min_group_size=5)
    # Records carry team and channel; product and segment are always null, so they are not decomposed.
    assert result.dimensions == ["team", "channel"]
    channels = {s.value for s in result.segments if s.by == "channel"}
    assert channels == {"email", "chat"}
    assert all(s.by in records.DIMENSIONS for s in result.segments)


def test_not_set_groups_are_labelled(tmp_path: Path) -> None:
    rows = [*_group("A", "2026-02-10", 10, 1, None), *_group("A", "2026-05-10", 10, 4, None)]
    rows += [*_group("A", "2026-02-11", 10, 1, "chat"), *_group("A", "2026-05-11", 10, 1, "chat")]
    result = diagnose(open_store(_write_tickets(tmp_path / "o", rows)), BAD_SHARE, PERIOD, baseline=BASELINE)
    top = result.segments[0]
    assert (top.by, top.value) == ("channel", NOT_SET)


def test_empty_period_has_nothing_to_explain(hand_made: Path) -> None:
    empty = Period(date(2026, 7, 1), date(2026, 10, 1))
    result = diagnose(open_store(hand_made), BAD_SHARE, empty, baseline=BASELINE)
    assert result.value is None and result.change is None and result.segments == []
    assert result.note == "no value in the period: nothing to explain"


def test_without_baseline_it_compares_with_the_previous_period(hand_made: Path) -> None:
    result = diagnose(open_store(hand_made), BAD_SHARE, PERIOD)
    assert result.compared_with is not None
    assert result.compared_with.kind == "previous"
    assert (result.compared_with.start, result.compared_with.end) == (BASELINE.start, BASELINE.end)


def test_without_any_window_it_compares_with_the_target(tmp_path: Path) -> None:
    rows = [*_group("A", "2026-05-10", 10, 5), *_group("B", "2026-05-11", 10, 1)]
    result = diagnose(open_store(_write_tickets(tmp_path / "o", rows)), BAD_SHARE, PERIOD, target=10.0)
    assert result.compared_with is not None and result.compared_with.kind == "target"
    assert result.change == pytest.approx(30.0 - 10.0)
    teams = {s.value: s for s in result.segments if s.by == "team"}
    # Each group's weight times its gap to the target: A 0.5 * (50 - 10), B 0.5 * (10 - 10).
    assert teams["A"].contribution == pytest.approx(20.0)
    assert teams["B"].contribution == pytest.approx(0.0)


def test_composites_cannot_be_decomposed(hand_made: Path) -> None:
    result = diagnose(open_store(hand_made), METRICS_BY_ID["C1"], PERIOD, baseline=BASELINE)
    assert not result.decomposable and result.segments == []
    assert result.note is not None and "C1a and C1b" in result.note


def test_missing_tables_are_said(hand_made: Path) -> None:
    result = diagnose(open_store(hand_made), METRICS_BY_ID["C1b"], PERIOD, baseline=BASELINE)
    assert result.value is None and result.note is not None and "surveys" in result.note


def test_a_median_is_split_through_the_share_above_the_comparison_median(tmp_path: Path) -> None:
    """B2 Time to Smile (a median of hours): team A's tickets take 10 h instead of 2 h; B stays at 2 h."""
    lines = ["id,created_at,resolved_at,team"]
    for index in range(40):
        team = "A" if index % 2 else "B"
        before = index < 20
        start = "2026-02-10T00:00:00+00:00" if before else "2026-05-10T00:00:00+00:00"
        hours = 2 + (8 if team == "A" and not before else 0) + (index % 5) * 0.1
        end_day = "2026-02-10" if before else "2026-05-10"
        lines.append(
            f"T{index:03d},{start},{end_day}T{int(hours):02d}:{int(hours % 1 * 60):02d}:00+00:00,{team}"
        )
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = diagnose(open_store(folder), METRICS_BY_ID["B2"], PERIOD, baseline=BASELINE)
    assert result.change is not None and result.change > 0
    assert result.contribution_unit == "hours"
    teams = {s.value: s for s in result.segments if s.by == "team"}
    assert teams["A"].contribution == pytest.approx(result.change, abs=1e-6)
    assert teams["B"].contribution == pytest.approx(0.0, abs=1e-6)
    assert teams["A"].effect == "rate" and teams["A"].value_now is not None and teams["A"].value_now > 9


# -- planted weaknesses are found ----------------------------------------------------------------------------
END = date(2026, 11, 1)
DEMO_PERIOD = Period(date(2026, 8, 1), date(2026, 11, 1))
DEMO_BASELINE = Period(date(2024, 11, 1), date(2025, 2, 1))
PLANTED = [("team", "Platform Support"), ("product", "Ledger"), ("channel", "chat")]
SEEDS = 20


def _top(folder: Path, metric_id: str) -> tuple[str, str, str]:
    store = open_store(folder)
    try:
        result = diagnose(store, METRICS_BY_ID[metric_id], DEMO_PERIOD, baseline=DEMO_BASELINE)
    finally:
        store.close()
    top = result.segments[0]
    return top.by, top.value, top.effect


@pytest.mark.slow
@pytest.mark.parametrize(("dimension", "group"), PLANTED)
def test_planted_hand_offs_are_localised_in_their_group(tmp_path: Path, dimension: str, group: str) -> None:
    found = 0
    for seed in range(SEEDS):
        folder = tmp_path / f"seed-{seed}"
        generate_demo(
            folder, end=END, seed=seed, size="small", weaknesses=[], plant_in={"handoffs": (dimension, group)}
        )
        by, value, effect = _top(folder, "C6")
        found += (by, value, effect) == (dimension, group, "rate")
    assert found / SEEDS >= 0.9, f"{found} of {SEEDS}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_group_that_only_grew_in_volume_is_reported_as_mix(tmp_path: Path, seed: int) -> None:
    """Technical L2 (every ticket escalated: more hand-offs than the others) takes a growing share of the work
    and gets no worse: the rise of C6 is mix, and it is L2's."""
    generate_demo(
        tmp_path,
        end=END,
        seed=seed,
        size="small",
        weaknesses=[],
        plant_in={"volume": ("team", "Technical L2")},
    )
    store = open_store(tmp_path)
    # Without priority: its "normal" group holds 60 % of the tickets, so a mix shift between teams shows there
    # as a rate change of about the same size, and which of the two comes first is then a matter of the seed.
    result = diagnose(
        store,
        METRICS_BY_ID["C6"],
        DEMO_PERIOD,
        baseline=DEMO_BASELINE,
        dimensions=("team", "product", "channel", "segment"),
    )
    l2 = next(s for s in result.segments if (s.by, s.value) == ("team", "Technical L2"))
    assert (result.segments[0].by, result.segments[0].value) == ("team", "Technical L2")
    assert l2.effect == "mix" and l2.share_now > 1.5 * l2.share_before
    assert abs(l2.mix_effect) > 3 * abs(l2.rate_effect)


def test_a_weakness_planted_in_one_group_stays_there(tmp_path: Path) -> None:
    generate_demo(
        tmp_path, end=END, seed=5, size="small", weaknesses=[], plant_in={"handoffs": ("segment", "smb")}
    )
    manifest = (tmp_path / "demo_manifest.json").read_text(encoding="utf-8")
    assert '"plant_in"' in manifest and '"smb"' in manifest and '"handoffs"' in manifest
    assert _top(tmp_path, "C6")[:2] == ("segment", "smb")


@pytest.mark.parametrize(
    ("plant_in", "message"),
    [
        ({"engagement": ("team", "Billing Desk")}, "cannot be planted in one group"),
        ({"handoffs": ("agent", "E001")}, "cannot be planted by 'agent'"),
        ({"handoffs": ("team", "Nobody")}, "has no team 'Nobody'"),
        ({"volume": ("segment", "smb")}, "cannot be planted by 'segment'"),
    ],
)
def test_plant_in_is_checked(tmp_path: Path, plant_in: dict[str, tuple[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo(tmp_path, end=END, size="small", plant_in=plant_in)


@pytest.mark.parametrize("metric_id", ["C6", "C1b", "B2", "K3"])
def test_the_monthly_series_given_or_computed_gives_the_same_diagnosis(
    tmp_path: Path, metric_id: str
) -> None:
    """The app passes the scorecard's monthly series (nothing to compute again over all the data): the same
    diagnosis as computing it here."""
    from metrics.scorecard import compute_scorecard

    generate_demo(tmp_path, end=END, seed=11, size="small", weaknesses=["handoffs", "csat", "time_to_smile"])
    store = open_store(tmp_path)
    metric = METRICS_BY_ID[metric_id]
    full = diagnose(store, metric, DEMO_PERIOD, baseline=DEMO_BASELINE)
    trend = compute_scorecard(store, DEMO_PERIOD).metric(metric_id).trend
    cut = diagnose(store, metric, DEMO_PERIOD, baseline=DEMO_BASELINE, trend=trend)
    assert cut.model_dump() == full.model_dump()


def test_several_metrics_diagnosed_together_match_one_by_one(tmp_path: Path) -> None:
    from metrics.diagnosis import Request, diagnose_many

    generate_demo(tmp_path, end=END, seed=12, size="small", weaknesses=["handoffs", "csat", "time_to_smile"])
    store = open_store(tmp_path)
    ids = ["C6", "C1b", "B2", "C1", "K1"]
    together = diagnose_many(
        store, [Request(METRICS_BY_ID[i]) for i in ids], DEMO_PERIOD, baseline=DEMO_BASELINE
    )
    alone = [diagnose(store, METRICS_BY_ID[i], DEMO_PERIOD, baseline=DEMO_BASELINE) for i in ids]
    assert [d.model_dump() for d in together] == [d.model_dump() for d in alone]
