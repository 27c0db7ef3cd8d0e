"""Sign-in throttling on its own: attempts count per username and failures per address; a success clears the
username's count."""

from __future__ import annotations

from web.throttle import SignInThrottle


def test_failures_count_per_username_and_a_success_clears_them() -> None:
    throttle = SignInThrottle(per_username="3 per minute", per_client="5 per minute")
    for _ in range(2):
        assert throttle.attempt("Ana", "10.0.0.1")
        throttle.failed("Ana", "10.0.0.1")
    assert throttle.attempt("ana", "10.0.0.1")
    throttle.succeeded("ana")
    for _ in range(3):
        assert throttle.attempt("ana", "10.0.0.1")
        throttle.failed("ana", "10.0.0.1")
    assert not throttle.attempt(" ANA ", "10.0.0.2"), "the username is throttled from any address"
    assert throttle.attempt("bo", "10.0.0.2")


def test_one_address_guessing_many_usernames_is_throttled() -> None:
    throttle = SignInThrottle(per_username="3 per minute", per_client="5 per minute")
    for name in ("a", "b", "c", "d", "e"):
        throttle.failed(name, "10.0.0.9")
    assert not throttle.attempt("f", "10.0.0.9")
    assert throttle.attempt("f", "10.0.0.8")
