"""Sign-in throttling that cannot be turned against the account holder.

Failures are counted per username *and* address together, and per username across every
address. Past a few failures the next attempt must wait (30 s, doubling, at most 15 minutes);
an attempt made sooner is refused without looking at the password, and one made after the wait
is judged on its password as usual, so the right password always gets in once the wait is over.
Nobody can lock an account by failing on purpose, and a shared address (a NAT, a proxy) slows
only the usernames tried from it. Past a higher ceiling of failures across addresses (a guesser
spreading attempts over many) every address waits for that username, and the account holder is
told once a day by e-mail.

The counters live in Django's cache: Redis shared by every web process in production
(CACHE_URL), per process in the embedded default.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PAIR_WINDOW_SECONDS = 3600  # forgotten after this quiet time: longer than the longest wait
USER_WINDOW_SECONDS = 24 * 3600
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60


@dataclass(frozen=True)
class Failures:
    count: int = 0
    last: float = 0.0


def _user_key(username: str) -> str:
    # Usernames are hashed: a key may not hold every character, nor tell the cache's readers
    # which names were tried.
    return "signin:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def _pair_key(username: str, address: str) -> str:
    return f"{_user_key(username)}:{address}"


def _clock() -> float:
    return time.time()


def _delay(over: int) -> float:
    return min(BASE_DELAY_SECONDS * 2**over, MAX_DELAY_SECONDS)


def _read(key: str) -> Failures:
    return Failures(*cache.get(key, (0, 0.0)))


def signin_wait(*, username: str, address: str, now: float | None = None) -> int:
    """Seconds this username must wait before an attempt from this address is judged (0: now)."""
    now = _clock() if now is None else now
    waits = [0.0]
    pair, user = _read(_pair_key(username, address)), _read(_user_key(username))
    if pair.count >= settings.SIGNIN_FREE_FAILURES:
        waits.append(pair.last + _delay(pair.count - settings.SIGNIN_FREE_FAILURES) - now)
    if user.count >= settings.SIGNIN_USERNAME_CEILING:
        waits.append(user.last + _delay(user.count - settings.SIGNIN_USERNAME_CEILING) - now)
    return int(max(waits) + 0.999)


def signin_failed(*, username: str, address: str, now: float | None = None) -> bool:
    """Count a failed attempt. Returns True when it takes the username to its ceiling across
    addresses for the first time in a day: the moment to tell the account holder."""
    now = _clock() if now is None else now
    pair_key, user_key = _pair_key(username, address), _user_key(username)
    pair, user = _read(pair_key), _read(user_key)
    cache.set(pair_key, (pair.count + 1, now), PAIR_WINDOW_SECONDS)
    cache.set(user_key, (user.count + 1, now), USER_WINDOW_SECONDS)
    return user.count + 1 == settings.SIGNIN_USERNAME_CEILING


def signin_succeeded(*, username: str, address: str) -> None:
    """The right password from this address: its failures are forgiven (not other addresses')."""
    cache.delete(_pair_key(username, address))


def rate_exceeded(*, scope: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one more use of `scope` by `key` in a fixed window; True once over `limit`."""
    name = f"rate:{scope}:" + hashlib.sha256(key.casefold().encode()).hexdigest()[:32]
    cache.add(name, 0, period_seconds)
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, period_seconds)
        used = 1
    return used > limit
