"""The outbox relay: publishes what publishing after commit left behind, and runs the sweeps.

It runs as a process of its own (`manage.py outbox_relay`), so rows written while the broker was
down go out within a second or two of its return, and the sweeps do not depend on beat or on a
worker that may be gone.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings

from journeys.services.emails import outgoing_emails_relay, outgoing_emails_sweep
from journeys.services.handoffs import handoffs_relay, handoffs_sweep

# Other outboxes' rounds (the webhooks'), registered by their app's ready() so this module
# imports none of them. Each is called as work(now=, after=, sweep=) and returns its counts.
RELAY_WORK: list[Callable[..., dict[str, int]]] = []


def relay_register(work: Callable[..., dict[str, int]]) -> None:
    if work not in RELAY_WORK:
        RELAY_WORK.append(work)


def outbox_relay(*, now: dt.datetime, sweep: bool) -> dict[str, int]:
    """One round: publish rows never published (older than two relay intervals, so a publish
    after commit still under way is not doubled), and with `sweep` also rows undelivered past the
    grace period. Returns the counts."""
    after = dt.timedelta(seconds=2 * settings.OUTBOX_RELAY_INTERVAL_SECONDS)
    counts = {
        "handoffs_relayed": handoffs_relay(now=now, after=after),
        "emails_relayed": outgoing_emails_relay(now=now, after=after),
    }
    if sweep:
        counts["handoffs_swept"] = handoffs_sweep(now=now)
        counts["emails_swept"] = outgoing_emails_sweep(now=now)
    for work in RELAY_WORK:
        counts |= work(now=now, after=after, sweep=sweep)
    return counts
