"""The SSRF guard: the portal posts only to public addresses, checked when a subscription is
made and again on every connection a delivery makes."""

import pytest
from django.utils import timezone

from api.clients import api_client_create
from tests.factories import submitted_journey
from tests.journey_types import journey_type
from webhooks.addresses import AddressRefused, address_check, refused_reason
from webhooks.deliveries import delivery_attempt
from webhooks.models import Delivery


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.20.30.40", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not public"),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_which_addresses_are_refused(address, reason):
    found = refused_reason(address)
    assert (found is None) if reason is None else (reason in found)


def test_a_name_is_refused_when_it_resolves_inside(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(AddressRefused, match="localhost is .*loopback"):
        address_check("localhost", 443)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert "127.0.0.1" in address_check("localhost", 443)


def test_each_delivery_checks_the_address_again(db, start_receiver, subscribe, settings):
    receiver = start_receiver()
    client = api_client_create(name="Coordination system", now=timezone.now())[0]
    subscribe(client, receiver, ["journey.submitted"])  # allowed while it was made
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False  # as if the name now resolved inside
    receiver.stop()  # and the connection kept alive since the handshake is gone
    receiver.start()
    submitted_journey(journey_type(parallel=1, chain=0))
    delivery = Delivery.objects.get()
    assert delivery_attempt(delivery_id=delivery.pk, now=timezone.now()) == "failed"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("AddressRefused: 127.0.0.1 is 127.0.0.1, a loopback")
    assert receiver.events() == []
    assert len(receiver.records("webhook.verification")) == 1
