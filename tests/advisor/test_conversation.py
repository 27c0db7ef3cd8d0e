"""Conversations over the demo organisation: follow-ups keep their context, answers cite their evidence."""

from __future__ import annotations

import pytest

from advisor.errors import ConversationNotFound
from advisor.service import Advisor


def test_a_follow_up_for_one_team_shows_that_teams_figures(advisor: Advisor) -> None:
    first = advisor.chat("How are we doing on hand-offs?")
    follow_up = advisor.chat("and for the Billing Desk?", first.conversation_id)
    assert follow_up.intent == "status" and follow_up.understood is not None
    assert (follow_up.understood.metrics, follow_up.understood.filters) == (["C6"], {"team": "Billing Desk"})
    assert follow_up.answer.startswith(
        "**[Hand-offs per ticket](/scorecard/metrics/C6)** for Billing Desk (team)"
    )
    assert "hand-offs per ticket (n = " in follow_up.answer
    assert [citation.id for citation in follow_up.citations] == ["metric:C6"]
    unknown = advisor.chat("and for Atlantis?", first.conversation_id)
    assert unknown.intent == "clarify"
    assert 'I do not know a team, product, channel or segment called "Atlantis"' in unknown.answer
    assert "Billing Desk" in unknown.answer  # it lists the ones it knows


def test_why_that_one_explains_the_first_step(advisor: Advisor) -> None:
    first = advisor.chat("What should we improve next?")
    why = advisor.chat("why that one?", first.conversation_id)
    top = first.citations[0]
    assert why.answer.startswith(f"**[{top.title}]({top.url})** comes first")
    assert "Steps:" in why.answer and "How success will be measured:" in why.answer
    assert [citation.id for citation in why.citations] == [top.id]


def test_the_recommendations_intent_lists_stored_steps(advisor: Advisor) -> None:
    advisor.propose_next_steps(actor="test")
    answer = advisor.chat("show the recommendations")
    assert answer.intent == "recommendations"
    assert answer.answer.startswith("Recommendations and where they stand:")
    assert answer.citations and all(f"]({citation.url})" in answer.answer for citation in answer.citations)


def test_follow_ups_are_questions_the_advisor_understands(advisor: Advisor) -> None:
    first = advisor.chat("What should we improve next?", user="ana")
    assert first.follow_ups[0] == "Why that one?"
    for ask in first.follow_ups:
        answer = advisor.chat(ask, first.conversation_id, user="ana")
        assert answer.intent != "clarify", f"{ask!r} was not understood as a follow-up"
    figures = advisor.chat("What is our CSAT?", user="ana")
    for ask in figures.follow_ups:
        answer = advisor.chat(ask, figures.conversation_id, user="ana")
        assert answer.intent != "clarify" and answer.understood is not None
        assert answer.understood.metrics == ["C1b"], ask


def test_each_persons_history_is_their_own(advisor: Advisor) -> None:
    mine = advisor.chat("How is C6 computed?", user="bo")
    advisor.chat("What should we improve next?", mine.conversation_id, user="bo")
    theirs = advisor.chat("password reset loop", user="cy")

    history = advisor.conversation_history(user="bo")
    assert [item.id for item in history][:1] == [mine.conversation_id]
    assert history[0].title == "How is C6 computed?" and history[0].turns == 4
    assert theirs.conversation_id not in {item.id for item in history}
    turns = advisor.conversation(mine.conversation_id, user="bo")
    assert [turn.role for turn in turns] == ["user", "advisor", "user", "advisor"]
    assert turns[1].id == mine.turn_id and turns[1].citations == mine.citations

    with pytest.raises(ConversationNotFound):
        advisor.conversation(mine.conversation_id, user="cy")
    with pytest.raises(ConversationNotFound):  # nor may anyone continue someone else's conversation
        advisor.chat("and for the Billing Desk?", mine.conversation_id, user="cy")
    assert len(advisor.conversation(mine.conversation_id, user="bo")) == 4


def test_feedback_on_an_answer_is_kept_and_a_helpful_one_counts_as_reuse(advisor: Advisor) -> None:
    answer = advisor.chat("customer cannot log in after password reset", user="di")
    assert answer.turn_id is not None
    reusable = [c.id for c in answer.citations if c.kind in {"article", "solution", "document", "case"}]
    assert reusable, "the answer cites knowledge articles"
    before = {doc: advisor.index.reuse_count(doc) for doc in reusable}

    verdict = advisor.answer_feedback(answer.turn_id, helpful=True, comment="<b>spot on</b>", user="di")
    assert verdict.helpful and verdict.comment == "<b>spot on</b>" and verdict.by == "di"
    stored = advisor.conversations.feedback([answer.turn_id])
    assert [(f.helpful, f.comment) for f in stored] == [(True, "<b>spot on</b>")]
    assert all(advisor.index.reuse_count(doc) == before[doc] + 1 for doc in reusable)

    with pytest.raises(ConversationNotFound):  # only on one's own answers
        advisor.answer_feedback(answer.turn_id, helpful=False, user="eve")
    with pytest.raises(ConversationNotFound):  # and only on answers, not on the question
        advisor.answer_feedback(answer.turn_id - 1, helpful=False, user="di")


def test_a_person_deletes_their_own_conversation_and_its_feedback(advisor: Advisor) -> None:
    answer = advisor.chat("How is C6 computed?", user="fay")
    assert answer.turn_id is not None
    advisor.answer_feedback(answer.turn_id, helpful=False, comment="too terse", user="fay")
    with pytest.raises(ConversationNotFound):  # nobody else may delete it
        advisor.delete_conversation(answer.conversation_id, user="gus")

    advisor.delete_conversation(answer.conversation_id, user="fay")
    assert answer.conversation_id not in {item.id for item in advisor.conversation_history(user="fay")}
    assert advisor.conversation(answer.conversation_id, user="fay") == []
    assert advisor.conversations.feedback([answer.turn_id]) == []
    with pytest.raises(ConversationNotFound):
        advisor.delete_conversation(answer.conversation_id, user="fay")
