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
# The accepted types by the names a journey type's file field lists them in (`accept`), in the
# order they are named to the applicant.
FILE_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
TYPE_NAMES = {content_type: name.upper() for name, content_type in FILE_TYPES.items()}
# Markup anywhere in a file makes one that a browser (or a viewer sniffing past the header)
# could take for a web page: the whole file is searched, chunk by chunk.
MARKUP = (b"<html", b"<script", b"<!doctype", b"<body", b"<svg", b"<iframe")
_OVERLAP = max(len(tag) for tag in MARKUP) - 1


def type_names(accept=None) -> str:
    """The accepted types as the applicant reads them: "PDF, JPG or PNG", "PDF or PNG"."""
    names = [TYPE_NAMES[content_type] for content_type in _accepted(accept)]
    if len(names) == 1:
        return names[0]
    return str(_("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]})


def _accepted(accept) -> list[str]:
    """Content types, in the order of FILE_TYPES: those `accept` names ("pdf"), or all."""
    wanted = {FILE_TYPES[name] for name in accept} if accept else set(TYPE_NAMES)
    return [content_type for content_type in TYPE_NAMES if content_type in wanted]


def accept_attribute(accept=None) -> str:
    """The file input's `accept`: the types' extensions and content types."""
    accepted = _accepted(accept)
    return ",".join([*(e for t in accepted for e in EXTENSIONS[t]), *accepted])


def upload_hint(accept=None) -> str:
    """What a file input takes, in the active language: "A PDF or PNG file, smaller than …"."""
    return _("A %(types)s file, smaller than %(size)s.") % {
        "types": type_names(accept),
        "size": filesizeformat(settings.DOCUMENT_MAX_BYTES),
    }


def check_upload(upload, accept=None) -> tuple[str, str]:
    """Return (content type, SHA-256) of an acceptable upload, or raise a ValidationError that
    says what to do. `accept`: the types a journey type's file field takes, by name ("pdf");
    all of them when not given."""
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
    if content_type not in _accepted(accept):
        raise ValidationError(
            _("The file must be a %(types)s file"),
            code="type",
            params={"types": type_names(accept)},
        )
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
