"""Uploaded documents: their type read from their content (never from their name), and how
they are sent back: as downloads only, never rendered by the browser."""

import hashlib
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class DocumentStorage(FileSystemStorage):
    """Files under settings.DOCUMENTS_ROOT (read when used, so tests can move it), which no web
    server serves: there is no URL, only the access-checked download views."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.DOCUMENTS_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Documents have no public URL; use the download views.")


# Content type by the bytes a file of that type starts with.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
# Markup anywhere in a file makes one that a browser (or a viewer sniffing past the header)
# could take for a web page: the whole file is searched, chunk by chunk.
MARKUP = (b"<html", b"<script", b"<!doctype", b"<body", b"<svg", b"<iframe")
_OVERLAP = max(len(tag) for tag in MARKUP) - 1


def check_upload(upload) -> tuple[str, str]:
    """Return (content type, SHA-256) of an acceptable upload, or raise a ValidationError that
    says what to do."""
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The file must be smaller than %(size)s"),
            code="size",
            params={"size": filesizeformat(settings.DOCUMENT_MAX_BYTES)},
        )
    head = upload.read(2048)
    upload.seek(0)
    content_type = next(
        (kind for signature, kind in SIGNATURES.items() if head.startswith(signature)), None
    )
    if content_type is None:
        raise ValidationError(_("The file must be a PDF, JPG or PNG"), code="type")
    if not upload.name.lower().endswith(EXTENSIONS[content_type]):
        raise ValidationError(
            _("The file's name does not match its content: send a PDF, JPG or PNG file"),
            code="mismatch",
        )
    digest, tail = hashlib.sha256(), b""
    for chunk in upload.chunks():
        digest.update(chunk)
        window = (tail + chunk).lower()  # a tag split between two chunks is found too
        if any(tag in window for tag in MARKUP):
            upload.seek(0)
            raise ValidationError(_("The file must be a PDF, JPG or PNG"), code="markup")
        tail = window[-_OVERLAP:]
    upload.seek(0)
    return content_type, digest.hexdigest()


def document_response(document) -> FileResponse:
    """Send a stored document as a download (the caller has checked who may have it)."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
