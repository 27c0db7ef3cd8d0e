"""Sign-in throttling. Failed attempts are counted per username and per client address in a moving window
(the `limits` library, in memory). Password guessing slows to a trickle, while someone who mistypes twice
carries on, and signing in successfully clears that username's count."""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

#: Failed sign-ins allowed for one username, and from one address, before further tries are refused.
PER_USERNAME = "5 per 15 minutes"
PER_CLIENT = "30 per 15 minutes"


class SignInThrottle:
    """Counts failed sign-ins; `allowed` says whether another try may be checked at all."""

    def __init__(self, per_username: str = PER_USERNAME, per_client: str = PER_CLIENT) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_username: RateLimitItem = parse(per_username)
        self._per_client: RateLimitItem = parse(per_client)

    def allowed(self, username: str, client: str) -> bool:
        return self._limiter.test(self._per_username, "username", _key(username)) and self._limiter.test(
            self._per_client, "client", client
        )

    def failed(self, username: str, client: str) -> None:
        self._limiter.hit(self._per_username, "username", _key(username))
        self._limiter.hit(self._per_client, "client", client)

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self._per_username, "username", _key(username))


def _key(username: str) -> str:
    return username.strip().lower()
