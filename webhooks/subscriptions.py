"""Making a subscription: the address checked, a secret made, and the verification handshake.

Before a subscription is saved, the portal posts to its address a signed CloudEvent of type
`webhook.verification` whose data is `{"challenge": "<random>"}`; the receiver must answer 2xx
within WEBHOOK_TIMEOUT_SECONDS with the JSON `{"challenge": "<the same>"}`. So nobody can point
the portal's events at an address that did not ask for them."""

import datetime as dt
import json
import secrets
import socket
import time
import uuid
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from api.events import PUBLISHED_TYPES
from api.models import ApiClient
from webhooks.addresses import refusal_in, url_check
from webhooks.models import Subscription
from webhooks.signing import secret_generate, signed_post, verification_body, webhook_id_new

# The most of a verification answer that is read.
MAX_ANSWER_BYTES = 64 * 1024


class NotVerified(Exception):
    """The address did not answer the handshake as it should; the message says how."""


def event_types_check(event_types: list[str]) -> list[str]:
    """The types, each once, in the published order; ValueError naming an unknown one."""
    unknown = sorted(set(event_types) - set(PUBLISHED_TYPES))
    if unknown:
        raise ValueError(unknown[0])
    return [t for t in PUBLISHED_TYPES if t in event_types]


def _unreachable(error: Exception) -> NotVerified:
    if isinstance(error, requests.Timeout):
        return NotVerified(
            _("The address did not answer within %(seconds)s seconds")
            % {"seconds": f"{settings.WEBHOOK_TIMEOUT_SECONDS:g}"}
        )
    if isinstance(error, requests.ConnectionError):
        return NotVerified(_("No connection could be made to the address"))
    return NotVerified(_("The address did not answer as it should"))


def subscription_verify(*, url: str, secret: str, subscription_id: uuid.UUID, now) -> None:
    """Post the challenge to `url` and check the answer; raise NotVerified if it is wrong."""
    challenge = secrets.token_urlsafe(24)
    body = verification_body(subscription_id=subscription_id, challenge=challenge, now=now)
    deadline = time.monotonic() + settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        response = signed_post(
            url=url, secret=secret, webhook_id=webhook_id_new(), body=body, now=now
        )
    except Exception as error:
        refused = refusal_in(error)
        if refused is not None:  # the name resolves elsewhere now
            raise refused from error
        raise _unreachable(error) from error
    try:
        if not 200 <= response.status_code < 300:
            raise NotVerified(
                _("The address answered with HTTP status %(status)s")
                % {"status": response.status_code}
            )
        answer = b""
        for chunk in response.iter_content(8192):
            answer += chunk
            if len(answer) > MAX_ANSWER_BYTES or time.monotonic() > deadline:
                break
        try:
            echoed = json.loads(answer).get("challenge")
        except (ValueError, AttributeError):
            echoed = None
        if echoed != challenge:
            raise NotVerified(
                _('The answer was not the JSON {"challenge": "…"} with the challenge sent')
            )
    except NotVerified:
        raise
    except Exception as error:  # the answer stopped midway, or took too long
        raise _unreachable(error) from error
    finally:
        response.close()


def subscription_create(
    *, client: ApiClient, url: str, event_types: list[str], now: dt.datetime
) -> tuple[Subscription, str]:
    """Check the address, verify it with the handshake, and save the subscription, active.
    Returns it and its secret (shown to the client this once). Raises UrlInvalid or
    AddressRefused for an address the portal does not post to, and NotVerified; nothing is
    saved then."""
    try:
        url_check(url)
    except socket.gaierror as error:
        host = urlsplit(url).hostname
        raise NotVerified(_("The host name %(host)s was not found") % {"host": host}) from error
    secret = secret_generate()
    public_id = uuid.uuid4()
    subscription_verify(url=url, secret=secret, subscription_id=public_id, now=now)
    subscription = Subscription.objects.create(
        public_id=public_id,
        client=client,
        url=url,
        secret=secret,
        event_types=event_types_check(event_types),
        status=Subscription.Status.ACTIVE,
        created_at=now,
        verified_at=now,
    )
    return subscription, secret


def subscription_delete(*, subscription: Subscription) -> None:
    """The subscription and its deliveries, delivered or not, are gone: the client asked."""
    subscription.delete()
