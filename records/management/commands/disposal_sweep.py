from django.core.management.base import BaseCommand
from django.utils import timezone

from records.disposal import disposal_sweep
from records.retention import Due


def _line(item: Due) -> str:
    document = item.document
    what = "case" if document is None else f"document {document.pk}"
    if document is not None and document.registration_number:
        what += f" ({document.registration_number})"
    kind = item.rule.scope if item.rule else "case"
    rule = item.rule.as_data if item.rule else {}
    name = f"  {document.name!r}" if document is not None else ""
    return (
        f"{item.journey.reference or item.journey.public_id}  {what}  {kind}  {rule}  "
        f"due {item.due_at:%Y-%m-%d}{name}"
    )


class Command(BaseCommand):
    help = (
        "Dispose of what the journey types' retention rules say is due (beat runs it daily); "
        "--dry-run lists exactly what would go and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; dispose of nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        if dry_run:
            due = disposal_sweep(now=now, dry_run=True)
            for item in due:
                self.stdout.write(_line(item))
            self.stdout.write(f"{len(due)} due for disposal (dry run: nothing disposed of)")
            return
        records = disposal_sweep(now=now)
        for record in records:
            what = "case" if record.what == "case" else f"document {record.document_id}"
            self.stdout.write(f"{record.journey_reference}  {what}  {record.kind}  {record.rule}")
        self.stdout.write(f"{len(records)} disposed of")
