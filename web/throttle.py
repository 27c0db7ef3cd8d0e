"""Sign-in throttling. Attempts are counted per username and failures per client address in a moving window
(the `limits` library), in storage every worker shares: the application database by default, or Redis or
Memcached (`throttle_storage_url`), or one process's memory (memory://). Password guessing slows to a
trickle, while someone who mistypes twice carries on, and signing in successfully clears that username's
count. An attempt takes its place in the username's window before the password is checked, so five tries
are five however many workers (or parallel requests) they are spread over."""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from advisor.rate_limit_store import DatabaseStorage
from advisor.settings import Settings

#: Sign-in attempts allowed for one username, and failures from one address, before further tries are refused.
PER_USERNAME = "5 per 15 minutes"
PER_CLIENT = "30 per 15 minutes"


class SignInThrottle:
    """Counts sign-in attempts; `attempt` says whether another try may be checked at all."""

    def __init__(
        self,
        per_username: str = PER_USERNAME,
        per_client: str = PER_CLIENT,
        *,
        storage: Storage | None = None,
    ) -> None:
        self._limiter = _limiter(storage if storage is not None else MemoryStorage())
        self._per_username: RateLimitItem = parse(per_username)
        self._per_client: RateLimitItem = parse(per_client)

    def attempt(self, username: str, client: str) -> bool:
        """Whether this try may be checked: the address has failures to spare and the username an attempt,
        which this call takes (given back by `succeeded`)."""
        if not self._limiter.test(self._per_client, "client", client):
            return False
        return self._limiter.hit(self._per_username, "username", _key(username))

    def failed(self, username: str, client: str) -> None:
        """A wrong password: it counts against the address (the username's attempt is already counted)."""
        self._limiter.hit(self._per_client, "client", client)

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self._per_username, "username", _key(username))


def build_sign_in_throttle(settings: Settings) -> SignInThrottle:
    """The throttle on the configured storage: a `limits` URI, else the application database."""
    uri = settings.throttle_storage_url
    if not uri:
        return SignInThrottle(storage=DatabaseStorage(settings.database_url))
    storage = storage_from_string(uri)
    if not isinstance(storage, Storage):
        raise ValueError(f"throttle_storage_url {uri!r}: use a synchronous limits storage (not async+...)")
    return SignInThrottle(storage=storage)


def _limiter(storage: Storage) -> RateLimiter:
    """The moving window where the storage keeps one (memory, Redis, the database); Memcached keeps only
    counters, so there the sliding window counter approximates it."""
    if isinstance(storage, MovingWindowSupport):
        return MovingWindowRateLimiter(storage)
    return SlidingWindowCounterRateLimiter(storage)


def _key(username: str) -> str:
    return username.strip().lower()
