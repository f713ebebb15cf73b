"""Every task leads to a page where it is done (TASK-1): ``todo_create`` refuses a target without
one, and each kind's page handles its task."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals import services as approvals
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors, document
from balie.dossiers.models import Folder
from balie.dossiers.services import dossier_create
from balie.dossiers.tests.utils import PDF
from balie.dossiers.uploads import documents_request
from balie.messaging import services as messaging
from balie.signing import services as signing
from balie.signing.tests.pdfs import make_signature_png
from balie.signing.tests.support import annual_accounts
from balie.todos.models import Todo
from balie.todos.services import todo_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bv(personas):
    company = company_with_directors(personas, count=1)
    for user in (*company.directors, company.employee):
        user.language = "en"  # texts are checked in their msgid form
        user.save(update_fields=["language"])
    return company


def fiscaal(client) -> Folder:
    return dossier_create(client=client, description="Doorlopend dossier").folders.get(name="Fiscaal")


def refused(**kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        todo_create(title="Taak", **kwargs)
    return error.value


def open_task(http, todo):
    return http.get(reverse("todos:open", args=[todo.client.public_id, todo.public_id]))


def the_task(**filters) -> Todo:
    return Todo.objects.get(**filters)


# -- refusals ------------------------------------------------------------------------------------


def test_a_task_about_nothing_is_refused(personas):
    error = refused(client=personas.company, kind=Todo.Kind.UPLOAD)
    assert error.code == "no_target"
    assert not Todo.objects.exists()


@pytest.mark.parametrize("kind", Todo.Kind.values)
def test_a_task_about_the_environment_itself_is_refused_for_every_kind(personas, kind):
    error = refused(client=personas.company, kind=kind, target=personas.company)
    assert error.code == "no_page"
    assert "Bakker B.V." in error.messages[0]
    assert not Todo.objects.exists()


def test_filling_in_is_refused_until_something_offers_it(personas, bv):
    approval = approvals.request_create(
        document=document(bv.client, actor=personas.staff.user), actor=personas.staff.user, audience="directors"
    )
    thread = messaging.thread_start(client=bv.client, user=bv.directors[0], kind="question", subject="V", body="B")
    for target in (fiscaal(bv.client), approval, thread):
        assert refused(client=bv.client, kind=Todo.Kind.FILL_IN, target=target).code == "no_page"


def test_each_object_offers_only_the_kind_done_on_its_page(personas, bv):
    approval = approvals.request_create(
        document=document(bv.client, actor=personas.staff.user), actor=personas.staff.user, audience="directors"
    )
    thread = messaging.thread_start(client=bv.client, user=bv.directors[0], kind="question", subject="V", body="B")
    folder = fiscaal(bv.client)
    for target, kinds in ((approval, {"approve"}), (thread, {"reply"}), (folder, {"upload"})):
        for kind in set(Todo.Kind.values) - kinds:
            assert refused(client=bv.client, kind=kind, target=target).code == "no_page", (target, kind)
    # A document is no target either: its request is.
    assert refused(client=bv.client, kind="approve", target=approval.document).code == "no_page"


def test_an_unknown_kind_is_refused(personas):
    assert refused(client=personas.company, kind="dance", target=fiscaal(personas.company)).code == "kind"


def test_a_folder_of_another_environment_is_refused(personas):
    error = refused(client=personas.company, kind="upload", target=fiscaal(personas.holding))
    assert error.code == "other_client"


def test_an_old_task_without_a_page_closes_when_opened(client, personas):
    old = Todo.objects.create(
        client=personas.company, kind="review", title="Bedrijfsgegevens", audience="members", target=personas.company
    )
    client.force_login(personas.client_user)
    response = open_task(client, old)
    assert response.status_code == 200 and "niet meer nodig" in response.content.decode()
    assert Todo.objects.get(pk=old.pk).status == Todo.Status.CLOSED


# -- each kind's page handles its task -------------------------------------------------------------


def test_an_approval_task_opens_the_request_and_approving_there_handles_it(client, personas, bv):
    approval = approvals.request_create(
        document=document(bv.client, actor=personas.staff.user), actor=personas.staff.user, audience="directors"
    )
    todo = the_task(kind=Todo.Kind.APPROVE)
    client.force_login(bv.directors[0])
    response = open_task(client, todo)
    page = reverse("approvals:detail", args=[bv.client.public_id, approval.public_id])
    assert response.url == page
    decide = reverse("approvals:decide", args=[bv.client.public_id, approval.public_id])
    first = client.post(decide, {"outcome": "approved", "comment": ""})
    challenge = first.context["stepup"].challenge.public_id
    client.post(
        decide,
        {
            "outcome": "approved",
            "comment": "",
            "send": "",
            "stepup_challenge": challenge,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    approval.refresh_from_db()
    todo.refresh_from_db()
    assert approval.status == Status.APPROVED
    assert (todo.status, todo.handled_by) == (Todo.Status.DONE, bv.directors[0])


def test_a_review_task_opens_the_request_and_marking_it_seen_handles_it(client, personas, bv):
    doc = document(
        bv.client, actor=personas.staff.user, title="Conceptjaarrekening", doc_type="concept_annual_accounts"
    )
    approval = approvals.request_create(document=doc, actor=personas.staff.user, kind="review")
    todo = the_task(kind=Todo.Kind.REVIEW)
    client.force_login(bv.handler)
    assert open_task(client, todo).url == reverse("approvals:detail", args=[bv.client.public_id, approval.public_id])
    client.post(reverse("approvals:acknowledge", args=[bv.client.public_id, approval.public_id]))
    approval.refresh_from_db()
    todo.refresh_from_db()
    assert approval.status == Status.COMPLETED
    assert (todo.status, todo.handled_by) == (Todo.Status.DONE, bv.handler)


def test_a_sign_task_opens_the_signing_page_and_signing_there_handles_it(
    client, personas, bv, django_capture_on_commit_callbacks
):
    import base64

    doc = annual_accounts(bv.client, actor=personas.staff.user)
    approval = signing.sign_request_create(document=doc, actor=personas.staff.user, signers=bv.directors)
    todo = the_task(kind=Todo.Kind.SIGN)
    client.force_login(bv.directors[0])
    page = reverse("signing:detail", args=[bv.client.public_id, approval.public_id])
    assert open_task(client, todo).url == page  # straight to the signing page
    sign = reverse("signing:sign", args=[bv.client.public_id, approval.public_id])
    pad = {
        "method": "drawn",
        "drawing": "data:image/png;base64," + base64.b64encode(make_signature_png()).decode(),
        "typed_name": "",
    }
    challenge = client.post(sign, pad).context["stepup"].challenge.public_id
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            sign, {**pad, "stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": TEST_PASSWORD}
        )
    approval.refresh_from_db()
    todo.refresh_from_db()
    assert approval.status == Status.SIGNED
    assert (todo.status, todo.handled_by) == (Todo.Status.DONE, bv.directors[0])


def test_a_reply_task_opens_the_thread_and_replying_there_handles_it(client, personas, bv):
    director = bv.directors[0]
    thread = messaging.thread_start(
        client=bv.client, user=director, kind="question", subject="Bijtelling", body="<p>Vraag</p>"
    )
    messaging.reply(thread=thread, user=personas.staff.user, body="<p>Zal ik het regelen?</p>")
    todo = the_task(kind=Todo.Kind.REPLY)
    client.force_login(director)
    assert open_task(client, todo).url == thread.get_absolute_url()
    client.post(thread.get_absolute_url(), {"body": "<p>Graag.</p>"})
    todo.refresh_from_db()
    assert thread.messages.filter(author=director).count() == 2
    assert (todo.status, todo.handled_by) == (Todo.Status.DONE, director)


def test_an_upload_task_opens_the_upload_page_with_its_folder_and_supplying_there_handles_it(client, personas, bv):
    folder = fiscaal(bv.client)
    other = folder.dossier.folders.get(name="Advies")
    todo = documents_request(folder=folder, title="Jaaropgave 2025 van de bank", actor=personas.staff.user)
    employee = bv.employee  # every member may supply documents
    client.force_login(employee)
    upload = reverse("dossiers:upload", args=[bv.client.public_id, folder.dossier.public_id])
    response = open_task(client, todo)
    assert response.url == f"{upload}?map={folder.public_id}"
    page = client.get(response.url).content.decode()
    assert f'<option value="{folder.public_id}" selected>' in page
    assert 'id="asked"' in page and "Jaaropgave 2025 van de bank" in page and "folder Fiscaal" in page

    def send(where):
        return client.post(
            upload,
            {"map": str(where.public_id), "files": SimpleUploadedFile("jaaropgave.pdf", PDF, "application/pdf")},
        )

    send(other)  # another folder: not what was asked for
    assert Todo.objects.get(pk=todo.pk).status == Todo.Status.OPEN
    assert send(folder).status_code == 302
    todo.refresh_from_db()
    assert (todo.status, todo.handled_by) == (Todo.Status.DONE, employee)
    assert folder.documents.filter(created_by=employee).count() == 1
    assert 'id="asked"' not in client.get(upload).content.decode()  # nothing asked any more


def test_asking_for_documents_tells_every_member(personas, bv):
    from balie.notifications.models import Notification

    documents_request(folder=fiscaal(bv.client), title="Jaaropgave 2025 van de bank", actor=personas.staff.user)
    told = set(Notification.objects.filter(kind="request").values_list("user", flat=True))
    assert told == {bv.directors[0].pk, bv.handler.pk, bv.employee.pk}
    titles = Notification.objects.filter(kind="request").values_list("title", flat=True)
    assert sorted(titles) == ["Graag aanleveren: Jaaropgave 2025 van de bank"] + 2 * [
        "Please supply: Jaaropgave 2025 van de bank"
    ]  # each in the member's own language: the handler reads Dutch, the others English


def test_asking_for_documents_is_read_in_each_members_language_and_waits_for_them(personas, bv):
    from balie.notifications.models import Notification

    folder = fiscaal(bv.client)
    documents_request(folder=folder, title="Jaaropgave 2025 van de bank", actor=personas.staff.user)
    english = Notification.objects.get(user=bv.employee, kind="request")
    dutch = Notification.objects.get(user=bv.handler, kind="request")
    with translation.override("en"):
        assert english.display_title == "Please supply: Jaaropgave 2025 van de bank"
    with translation.override("nl"):
        assert dutch.display_title == "Graag aanleveren: Jaaropgave 2025 van de bank"
    assert english.needs_action and dutch.needs_action  # first in the e-mail: it waits for them
