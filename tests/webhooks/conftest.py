import pytest
from django.utils import timezone

from tests.api.conftest import api_caller  # noqa: F401  (the API's clients, here too)
from tests.webhooks.receivers import ReceiverProcess
from webhooks.subscriptions import subscription_create


@pytest.fixture
def private_addresses(settings):
    """The receivers run on 127.0.0.1, which the SSRF guard refuses outside development."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def start_receiver(tmp_path):
    started = []

    def start(name: str = "receiver", **options) -> ReceiverProcess:
        receiver = ReceiverProcess(tmp_path / name, **options).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def subscribe(private_addresses):
    """Subscribe `client` to `receiver` through the service (the handshake included); the
    receiver is given the secret to verify signatures with."""

    def make(client, receiver: ReceiverProcess, event_types: list[str]):
        subscription, secret = subscription_create(
            client=client, url=receiver.url, event_types=event_types, now=timezone.now()
        )
        receiver.remember(secret)
        return subscription

    return make
