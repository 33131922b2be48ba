from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.services import ImportRefused, payment_file_import
from units.models import Unit


class Command(BaseCommand):
    help = (
        "Import a BgMax payment file from Bankgirot for a unit: marks the invoices it pays as "
        "paid and lists the payments it could not match. A file imported before changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--unit", required=True, help="The unit's slug.")

    def handle(self, *args, path: Path, unit: str, **options):
        try:
            found = Unit.objects.get(slug=unit)
        except Unit.DoesNotExist:
            raise CommandError(f"No unit has the slug '{unit}'.") from None
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror})") from error
        try:
            record = payment_file_import(
                content=content, name=path.name, units=[found], by=None, now=timezone.now()
            )
        except ImportRefused as refused:
            raise CommandError(str(refused)) from None
        payments = list(record.payments.all())
        paid = [p for p in payments if p.outcome == p.Outcome.PAID]
        self.stdout.write(f"{path.name}: {len(paid)} invoice(s) paid.")
        for payment in payments:
            if payment.outcome != payment.Outcome.PAID:
                self.stdout.write(
                    f"  not matched: reference {payment.reference or '-'}, "
                    f"{payment.amount_kronor} SEK: {payment.get_outcome_display()}"
                )
