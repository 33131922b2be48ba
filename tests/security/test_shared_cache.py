"""Production's cache is Redis (CACHE_URL): sessions (cached_db) and roles come from it. Signing
out and taking a role away must hold there as they do with the database alone."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.factories import make_caseworker, make_user
from units.models import Membership


@pytest.fixture
def redis_cache(settings):
    """The cache and sessions as production configures them, on the tests' own Redis."""
    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("These tests need CELERY_BROKER_URL pointing at Redis (see the Makefile).")
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": "test-shared-cache",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    cache.clear()
    yield cache
    cache.clear()


def test_a_signed_out_session_is_gone_from_the_shared_cache_too(client, redis_cache, units):
    make_user("anna")
    client.post(reverse("login"), {"username": "anna", "password": "pw-for-tests-only"})
    assert client.get(reverse("citizens:applications")).status_code == 200
    stolen = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    client.cookies[django_settings.SESSION_COOKIE_NAME] = stolen
    assert client.get(reverse("citizens:applications")).status_code == 302


def test_a_role_taken_away_applies_at_the_next_request(client, redis_cache, cafe):
    unit = cafe.steps.first().unit
    caseworker = make_caseworker(unit)
    client.force_login(caseworker)
    assert client.get(reverse("casework:queue")).status_code == 200
    assert redis_cache.get(f"roles:{caseworker.pk}") is not None  # the roles are cached
    Membership.objects.filter(user=caseworker).delete()
    assert client.get(reverse("casework:queue")).status_code == 404
