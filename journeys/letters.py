"""Letters the portal writes as PDF (decision letters, receipts): HTML templates rendered in the
reader's language and printed by WeasyPrint as tagged PDF/UA-1, with the document's language
and title set. The same letter printed again gives the same bytes: its dates come from the
event it records (never the clock) and its file identifier from what it is about."""

import datetime as dt
import hashlib

import weasyprint
from django.template.loader import render_to_string
from django.utils import translation

# PDF/UA-1: tagged structure, document language and title in the catalogue and metadata.
PDF_VARIANT = "pdf/ua-1"


def letter_pdf(*, template: str, context: dict, language: str, at: dt.datetime, key: str) -> bytes:
    """Print `letters/<template>` in `language`: `letters/<language>/<template>` if a unit or
    deployment has written one, else the shared template with its texts translated. `at` is the
    moment the letter records (its metadata dates); `key` names the letter (its PDF identifier)."""
    with translation.override(language):
        html = render_to_string(
            [f"letters/{language}/{template}", f"letters/{template}"],
            {**context, "language": language, "letter_at": _w3c(at)},
        )
    return weasyprint.HTML(string=html).write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_identifier=hashlib.sha256(key.encode()).hexdigest()[:32].encode(),
    )


def _w3c(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
