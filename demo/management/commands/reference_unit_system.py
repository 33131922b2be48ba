import os
import signal
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo.management.commands.seed_demo import reference_credentials_path
from demo.reference_credentials import credentials_read
from demo.reference_system import REASONS, Config, ReferenceSystem, logging_configure


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--listen takes host:port, not {value!r}")
    return host, int(port)


class Command(BaseCommand):
    help = (
        "Run the reference client: the demo's external unit (the Tax Agency) working in its own "
        "system. It receives the portal's events, verifies their signatures, and approves each "
        "step queued for its unit through the API (docs/api.md)."
    )
    # An outside system: it reads nothing of the portal's but its API, so nothing to check.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--portal",
            default=os.environ.get("REFERENCE_PORTAL_URL", "http://127.0.0.1:8000"),
            help="The portal's address (default: http://127.0.0.1:8000).",
        )
        parser.add_argument(
            "--listen",
            default="127.0.0.1:8001",
            help="host:port the event server listens on (default: 127.0.0.1:8001).",
        )
        parser.add_argument(
            "--callback-url",
            default="",
            help="Where the portal posts events, if not http://<listen>/events/ (behind a "
            "proxy, or in another container).",
        )
        parser.add_argument(
            "--credentials",
            type=Path,
            default=None,
            help="The credentials file seed_demo writes (default: var/reference-client.json); "
            "the subscription is kept there too.",
        )
        parser.add_argument(
            "--client-id",
            default=os.environ.get("REFERENCE_CLIENT_ID", ""),
            help="Instead of the file's (or REFERENCE_CLIENT_ID).",
        )
        parser.add_argument(
            "--client-secret",
            default=os.environ.get("REFERENCE_CLIENT_SECRET", ""),
            help="Instead of the file's (or REFERENCE_CLIENT_SECRET).",
        )
        parser.add_argument(
            "--no-subscribe",
            action="store_false",
            dest="subscribe",
            help="Do not register a subscription (events are checked with the secret of the "
            "one in the credentials file, if any).",
        )
        parser.add_argument(
            "--reasons", default=REASONS, help="The reasons given with each approval."
        )

    def handle(self, *args, **options):
        path = options["credentials"] or reference_credentials_path()
        saved = credentials_read(path) or {}
        client_id = options["client_id"] or saved.get("client_id", "")
        client_secret = options["client_secret"] or saved.get("client_secret", "")
        if not (client_id and client_secret):
            raise CommandError(
                f"No client id and secret: run `manage.py seed_demo` (it writes {path}), or give "
                "--client-id and --client-secret (from `manage.py api_client_create --unit ...`)."
            )
        config = Config(
            portal=options["portal"],
            client_id=client_id,
            client_secret=client_secret,
            listen=_address(options["listen"]),
            callback_url=options["callback_url"],
            credentials=path,
            subscribe=options["subscribe"],
            unit=saved.get("unit", "") if saved.get("client_id") == client_id else "",
            reasons=options["reasons"],
        )
        if config.listen[0] in ("0.0.0.0", "::") and not options["callback_url"]:
            raise CommandError("Listening on every address: give --callback-url too.")
        logging_configure(sys.stdout)
        try:
            system = ReferenceSystem(config)
        except OSError as error:
            raise CommandError(f"Cannot listen on {options['listen']}: {error}") from error
        # Stopped by Ctrl-C, honcho or docker: the same clean stop.
        signal.signal(signal.SIGTERM, lambda *_: system.stopping.set())
        try:
            system.run()
        except KeyboardInterrupt:
            pass  # run() has stopped it
        except RuntimeError as error:
            raise CommandError(str(error)) from error
