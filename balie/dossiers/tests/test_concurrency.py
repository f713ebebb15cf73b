"""A retried upload racing its first attempt (the browser gave up, the server had not yet answered),
on PostgreSQL with one connection per request: one document, one stored file, the same answer."""

import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from balie.core.testing import skip_unless_postgresql
from balie.dossiers import services
from balie.dossiers.models import Document
from balie.dossiers.tests.utils import PDF, stored_files
from balie.dossiers.uploads import documents_supply

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 20


def supply_at_once(*, dossier, folder, actor, upload_id, count=2) -> list:
    """Sends the same file with the same id ``count`` times at the same moment; returns each answer."""
    barrier = threading.Barrier(count)
    answers: list = []

    def run():
        try:
            barrier.wait()
            upload = SimpleUploadedFile("bankafschrift.pdf", PDF, content_type="application/pdf")
            documents = documents_supply(
                dossier=dossier, folder=folder, uploads=[upload], upload_ids=[upload_id], actor=actor
            )
            answers.append([document.pk for document in documents])
        except Exception as error:  # noqa: BLE001 - the answer under test
            answers.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_retry_racing_the_first_request_stores_one_document_and_both_answer_with_it(personas):
    skip_unless_postgresql()
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    folder = dossier.folders.get(name="Administratie")
    for trial in range(TRIALS):
        upload_id = uuid.uuid4()
        answers = supply_at_once(dossier=dossier, folder=folder, actor=personas.client_user, upload_id=upload_id)
        document = Document.objects.get(upload_id=upload_id)
        assert answers == [[document.pk], [document.pk]]
        assert Document.objects.count() == trial + 1
        assert len(stored_files()) == trial + 1  # the loser's file is not left behind
