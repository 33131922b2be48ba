import os

import pytest

from journeys.graph import step_dependencies
from tests.brokers import BROKERS, RabbitMQVhost, RedisDatabase, forget_pooled_connections
from tests.factories import catalogue_in_database, load_catalogue, make_units
from tests.identity.fixtures import eid, identity_provider, staff_sso

__all__ = ["eid", "identity_provider", "staff_sso"]  # fixtures for every test directory


def _broker(item) -> str | None:
    params = getattr(item, "callspec", None)
    if params is None:
        return None
    return params.params.get("celery_broker") or params.params.get("own_broker")


def pytest_collection_modifyitems(config, items):
    """A test that runs on both brokers runs on RabbitMQ in every run only if it is about the
    broker: it kills or freezes it (`broker_faults`) or is the handoff itself
    (`every_broker_every_run`); its other `[rabbitmq]` runs need TEST_RABBITMQ=all (`make
    test-rabbitmq`, docs/reliability.md). Tests written for RabbitMQ alone always run. Each run
    on RabbitMQ takes about as long as on Redis, and all of them would take CI past its time."""
    if os.environ.get("TEST_RABBITMQ") == "all":
        return
    on_redis = {item.nodeid.rsplit("[", 1)[0] for item in items if _broker(item) == "redis"}
    kept, left = [], []
    for item in items:
        optional = (
            _broker(item) == "rabbitmq"
            and item.nodeid.rsplit("[", 1)[0] in on_redis
            and not item.get_closest_marker("broker_faults")
            and not item.get_closest_marker("every_broker_every_run")
        )
        (left if optional else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The shipped catalogue (and the demo units it names), loaded once into the test database:
    each `db` test's transaction rolls back to it. pytest-django runs every `db` test before
    the transactional ones (even in random order), whose flush empties the database; the
    `catalogue` fixture loads it again for those."""
    with django_db_blocker.unblock():
        load_catalogue()


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    """Production static names come from collectstatic's manifest; tests don't run it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached figures (the insight page) must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    step_dependencies.cache_clear()  # nor one test's journey types into the next


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A request in Swedish leaves Swedish active in the thread (LocaleMiddleware activates
    it and nothing deactivates it); the next test must not inherit it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _publishing_not_paused():
    """A publish that failed pauses publishing in this process; no test inherits the pause."""
    from journeys.services.outbox import publish_resume

    publish_resume()
    yield
    publish_resume()


@pytest.fixture(autouse=True)
def _documents_in_a_temporary_folder(settings, tmp_path):
    settings.DOCUMENTS_ROOT = tmp_path / "documents"


@pytest.fixture
def units(db):
    return make_units()


@pytest.fixture
def catalogue(db):
    """The shipped café and house types, for tests whose subject is that catalogue (or that
    were written around its wording); tests of generic rules use `tests.factories.journey_type`."""
    return catalogue_in_database()


@pytest.fixture
def cafe(catalogue):
    return catalogue["open-a-cafe"]


@pytest.fixture
def house(catalogue):
    return catalogue["extend-a-house"]


@pytest.fixture(params=BROKERS)
def celery_broker(request, settings, monkeypatch):
    """The broker a real-worker test runs on, once on each (the test's id says which): the Redis
    database of CELERY_BROKER_URL (the Makefile's TEST_BROKER_URL), or a virtual host of the
    test's own on the machine's RabbitMQ (TEST_RABBITMQ_URL). It starts empty. The portal's own
    app publishes there (Celery lets CELERY_BROKER_URL in the environment win over its
    configuration), and so do the workers tests.workers starts. Neither is optional: without
    the broker the test fails and says why."""
    from journeys.services.outbox import publish_resume

    if request.param == "redis":
        if not settings.CELERY_BROKER_URL.startswith("redis://"):
            pytest.fail(
                "The worker tests need CELERY_BROKER_URL pointing at Redis (see the Makefile)."
            )
        broker = RedisDatabase(settings.CELERY_BROKER_URL)
    else:
        broker = RabbitMQVhost().create()
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    forget_pooled_connections()
    broker.flush()
    publish_resume()  # no pause left by a test that met a dead broker
    yield broker
    forget_pooled_connections()
    broker.close()


@pytest.fixture
def celery_worker(transactional_db, celery_broker, tmp_path):
    """A real `celery worker` process consuming every unit queue over the test's broker."""
    from tests.workers import WorkerProcess
    from units.models import Unit

    make_units()
    queues = ["portal", *(unit.queue_name for unit in Unit.objects.all())]
    worker = WorkerProcess(queues, tmp_path / "worker.log").start()
    yield worker
    worker.stop()
