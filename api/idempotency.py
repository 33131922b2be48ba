"""`Idempotency-Key` on writes: a retried POST gets the first answer again, the work done once.

Put `@idempotent` on every POST handler of a view (under `@action`, over the function):

    @extend_schema(...)
    @action(detail=True, methods=["post"])
    @idempotent
    def take(self, request, pk=None): ...

The record of a key is inserted first, in the same transaction as the work, under the unique
constraint on (client, key): a concurrent duplicate waits on that insert until the first
commits, then finds the record and replays its answer; if the first failed, its record went
with its rollback and the duplicate does the work itself. An error answer is not kept (no
work was done), so a retry after it runs again. The schema names the header on every POST so
marked (api.schema), and tests/api/test_idempotency.py fails for a POST without it."""

import datetime as dt
import hashlib
import re
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils import json

from api.models import IdempotencyRecord
from api.problems import Problem

HEADER = "Idempotency-Key"
KEPT = dt.timedelta(hours=24)
# Printable ASCII without spaces, as in the IETF draft's examples (a UUID fits).
KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED_HEADERS = ("ETag", "Location")
PENDING = 0  # the status of a record whose work has not committed yet


def request_fingerprint(request) -> str:
    """Method, path with query, and the body's hash: what makes two requests the same."""
    body = hashlib.sha256(request.body).hexdigest()
    return hashlib.sha256(
        f"{request.method}\n{request.get_full_path()}\n{body}".encode()
    ).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_FORMAT.fullmatch(key):
        raise Problem(
            status.HTTP_400_BAD_REQUEST,
            "idempotency-key-invalid",
            _("The Idempotency-Key is not valid"),
            _("Send 1 to 255 printable characters without spaces, such as a UUID."),
        )
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            _("This Idempotency-Key was used for another request"),
            _("Use a new key for each new request; repeat a key only to retry the same one."),
        )
    if record.status == PENDING:  # cannot happen under the unique constraint; said, not assumed
        raise Problem(
            status.HTTP_409_CONFLICT,
            "idempotency-key-in-use",
            _("A request with this Idempotency-Key is still being processed"),
        )
    return Response(
        record.body, status=record.status, headers={**record.headers, "Idempotent-Replayed": "true"}
    )


def idempotent(handler):
    """Make a view's POST handler honour `Idempotency-Key` (see the module's docstring)."""

    @wraps(handler)
    def handle(view, request, *args, **kwargs):
        key = _key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        client = request.user.api_client
        fingerprint = request_fingerprint(request)
        now = timezone.now()
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                client=client, key=key, created_at__lt=now - KEPT
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        client=client,
                        key=key,
                        fingerprint=fingerprint,
                        status=PENDING,
                        created_at=now,
                    )
            except IntegrityError:
                return _replay(IdempotencyRecord.objects.get(client=client, key=key), fingerprint)
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
                return response
            record.status = response.status_code
            record.body = json.loads(JSONRenderer().render(response.data))
            record.headers = {h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)}
            record.save(update_fields=["status", "body", "headers"])
        return response

    handle.idempotent = True
    return handle


def idempotency_keys_sweep(*, now: dt.datetime) -> int:
    """Forget keys older than 24 hours (a retry after that does the work again)."""
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=now - KEPT).delete()
    return deleted
