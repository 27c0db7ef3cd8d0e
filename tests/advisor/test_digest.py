"""The digest: metrics that crossed a status band (the scorecard current on `since` against today's), steps
overdue or due soon, outcomes measured and steps that moved; as Markdown and as escaped HTML, from the
command line too."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.digest import digest_for, digest_html, digest_markdown, period_at
from metrics.models import Period
from tests.advisor.programme_org import MARKUP, TODAY, ProgrammeOrg

SINCE = date(2026, 9, 1)


def test_the_period_current_on_a_day_is_as_long_and_ends_before_today_s() -> None:
    now = Period(date(2026, 8, 1), date(2026, 11, 1))
    assert period_at(now, date(2026, 9, 15)) == Period(date(2026, 6, 1), date(2026, 9, 1))
    assert period_at(now, date(2026, 11, 26)) is None  # the same period: nothing can have crossed
    weeks = Period(date(2026, 8, 3), date(2026, 8, 31))
    assert period_at(weeks, date(2026, 8, 10)) == Period(date(2026, 7, 13), date(2026, 8, 10))


def test_the_digest_lists_crossings_due_steps_outcomes_and_moves(programme_org: ProgrammeOrg) -> None:
    advisor = programme_org.advisor
    digest = digest_for(advisor, SINCE, today=TODAY)
    assert (digest.then_period, digest.now_period) == (
        Period(date(2026, 6, 1), date(2026, 9, 1)),
        Period(date(2026, 8, 1), date(2026, 11, 1)),
    )
    then, now = advisor.scorecard(digest.then_period), advisor.scorecard()
    # every crossing is a real change of status between the two scorecards, worse ones first
    for crossing in digest.crossings:
        assert then.metric(crossing.metric_id).status == crossing.before_status
        assert now.metric(crossing.metric_id).status == crossing.after_status != crossing.before_status
    changed = {m.id for m in now.all_metrics() if m.status != then.metric(m.id).status}
    assert {crossing.metric_id for crossing in digest.crossings} == changed
    c6 = next(crossing for crossing in digest.crossings if crossing.metric_id == "C6")
    assert (c6.before_status, c6.after_status, c6.movement) == ("watch", "weak", "worse")
    assert c6.words.startswith("C6 Hand-offs per ticket went from watch to weak (0.68 hand-offs per ticket")
    movements = [crossing.movement for crossing in digest.crossings]
    assert movements == sorted(movements, key=["worse", "better", "now judged", "no longer judged"].index)

    assert [(step.rec.id, step.overdue_days) for step in digest.overdue] == [(programme_org.overdue, 10)]
    assert digest.overdue[0].words == "overdue by 10 days (due 2026-11-10, owner maria)"
    assert [(step.rec.id, step.words) for step in digest.due_soon] == [
        (programme_org.due_soon, "due in 4 days (2026-11-24, owner nobody yet)")
    ]
    assert [(m.rec.id, m.outcome.metric_id, m.reading.label) for m in digest.outcomes] == [
        (programme_org.done, "C6", "Worse"),
        (programme_org.done, "C5", "No clear change"),
    ]
    assert digest.outcomes[0].short == "worse by 0.49 hand-offs per ticket"
    moved = [(move.change.at.date(), move.change.to_status) for move in digest.moves]
    assert moved == sorted(moved) and (date(2026, 10, 19), "done") in moved
    assert (date(2026, 9, 3), "dismissed") in moved


def test_since_within_today_s_period_says_no_band_could_be_crossed(programme_org: ProgrammeOrg) -> None:
    digest = digest_for(programme_org.advisor, date(2026, 11, 15), today=TODAY)
    assert digest.crossings == [] and digest.then_period is None
    assert digest.crossings_note is not None and "already current on 2026-11-15" in digest.crossings_note
    # the outcome came before `since`, the due steps are due whenever one looks
    assert digest.outcomes == [] and len(digest.overdue) == 1 and not digest.empty


def test_markdown_and_html_say_the_same_and_the_html_is_escaped(programme_org: ProgrammeOrg) -> None:
    digest = digest_for(programme_org.advisor, SINCE, today=TODAY)
    text = digest_markdown(digest, base_url="https://advisor.example")
    assert text.startswith(
        f"# What changed for {digest.organisation}\n\nSince 2026-09-01, up to 2026-11-20.\n"
    )
    assert "\n- **WORSE**: C6 Hand-offs per ticket went from watch to weak" in text
    assert f"(https://advisor.example/recommendations/{programme_org.overdue})\n" in text
    assert "\n- **OVERDUE** Swarm " in text and "overdue by 10 days" in text
    assert "\n- **Worse**: Route once: C6 Hand-offs per ticket rose from 0.78 to 1.24" in text
    assert "worse, as lower is better" in text
    html = digest_html(digest)
    assert MARKUP not in html and "Swarm &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert 'id="crossed-C6"' in html and f'id="due-{programme_org.overdue}" class="overdue"' in html
    assert f'id="measured-{programme_org.done}-C5" class="outcome-no_clear_change"' in html
    assert "inside the noise" in html and 'href="/recommendations/' in html
    assert not digest_html(digest).startswith("<!doctype")
    assert digest_html(digest, standalone=True).startswith("<!doctype html>")


def test_the_command_prints_the_digest(programme_org: ProgrammeOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = programme_org.settings
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ADVISOR_DATABASE_URL", settings.database_url)
    from advisor.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    html = runner.invoke(app, ["digest", "--since", "2026-09-01", "--format", "html"])
    assert html.exit_code == 0, html.output
    assert html.stdout.startswith("<!doctype html>") and MARKUP not in html.stdout
    assert "C6 Hand-offs per ticket</a>\n      went from watch to weak" in html.stdout
    wrong = runner.invoke(app, ["digest", "--since", "last week"])
    assert wrong.exit_code == 2 and "--since 'last week' is not a date like 2026-11-01" in wrong.output
