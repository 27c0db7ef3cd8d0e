"""The stores on both application databases (a SQLite file and a real PostgreSQL server): users and tokens,
conversations, recommendations and reuse votes, with the races that used to lose or duplicate work."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import text

from advisor.access import Principal
from advisor.conversation_store import ConversationStore
from advisor.database import engine
from advisor.errors import ConversationNotFound, InvalidTransition
from advisor.models import ChatTurn, Recommendation
from advisor.recommendation_store import RecommendationStore
from advisor.users import UserStore
from knowledge.feedback import ReuseCounts
from metrics.models import Period
from tests.postgres import database_url, postgres_server

#: pytest finds fixtures by name in the module: these two come from tests/postgres.py
FIXTURES = (database_url, postgres_server)

PASSWORD = "correct horse battery"
SPRING = Period(date(2026, 3, 1), date(2026, 6, 1))
T = TypeVar("T")


def recommendation(practice_id: str = "cust-swarming-complex-cases") -> Recommendation:
    return Recommendation(
        rank=1, title=practice_id, practice_id=practice_id, targets=["C6"], why="C6 is weak.",
        sources=[f"practice:{practice_id}"],
    )  # fmt: skip


def all_at_once(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(i)` in `count` real threads released together; each one's result or error."""
    start = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("did not run")] * count

    def run(number: int) -> None:
        start.wait()
        try:
            results[number] = work(number)
        except BaseException as error:  # the test looks at every outcome
            results[number] = error

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_users_tokens_and_sessions(database_url: str) -> None:
    users = UserStore(database_url, session_hours=2)
    users.create_user("admin", "admin", PASSWORD)
    users.create_user("bob", "agent", PASSWORD)
    assert users.authenticate("bob", PASSWORD) is not None
    assert users.authenticate("bob", PASSWORD + "x") is None
    session = users.start_session("bob")
    assert users.session_principal(session) == Principal("bob", "agent")
    secret = users.create_token("bob", "script").secret
    moment = datetime(2026, 5, 1, 9, tzinfo=UTC)
    assert users.token_principal(secret, at=moment) == Principal("bob", "agent")
    assert users.list_tokens("bob")[0].last_used_at == moment
    assert users.session_principal(session, at=datetime.now(UTC) + timedelta(hours=3)) is None


def test_a_password_change_revokes_the_api_tokens(database_url: str) -> None:
    users = UserStore(database_url)
    users.create_user("admin", "admin", PASSWORD)
    users.create_user("bob", "agent", PASSWORD)
    first = users.create_token("bob", "laptop").secret
    users.change_password("bob", PASSWORD, "a much newer password")
    assert users.token_principal(first) is None and users.list_tokens("bob") == []
    second = users.create_token("bob", "laptop again").secret  # new tokens work
    assert users.token_principal(second) == Principal("bob", "agent")
    users.reset_password("bob", "the admin's choice 1")
    assert users.token_principal(second) is None and users.list_tokens("bob") == []
    third = users.create_token("bob", "after reset").secret
    users.set_disabled("bob", True)
    users.set_disabled("bob", False)
    assert users.token_principal(third) is None, "enabling a user again does not revive their tokens"
    assert users.list_tokens("admin") == []


def test_conversations_and_answer_feedback(database_url: str) -> None:
    store = ConversationStore(database_url)
    ids = store.add(
        "c1",
        "maria",
        [ChatTurn(role="user", text="How do I swarm?"), ChatTurn(role="advisor", text="Like so.")],
    )
    assert [turn.text for turn in store.turns("c1", "maria")] == ["How do I swarm?", "Like so."]
    with pytest.raises(ConversationNotFound):
        store.turns("c1", "li")
    verdict, _ = store.record_feedback(ids[1], by="maria", helpful=True)
    assert verdict.helpful and [found.turn_id for found in store.feedback()] == [ids[1]]
    assert [summary.turns for summary in store.conversations("maria")] == [2]
    store.delete("c1", "maria")
    assert store.conversations("maria") == [] and store.feedback() == []


def test_recommendation_lifecycle(database_url: str) -> None:
    store = RecommendationStore(database_url)
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING)
    again = store.propose(
        [recommendation(), recommendation("emp-buddy-cohorts")], organisation="acme", period=SPRING
    )
    assert sorted(found.practice_id for found in again) == [
        "cust-swarming-complex-cases",
        "emp-buddy-cohorts",
    ]
    store.transition(rec.id, "accepted", actor="maria")
    store.transition(rec.id, "in_progress", actor="maria")
    done = store.transition(rec.id, "done", actor="li")
    assert [change.to_status for change in done.history] == ["proposed", "accepted", "in_progress", "done"]
    with pytest.raises(InvalidTransition, match="allowed: nothing"):
        store.transition(rec.id, "dismissed", actor="li", reason="late")
    # done, the practice may be proposed again
    assert len(store.propose([recommendation()], organisation="acme", period=SPRING)) == 2


def test_forty_simultaneous_accepts_make_one_change(database_url: str) -> None:
    store = RecommendationStore(database_url)
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING)
    results = all_at_once(40, lambda number: store.transition(rec.id, "accepted", actor=f"user{number}"))
    succeeded = [result for result in results if not isinstance(result, BaseException)]
    refused = [result for result in results if isinstance(result, InvalidTransition)]
    assert (len(succeeded), len(refused)) == (1, 39), [r for r in results if isinstance(r, BaseException)][:3]
    assert all("cannot become accepted" in str(error) for error in refused), {str(e) for e in refused}
    history = store.get(rec.id).history
    assert [(change.from_status, change.to_status) for change in history] == [
        (None, "proposed"),
        ("proposed", "accepted"),
    ]


def test_a_dismissed_recommendation_is_never_reopened(database_url: str) -> None:
    store = RecommendationStore(database_url)
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING)

    def move(number: int) -> object:
        if number % 2:
            return store.transition(rec.id, "dismissed", actor=f"user{number}", reason="not for us")
        return store.transition(rec.id, "accepted", actor=f"user{number}")

    results = all_at_once(30, move)
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, InvalidTransition)]
    for follow_up in ("accepted", "in_progress", "dismissed"):
        with contextlib.suppress(InvalidTransition):
            store.transition(rec.id, follow_up, actor="late", reason="late")  # type: ignore[arg-type]
    history = store.get(rec.id).history
    # one unbroken chain: every change starts where the one before ended, and nothing follows a dismissal
    assert all(later.from_status == earlier.to_status for earlier, later in itertools.pairwise(history))
    assert [change.to_status for change in history].count("dismissed") == 1
    assert history[-1].to_status == "dismissed"


def test_simultaneous_proposals_keep_one_open_per_practice(database_url: str) -> None:
    stores = [RecommendationStore(database_url) for _ in range(2)]
    results = all_at_once(
        20,
        lambda number: stores[number % 2].propose(
            [recommendation(), recommendation(f"other-{number}")], organisation="acme", period=SPRING
        ),
    )
    assert not [result for result in results if isinstance(result, BaseException)]
    open_ones = stores[0].list(organisation="acme")
    assert [rec.practice_id for rec in open_ones].count("cust-swarming-complex-cases") == 1
    assert len(open_ones) == 21
    with engine(database_url).connect() as connection:
        changes = connection.execute(text("SELECT count(*) FROM recommendation_changes")).scalar_one()
    assert changes == 21, "every stored proposal has exactly one history entry"


def test_reuse_votes_count_once_per_person(database_url: str) -> None:
    counts = ReuseCounts(database_url)
    assert counts.record("kb-1", "helpful", voter="maria") == 1
    assert counts.record("kb-1", "helpful", voter="maria") == 1, "a repeat changes nothing"
    assert counts.record("kb-1", "solved", voter="maria") == 2, "each kind once"
    assert counts.record("kb-1", "helpful", voter="li") == 3
    results = all_at_once(20, lambda _: counts.record("kb-2", "solved", voter="mallory"))
    assert not [result for result in results if isinstance(result, BaseException)]
    assert counts.details("kb-2") == {"helpful": 0, "solved": 1, "reuse_count": 1}
    assert counts.record("kb-2", "solved") == 2, "the operator's CLI (no voter) counts every call"
