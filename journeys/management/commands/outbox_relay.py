import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.utils import timezone

from journeys.services.relay import outbox_relay

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Publish outbox rows (handoffs, e-mails, and what other apps register: webhook "
        "deliveries due) that publishing after commit left behind, every "
        "OUTBOX_RELAY_INTERVAL_SECONDS, and run the outbox sweeps every "
        "HANDOFF_SWEEP_INTERVAL_SECONDS. Runs until stopped; --once runs one round with the sweeps."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One round, then exit.")

    def handle(self, *args, once: bool, **options):
        if once:
            self.stdout.write(str(outbox_relay(now=timezone.now(), sweep=True)))
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        interval = settings.OUTBOX_RELAY_INTERVAL_SECONDS
        next_sweep = 0.0
        self.stdout.write(
            f"outbox relay: every {interval} s, sweeps every "
            f"{settings.HANDOFF_SWEEP_INTERVAL_SECONDS} s",
            ending="\n",
        )
        self.stdout.flush()
        while not stopping:
            started = time.monotonic()
            sweep = started >= next_sweep
            try:
                close_old_connections()  # a database restarted meanwhile: reconnect
                counts = outbox_relay(now=timezone.now(), sweep=sweep)
            except Exception:  # the database is down: log, and try again next round
                logger.exception("outbox relay round failed")
                for connection in connections.all(initialized_only=True):
                    connection.close()
            else:
                if sweep:
                    next_sweep = started + settings.HANDOFF_SWEEP_INTERVAL_SECONDS
                if any(counts.values()):
                    self.stdout.write(f"outbox relay: {counts}")
                    self.stdout.flush()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
