"""Conversations over the demo organisation: follow-ups keep their context, answers cite their evidence."""

from __future__ import annotations

from advisor.service import Advisor


def test_a_follow_up_for_one_team_shows_that_teams_figures(advisor: Advisor) -> None:
    first = advisor.chat("What should we improve next?")
    follow_up = advisor.chat("and for the Billing Desk?", first.conversation_id)
    assert follow_up.intent == "group"
    assert follow_up.answer.startswith("For the team **Billing Desk**")
    assert follow_up.citations and all(citation.kind == "metric" for citation in follow_up.citations)
    assert all(f"[{citation.id}]" in follow_up.answer for citation in follow_up.citations)
    unknown = advisor.chat("and for Atlantis?", first.conversation_id)
    assert 'I do not know a team, product, channel or segment called "Atlantis"' in unknown.answer
    assert "Billing Desk" in unknown.answer  # it lists the ones it knows


def test_why_that_one_explains_the_first_step(advisor: Advisor) -> None:
    first = advisor.chat("What should we improve next?")
    why = advisor.chat("why that one?", first.conversation_id)
    top = first.citations[0]
    assert why.answer.startswith(f"**{top.title}** [{top.id}] comes first")
    assert "Steps:" in why.answer and "How success will be measured:" in why.answer
    assert [citation.id for citation in why.citations] == [top.id]


def test_the_recommendations_intent_lists_stored_steps(advisor: Advisor) -> None:
    advisor.propose_next_steps(actor="test")
    answer = advisor.chat("show the recommendations")
    assert answer.intent == "recommendations"
    assert answer.answer.startswith("Recommendations and where they stand:")
    assert answer.citations and all(f"[{citation.id}]" in answer.answer for citation in answer.citations)
