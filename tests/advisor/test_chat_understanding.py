"""How the chat reads questions: the shared evaluation set on the demo organisation (at least 95 % per
facet), and other phrasings on an organisation with other names, to show the reading is of the language and
the organisation's data, not of the set."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from advisor.models import Understood
from advisor.understanding import understand
from advisor.understanding_eval import FACETS, read_questions, score_readings
from advisor.vocabulary import Vocabulary, organisation_vocabulary
from metrics.store import open_store

EVAL_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "chat-questions.jsonl"


@pytest.fixture(scope="module")
def demo_vocabulary(tmp_path_factory: pytest.TempPathFactory) -> Vocabulary:
    """The evaluation set's organisation: `advisor demo-data OUT --seed 42 --size medium`."""
    from metrics.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo42")
    generate_demo(folder, end=date(2026, 12, 1), seed=42, size="medium")
    return organisation_vocabulary(open_store(folder))


@pytest.fixture(scope="module")
def other_vocabulary(tmp_path_factory: pytest.TempPathFactory) -> Vocabulary:
    """A small organisation with other names (teams, products, channels, priorities, segments) whose data
    ends on 2025-03-20: relative periods count from there."""
    folder = tmp_path_factory.mktemp("harbour")
    teams = ["Service Desk North", "Field Engineering", "Renewals", "Tier 3 Escalations"]
    products = ["FleetTrack", "Dispatch Pro", "Harbour Portal"]
    channels = ["whatsapp", "voice", "portal"]
    priorities = ["P1", "P2", "P3"]
    with (folder / "accounts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "segment"])
        for number, segment in enumerate(["public sector", "strategic", "self-serve"] * 4):
            writer.writerow([f"A{number}", segment])
    with (folder / "tickets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "account_id", "created_at", "resolved_at", "team", "product", "channel", "priority"]
        )
        for number in range(60):
            month = 1 + number % 3
            day = 1 + number % (19 if month == 3 else 27)
            writer.writerow(
                [
                    f"T{number}",
                    f"A{number % 12}",
                    f"2025-{month:02d}-{day:02d}T09:00:00+00:00",
                    f"2025-{month:02d}-{day + 1:02d}T10:00:00+00:00",
                    teams[number % 4],
                    products[number % 3],
                    channels[number % 3],
                    priorities[number % 3],
                ]
            )
    return organisation_vocabulary(open_store(folder))


@pytest.mark.skipif(
    not EVAL_SET.exists(), reason="../shared/eval/chat-questions.jsonl is not checked out here"
)
def test_the_evaluation_set_is_read_right_on_at_least_95_percent_of_each_facet(
    demo_vocabulary: Vocabulary,
) -> None:
    questions = read_questions(EVAL_SET)
    assert len(questions) >= 40
    scores = score_readings((q, understand(q.question, demo_vocabulary)) for q in questions)
    shares = scores.shares()
    assert all(shares[facet] is not None and shares[facet] >= 0.95 for facet in FACETS), scores.misses
    assert shares["all"] is not None and shares["all"] >= 0.95, scores.misses


def _read(vocabulary: Vocabulary, question: str, *history: Understood) -> dict[str, object]:
    return understand(question, vocabulary, list(history)).model_dump(mode="json", exclude_defaults=True)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # next steps
        ("Where do we start if we want to get better?", {"intent": "next_steps"}),
        (
            "what's our top priority for Renewals this quarter",
            {"intent": "next_steps", "filters": {"team": "Renewals"}},
        ),
        # why
        (
            "How come reassignments went up for Dispatch Pro?",
            {"intent": "diagnose", "metrics": ["C6"], "filters": {"product": "Dispatch Pro"}},
        ),
        ("what's behind the drop in customer satisfaction", {"intent": "diagnose", "metrics": ["C1b"]}),
        ("Which team drives the reopen increase?", {"intent": "diagnose", "metrics": ["C1r"], "by": "team"}),
        # breakdowns
        ("reopens per product please", {"intent": "breakdown", "metrics": ["C1r"], "by": "product"}),
        (
            "Which channel sees the most transfers?",
            {"intent": "breakdown", "metrics": ["C6"], "by": "channel"},
        ),
        ("split NPS by segment", {"intent": "breakdown", "metrics": ["C1a"], "by": "segment"}),
        # trends
        ("Is time to resolve getting worse?", {"intent": "trend", "metrics": ["B2"]}),
        ("effort score month by month", {"intent": "trend", "metrics": ["C2"]}),
        # comparisons
        (
            "Field Engineering vs Renewals on customer effort",
            {
                "intent": "compare",
                "metrics": ["C2"],
                "by": "team",
                "filters": {"team": "Field Engineering"},
                "compare_to": {"team": "Renewals"},
            },
        ),
        (
            "Are transfers better than last quarter?",
            {
                "intent": "compare",
                "metrics": ["C6"],
                "period": {"start": "2025-01-01", "end": "2025-04-01"},
                "compare_to": {"start": "2024-10-01", "end": "2025-01-01"},
            },
        ),
        # figures, with groups and periods
        (
            "csat for fleettrack in february",
            {
                "intent": "status",
                "metrics": ["C1b"],
                "filters": {"product": "FleetTrack"},
                "period": {"start": "2025-02-01", "end": "2025-03-01"},
            },
        ),
        (
            "How many hand-offs did Tier 3 Escalations have in Q4 2024?",
            {
                "intent": "status",
                "metrics": ["C6"],
                "filters": {"team": "Tier 3 Escalations"},
                "period": {"start": "2024-10-01", "end": "2025-01-01"},
            },
        ),
        (
            "NPS for public sector customers since January",
            {
                "metrics": ["C1a"],
                "filters": {"segment": "public sector"},
                "period": {"start": "2025-01-01", "end": "2025-03-21"},
            },
        ),
        (
            "reopen rate on whatsapp last month",
            {
                "intent": "status",
                "metrics": ["C1r"],
                "filters": {"channel": "whatsapp"},
                "period": {"start": "2025-02-01", "end": "2025-03-01"},
            },
        ),
        (
            "ramp-up time for new hires this year",
            {"intent": "status", "metrics": ["E4"], "period": {"start": "2025-01-01", "end": "2026-01-01"}},
        ),
        ("P1 tickets: how long to resolve?", {"metrics": ["B2"], "filters": {"priority": "P1"}}),
        (
            "interactions to close from 2024-11-01 to 2024-12-31",
            {"metrics": ["C5"], "period": {"start": "2024-11-01", "end": "2025-01-01"}},
        ),
        # definitions, outcomes, how-to, tracked recommendations
        ("define knowledge reuse", {"intent": "definition", "metrics": ["K3"]}),
        ("how is the customer composite calculated?", {"intent": "definition", "metrics": ["C1"]}),
        (
            "did the help-centre redesign make a difference to self-service?",
            {"intent": "what_worked", "metrics": ["C4"]},
        ),
        ("any tips for faster time to publish?", {"intent": "how_to", "metrics": ["K2"]}),
        ("the dispatch screen freezes when a driver logs in", {"intent": "how_to"}),
        ("which recommendations did we accept?", {"intent": "recommendations"}),
        # typos and shorthand
        (
            "wat r our reopns in febuary",
            {"metrics": ["C1r"], "period": {"start": "2025-02-01", "end": "2025-03-01"}},
        ),
        (
            "why r tranfers so high at feild engineering",
            {"intent": "diagnose", "metrics": ["C6"], "filters": {"team": "Field Engineering"}},
        ),
        ("hw can we cut handofs", {"intent": "how_to", "metrics": ["C6"]}),
        # more shapes of the same intents
        ("What needs attention?", {"intent": "next_steps"}),
        ("Rank the teams by CSAT", {"intent": "breakdown", "metrics": ["C1b"], "by": "team"}),
        (
            "How did effort change from Q3 2024 to Q4 2024?",
            {
                "intent": "compare",
                "metrics": ["C2"],
                "period": {"start": "2024-10-01", "end": "2025-01-01"},
                "compare_to": {"start": "2024-07-01", "end": "2024-10-01"},
            },
        ),
        (
            "Did the Dispatch Pro redesign shorten time to smile?",
            {"intent": "what_worked", "metrics": ["B2"]},
        ),
        ("Has NPS improved?", {"intent": "trend", "metrics": ["C1a"]}),
        ("Why did transfers drop?", {"intent": "diagnose", "metrics": ["C6"]}),
        (
            "what should renewals do about reopens",
            {"intent": "how_to", "metrics": ["C1r"], "filters": {"team": "Renewals"}},
        ),
        (
            "reopen rate last week",
            {"metrics": ["C1r"], "period": {"start": "2025-03-10", "end": "2025-03-17"}},
        ),
        (
            "NPS over the past 2 quarters",
            {"metrics": ["C1a"], "period": {"start": "2024-09-01", "end": "2025-03-01"}},
        ),
        (
            "What should my team work on this month?",
            {"intent": "next_steps", "period": {"start": "2025-03-01", "end": "2025-04-01"}},
        ),
        ("Where do the extra transfers come from?", {"intent": "diagnose", "metrics": ["C6"]}),
        ("What is a hand-off?", {"intent": "definition", "metrics": ["C6"]}),
        ("How is NPS scored?", {"intent": "definition", "metrics": ["C1a"]}),
        (
            "My customer says the FleetTrack app crashes on login",
            {"intent": "how_to", "filters": {"product": "FleetTrack"}},
        ),
        (
            "How do we do on effort for strategic accounts?",
            {"intent": "status", "metrics": ["C2"], "filters": {"segment": "strategic"}},
        ),
        ("Show CSAT across products", {"intent": "breakdown", "metrics": ["C1b"], "by": "product"}),
        ("Which employee closes the most tickets?", {"about_people": True}),
        # people are never ranked
        ("who is our slowest agent?", {"about_people": True}),
    ],
)
def test_other_phrasings_on_another_organisation(
    other_vocabulary: Vocabulary, question: str, expected: dict[str, object]
) -> None:
    reading = _read(other_vocabulary, question)
    for facet, value in expected.items():
        assert reading.get(facet) == value, (question, reading)


def test_follow_ups_are_read_against_the_conversation(other_vocabulary: Vocabulary) -> None:
    first = understand("What is CSAT for Renewals?", other_vocabulary)
    assert (first.intent, first.metrics, first.filters) == ("status", ["C1b"], {"team": "Renewals"})
    other_team = understand("and for Field Engineering?", other_vocabulary, [first])
    assert (other_team.intent, other_team.metrics, other_team.filters) == (
        "status",
        ["C1b"],
        {"team": "Field Engineering"},
    )
    earlier = understand("what about last quarter?", other_vocabulary, [first, other_team])
    assert earlier.filters == {"team": "Field Engineering"} and earlier.period is not None
    assert (earlier.period.start, earlier.period.end) == (date(2024, 10, 1), date(2025, 1, 1))
    why = understand("why?", other_vocabulary, [first, other_team, earlier])
    assert (why.intent, why.metrics) == ("diagnose", ["C1b"])
    split = understand("by product", other_vocabulary, [first])
    assert (split.intent, split.by, split.metrics) == ("breakdown", "product", ["C1b"])

    steps = understand("What should we improve next?", other_vocabulary)
    more = understand("what else?", other_vocabulary, [steps])
    assert (more.intent, more.more) == ("next_steps", True)
    second = understand("tell me more about the second one", other_vocabulary, [steps, more])
    assert (second.intent, second.item) == ("next_steps", 2)
    why_that = understand("why that one?", other_vocabulary, [steps])
    assert (why_that.intent, why_that.item) == ("next_steps", 1)

    search = understand("how do I reset a driver's password", other_vocabulary)
    assert understand("anything else?", other_vocabulary, [search]).more
    # without a conversation, a bare follow-up asks back instead of guessing
    assert understand("and for it?", other_vocabulary).intent == "clarify"


def test_a_follow_up_that_points_back_keeps_the_subject(other_vocabulary: Vocabulary) -> None:
    first = understand("what's going wrong with satisfaction at Renewals lately?", other_vocabulary)
    assert (first.intent, first.metrics, first.filters) == ("diagnose", ["C1b"], {"team": "Renewals"})
    where = understand("where is it worst?", other_vocabulary, [first])
    assert (where.intent, where.metrics, where.by) == ("breakdown", ["C1b"], "team")
    tried = understand("what have we tried before for that?", other_vocabulary, [first, where])
    assert (tried.intent, tried.metrics, tried.filters, tried.by) == (
        "what_worked",
        ["C1b"],
        {"team": "Renewals"},
        None,
    )
    fix = understand("how do we fix it?", other_vocabulary, [first, where, tried])
    assert (fix.intent, fix.metrics) == ("how_to", ["C1b"])
    # a new question that names nothing is not glued to the old subject
    assert understand("how do I reset a driver's password", other_vocabulary, [first]).metrics == []


def test_what_cannot_be_read_asks_one_short_question_back(other_vocabulary: Vocabulary) -> None:
    for message in ("hmm", "   ", "?!", "numbers"):
        reading = understand(message, other_vocabulary)
        assert reading.intent == "clarify" and reading.question and reading.question.endswith("?")
    assert understand("why is it like that?", other_vocabulary).intent == "clarify"


def test_everyday_words_are_not_taken_for_group_names(demo_vocabulary: Vocabulary) -> None:
    # "high" is a priority of the demo organisation, but only "high priority" names it
    assert understand("Why are hand-offs high?", demo_vocabulary).filters == {}
    assert understand("CSAT of high priority tickets", demo_vocabulary).filters == {"priority": "high"}


def test_a_long_pasted_message_is_searched(other_vocabulary: Vocabulary) -> None:
    email = ("Hello team, the FleetTrack app stopped syncing vehicle positions after the update. " * 40)[
        :3900
    ]
    reading = understand(email, other_vocabulary)
    assert reading.intent == "how_to"


def test_a_problem_that_names_a_group_is_searched_not_read_as_its_status(
    other_vocabulary: Vocabulary,
) -> None:
    """An agent describing a customer's problem often names the product; that is a question for the
    knowledge (filtered to the product), not for the product's metrics."""
    for message in (
        "Dispatch Pro route optimiser keeps skipping the last stop",
        "Have we seen this before: FleetTrack trips vanish after midnight? (case 10002)",
        "What worked before when Harbour Portal invoices show twice?",
    ):
        reading = understand(message, other_vocabulary)
        assert reading.intent == "how_to", (message, reading)
        assert reading.filters.get("product") in {"Dispatch Pro", "FleetTrack", "Harbour Portal"}
    # a group alone, a group with a period, or a metric keeps its reading
    assert understand("Renewals", other_vocabulary).intent == "status"
    assert understand("FleetTrack last month", other_vocabulary).intent == "status"
    assert understand("What worked before on first contact resolution?", other_vocabulary).intent == (
        "what_worked"
    )
