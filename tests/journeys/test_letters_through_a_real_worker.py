"""Receipts and decision letters printed by a real Celery worker process after the commit of the
submission and the decision, over the real broker (Redis, and RabbitMQ), and stored where the
portal reads them."""

import io

import pytest
from pypdf import PdfReader

from journeys.models import Document
from tests.factories import decide, deliver_all, make_units, make_user, submitted_journey
from tests.journey_types import journey_type
from tests.workers import WorkerProcess, wait_for

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def worker(transactional_db, celery_broker, tmp_path, settings):
    """A worker on the portal's own queue, storing documents in this test's folder."""
    make_units()
    process = WorkerProcess(
        ["portal"], tmp_path / "worker.log", env={"DOCUMENTS_ROOT": str(settings.DOCUMENTS_ROOT)}
    ).start()
    yield process
    process.stop()


def test_the_worker_prints_the_receipt_and_the_decision_letter_once(worker):
    journey = submitted_journey(journey_type(parallel=1, chain=0), make_user(), deliver=False)
    receipts = journey.documents.filter(generated_as=Document.GeneratedAs.RECEIPT)
    wait_for(receipts.exists, 60, "the receipt to be printed", worker)
    deliver_all()
    step = decide(journey.steps.get(), "reject")
    letters = step.documents.filter(generated_as=Document.GeneratedAs.DECISION_LETTER)
    wait_for(letters.exists, 60, "the decision letter to be printed", worker)
    with letters.get().file.open("rb") as stored:
        text = PdfReader(io.BytesIO(stored.read())).pages[0].extract_text()
    assert "Reasons." in text
    assert receipts.count() == 1 and letters.count() == 1
