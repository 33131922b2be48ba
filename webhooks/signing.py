"""Posting signed CloudEvents per the Standard Webhooks specification.

Each request carries `webhook-id` (the message's id, the same on every retry), `webhook-timestamp`
(seconds since the epoch) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
`id.timestamp.body` under the subscription's secret), and the body is a CloudEvents 1.0 document
in the JSON format (`application/cloudevents+json`). A receiver verifies with any Standard
Webhooks library: `standardwebhooks.Webhook(secret).verify(body, headers)`.
"""

import base64
import datetime as dt
import secrets
import uuid
from functools import cache

import requests
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from django.conf import settings
from standardwebhooks import Webhook

from webhooks.addresses import checked_session

CONTENT_TYPE = "application/cloudevents+json"
VERIFICATION_TYPE = "webhook.verification"


def secret_generate() -> str:
    """A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id_new() -> str:
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(*, secret: str, webhook_id: str, body: bytes, now: dt.datetime) -> dict:
    timestamp = now.astimezone(dt.UTC)
    return {
        "Content-Type": CONTENT_TYPE,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, timestamp, body.decode()),
    }


def verification_body(*, subscription_id: uuid.UUID, challenge: str, now: dt.datetime) -> bytes:
    """The CloudEvent posted to a new subscription's address: answer it with the challenge."""
    document = CloudEvent(
        {
            "specversion": "1.0",
            "id": f"verification-{uuid.uuid4().hex}",
            "source": f"{settings.SITE_URL}/api/v1",
            "type": VERIFICATION_TYPE,
            "subject": f"subscriptions/{subscription_id}",
            "time": now,
            "datacontenttype": "application/json",
        },
        {"challenge": challenge},
    )
    return JSONFormat().write(document)


@cache
def _session() -> requests.Session:
    """One per process (a worker's pool child), keeping connections to subscribers alive."""
    return checked_session()


def signed_post(
    *, url: str, secret: str, webhook_id: str, body: bytes, now: dt.datetime
) -> requests.Response:
    """Post `body` signed; the response's body is not read yet (`stream`). Raises what requests
    raises (a refused address as a ConnectionError); gives up after WEBHOOK_TIMEOUT_SECONDS to
    connect and again to wait for the answer."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    return _session().post(
        url,
        data=body,
        headers=signed_headers(secret=secret, webhook_id=webhook_id, body=body, now=now),
        timeout=(timeout, timeout),
        allow_redirects=False,
        stream=True,
    )
