"""Per-client rate limits: API_RATE_LIMIT requests per period for each client, counted in the
shared cache, so every web process counts against the same limit."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" -> (600, 60): requests, and the period's seconds (its first letter counts,
    as in DRF's own rates: s, m, h or d)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0]]


class ClientRateThrottle(BaseThrottle):
    """A fixed window per client: one counter per client and period, incremented atomically
    (DRF's SimpleRateThrottle keeps a list of every request's time, rewritten at each request,
    which costs more the higher the limit, and loses counts between processes)."""

    def allow_request(self, request, view) -> bool:
        client = getattr(request.user, "api_client", None)
        if client is None:
            return True  # refused before any work by the permission check
        self.limit, self.period = parse_rate(settings.API_RATE_LIMIT)
        now = time.time()
        window = int(now // self.period)
        self.window_ends = (window + 1) * self.period
        self.now = now
        key = f"api-rate:{client.pk}:{window}"
        cache.add(key, 0, timeout=self.period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            cache.add(key, 1, timeout=self.period + 1)
            count = 1
        return count <= self.limit

    def wait(self) -> float:
        return max(self.window_ends - self.now, 1)
