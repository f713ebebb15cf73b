"""The firm side of the dossier (DOS-7): dossiers, folders, progress, publishing, documents."""

import hashlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from balie.dossiers import services
from balie.dossiers.models import ChecklistItem, Document, DocumentAccess, DocumentRead, DocumentVersion, Dossier
from balie.dossiers.tests.utils import EXE, PDF, sanity_check, stored_files
from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember
from balie.notifications.models import EventKind, Notification
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db


def pdf(name="aangifte.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier", number="2025-001")


@pytest.fixture
def staff(client, personas):
    personas.staff.user.language = "en"  # the messages are checked in their msgid form
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


def url(name, dossier, **extra):
    return reverse(
        f"dossiers_staff:{name}", kwargs={"client": dossier.client.public_id, "dossier": dossier.public_id, **extra}
    )


def doc_url(name, document, **extra):
    kwargs = {"client": document.client.public_id, "dossier": document.dossier.public_id}
    return reverse(f"dossiers_staff:{name}", kwargs={**kwargs, "document": document.public_id, **extra})


def publish_data(files, **fields):
    return {"files": files, "doc_type": "annual_accounts", "year": "2025", "direction": "firm", **fields}


def published(dossier, staff_user, name="jaarrekening.pdf", content=PDF, **fields):
    defaults = {
        "folder": None,
        "doc_type": "annual_accounts",
        "year": 2025,
        "period": "",
        "direction": "firm",
        "message": "",
        "request_kind": "",
    }
    return services.document_publish(
        dossier=dossier, uploads=[pdf(name, content)], actor=staff_user, **{**defaults, **fields}
    )[0]


# -- dossiers, folders, progress -------------------------------------------------------------------


def test_staff_create_a_dossier_that_gets_the_firms_default_folders(staff, personas):
    response = staff.post(
        reverse("dossiers_staff:dossier_new", args=[personas.company.public_id]),
        {"description": "Overdracht woning", "number": "N-17", "kind": "matter", "status": "on_hold"},
    )
    dossier = Dossier.objects.get(client=personas.company)
    assert response.status_code == 302 and response.url == url("dossier", dossier)
    assert (dossier.description, dossier.number, dossier.kind, dossier.status) == (
        "Overdracht woning",
        "N-17",
        "matter",
        "on_hold",
    )
    assert dossier.created_by == personas.staff.user
    names = list(dossier.folders.order_by("position").values_list("name", flat=True))
    assert names == personas.firm.default_folders == ["Advies", "Fiscaal", "Permanent", "Jaarrekening", "Administratie"]


def test_a_dossier_needs_a_description(staff, personas):
    response = staff.post(
        reverse("dossiers_staff:dossier_new", args=[personas.company.public_id]),
        {"description": "", "kind": "standing", "status": "in_progress"},
    )
    assert response.status_code == 200 and response.context["form"].errors["description"]
    assert not Dossier.objects.exists()


def test_staff_change_a_dossiers_status(staff, dossier):
    assert staff.get(url("dossier_edit", dossier)).status_code == 200
    response = staff.post(
        url("dossier_edit", dossier),
        {"description": "Doorlopend dossier", "number": "2025-001", "kind": "standing", "status": "closed"},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.CLOSED


def test_the_environment_page_lists_its_dossiers_with_links(staff, personas, dossier):
    response = staff.get(reverse("clients:staff_detail", args=[personas.company.public_id]))
    assert url("dossier", dossier) in response.text
    assert reverse("dossiers_staff:dossier_new", args=[personas.company.public_id]) in response.text


def test_staff_add_folders_and_sub_folders(staff, dossier):
    fiscaal = dossier.folders.get(name="Fiscaal")
    assert staff.post(url("folder_add", dossier), {"name": "Klantspecifiek"}).status_code == 302
    assert staff.post(url("folder_add", dossier), {"name": "2025", "parent": fiscaal.public_id}).status_code == 302
    sub = dossier.folders.get(name="2025")
    assert sub.parent == fiscaal
    assert staff.post(url("folder_add", dossier), {"name": "Q1", "parent": sub.public_id}).status_code == 302
    assert dossier.folders.get(name="Q1").parent == sub
    assert dossier.folders.get(name="Klantspecifiek").parent is None

    page = staff.get(url("dossier", dossier))
    nodes = {node["folder"].name: node for node in page.context["folder_nodes"]}
    assert [child["folder"].name for child in nodes["Fiscaal"]["children"]] == ["2025"]
    assert [child["folder"].name for child in nodes["Fiscaal"]["children"][0]["children"]] == ["Q1"]


def test_a_folder_name_is_unique_at_its_level(staff, dossier):
    response = staff.post(url("folder_add", dossier), {"name": "Fiscaal"})
    assert response.status_code == 400
    assert "already a folder with this name" in response.context["folder_form"].errors["name"][0]


def test_a_folder_of_another_environment_as_parent_gets_404(staff, personas, dossier):
    other = services.dossier_create(client=personas.private, description="Privé")
    foreign = other.folders.first()
    assert staff.post(url("folder_add", dossier), {"name": "X", "parent": foreign.public_id}).status_code == 404
    assert not dossier.folders.filter(name="X").exists()


def test_staff_add_steps_and_tick_them_off_and_on(staff, dossier):
    staff.post(url("step_add", dossier), {"title": "Stukken ontvangen"})
    staff.post(url("step_add", dossier), {"title": "Concept besproken"})
    first, second = ChecklistItem.objects.filter(dossier=dossier)
    assert (first.title, second.title) == ("Stukken ontvangen", "Concept besproken")

    assert staff.post(url("step_toggle", dossier, step=first.pk), {"done": "1"}).status_code == 302
    first.refresh_from_db()
    assert first.done_at is not None
    page = staff.get(url("dossier", dossier))
    assert page.context["steps_done"] == 1 and "(1/2)" in page.text

    staff.post(url("step_toggle", dossier, step=first.pk), {"done": "0"})
    first.refresh_from_db()
    assert first.done_at is None


def test_a_step_of_another_dossier_gets_404(staff, personas, dossier):
    other = services.dossier_create(client=personas.company, description="Ander dossier")
    step = services.checklist_add(dossier=other, title="Elders")
    assert staff.post(url("step_toggle", dossier, step=step.pk), {"done": "1"}).status_code == 404
    step.refresh_from_db()
    assert step.done_at is None


# -- publishing ------------------------------------------------------------------------------------


def test_staff_publish_one_file_with_type_year_and_message(staff, personas, dossier, settings):
    folder = dossier.folders.get(name="Jaarrekening")
    response = staff.post(
        url("publish", dossier),
        publish_data(
            [pdf("Jaarrekening 2025.pdf")], folder=folder.public_id, period="Q4", message="Graag even doorlezen."
        ),
    )
    assert response.status_code == 302 and response.url.endswith("#documents")
    document = Document.objects.get()
    assert (document.title, document.doc_type, document.year, document.period, document.message) == (
        "Jaarrekening 2025",
        "annual_accounts",
        2025,
        "Q4",
        "Graag even doorlezen.",
    )
    assert (document.direction, document.folder, document.client, document.created_by) == (
        "firm",
        folder,
        personas.company,
        personas.staff.user,
    )
    version = document.current_version
    assert version.number == 1 and version.original_name == "Jaarrekening 2025.pdf"
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.size == len(PDF) and version.content_type == "application/pdf"
    assert (Path(settings.MEDIA_ROOT) / version.file.name).read_bytes() == PDF

    notified = Notification.objects.filter(kind=EventKind.DOCUMENT, client=personas.company)
    assert {n.user for n in notified} == {personas.client_user, personas.employee}  # every member
    assert {n.link for n in notified} == {document.get_absolute_url()}
    assert not Todo.objects.exists()  # no request, no task
    assert sanity_check().strip() == "OK: 1 versions checked"


def test_staff_publish_several_files_for_approval_creating_a_task_each(staff, personas, dossier):
    files = [pdf("Jaarrekening.pdf"), pdf("Bestuursverslag.pdf"), pdf("Notulen.pdf")]
    response = staff.post(
        url("publish", dossier), publish_data(files, direction="correspondence", request_kind="approve")
    )
    assert response.status_code == 302
    documents = Document.objects.filter(dossier=dossier)
    assert sorted(d.title for d in documents) == ["Bestuursverslag", "Jaarrekening", "Notulen"]
    assert {d.direction for d in documents} == {"correspondence"}
    assert {d.request_kind for d in documents} == {"approve"}
    assert DocumentVersion.objects.filter(document__in=documents).count() == 3
    assert Notification.objects.filter(user=personas.client_user, kind=EventKind.DOCUMENT).count() == 3
    todos = Todo.objects.filter(client=personas.company)
    assert todos.count() == 3
    assert {(t.kind, t.audience, t.status) for t in todos} == {("approve", "handlers", "open")}
    # Each task is about the document's approval request (issue 7), on its exact version.
    assert {t.target.document for t in todos} == set(documents)
    assert {t.target.version for t in todos} == {d.current_version for d in documents}
    assert {t.created_by for t in todos} == {personas.staff.user}
    # the integrity check runs after the upload tests, over what they stored
    assert sanity_check().strip() == "OK: 3 versions checked"


@pytest.mark.parametrize(
    ("request_kind", "todo"),
    # A review is an approval request: its task goes to those who may handle documents. A sign
    # request asks its signers by name, turn by turn (the environment's director here).
    [("sign", ("sign", "named")), ("review", ("review", "handlers")), ("info", None)],
)
def test_each_request_kind_gets_its_task(personas, dossier, request_kind, todo):
    from balie.signing.tests.pdfs import make_pdf

    published(dossier, personas.staff.user, request_kind=request_kind, content=make_pdf(2))
    assert [(t.kind, t.audience) for t in Todo.objects.all()] == ([todo] if todo else [])


def test_an_employee_of_the_firm_may_publish_too(client, personas, dossier):
    employee = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    client.force_login(employee.user)
    assert client.get(url("dossier", dossier)).status_code == 200
    assert client.post(url("publish", dossier), publish_data([pdf()])).status_code == 302
    assert Document.objects.get().created_by == employee.user


def test_a_bad_file_among_good_ones_stores_nothing(staff, dossier, settings):
    files = [pdf("goed-1.pdf"), pdf("virus.pdf", EXE), pdf("goed-2.pdf")]
    response = staff.post(url("publish", dossier), publish_data(files, request_kind="approve"))
    assert response.status_code == 400
    errors = response.context["publish_form"].non_field_errors()
    assert any("virus.pdf" in error for error in errors)
    assert "Nothing has been published." in errors
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert not Notification.objects.exists() and not Todo.objects.exists()
    assert stored_files(settings) == []


def test_a_failure_after_storing_some_files_removes_them(personas, dossier, settings, monkeypatch):
    from balie.notifications import services as notifications

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(notifications, "notify", broken)
    with pytest.raises(RuntimeError):
        services.document_publish(
            dossier=dossier,
            uploads=[pdf("een.pdf"), pdf("twee.pdf")],
            folder=None,
            doc_type="other",
            year=None,
            period="",
            direction="firm",
            message="",
            request_kind="",
            actor=personas.staff.user,
        )
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_an_executable_renamed_pdf_is_refused(staff, dossier, settings):
    response = staff.post(url("publish", dossier), publish_data([pdf("factuur.pdf", EXE)]))
    assert response.status_code == 400
    assert "“factuur.pdf” is not really a .pdf file" in response.text
    assert not Document.objects.exists() and stored_files(settings) == []


def test_an_empty_file_is_refused(staff, dossier, settings):
    response = staff.post(url("publish", dossier), publish_data([pdf("leeg.pdf", b"")]))
    assert response.status_code == 400
    assert "“leeg.pdf” is empty." in response.text
    assert not Document.objects.exists() and stored_files(settings) == []


def test_publishing_without_a_file_asks_for_one(staff, dossier):
    response = staff.post(url("publish", dossier), publish_data([]))
    assert response.status_code == 400
    assert response.context["publish_form"].errors["files"] == ["Choose at least one file."]


def test_more_than_100_files_in_one_request_are_refused_with_a_clear_message(personas, dossier, settings):
    """In production the CSRF check parses the form first, so the refusal comes before the view."""
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    personas.staff.user.language = "en"
    personas.staff.user.save(update_fields=["language"])
    browser.force_login(personas.staff.user)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(url("dossier", dossier)).text)[1]
    files = [pdf(f"bijlage-{number}.pdf") for number in range(101)]
    response = browser.post(url("publish", dossier), {**publish_data(files), "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert "More than 100 files were sent at once; nothing has been stored." in response.text
    assert not Document.objects.exists() and stored_files(settings) == []

    as_json = browser.post(
        url("publish", dossier),
        {**publish_data([pdf(f"{number}.pdf") for number in range(101)]), "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="application/json",
    )
    assert as_json.status_code == 400 and "More than 100 files" in as_json.json()["errors"][0]

    files = [pdf(f"bijlage-{number}.pdf") for number in range(100)]
    hundred = browser.post(url("publish", dossier), {**publish_data(files), "csrfmiddlewaretoken": token})
    assert hundred.status_code == 302 and Document.objects.count() == 100


def test_the_service_refuses_more_than_100_files_too(personas, dossier, settings):
    with pytest.raises(ValidationError) as error:
        services.document_publish(
            dossier=dossier,
            uploads=[pdf(f"{number}.pdf") for number in range(101)],
            folder=None,
            doc_type="other",
            year=None,
            period="",
            direction="firm",
            message="",
            request_kind="",
            actor=personas.staff.user,
        )
    assert error.value.code == "too_many_files"
    assert not Document.objects.exists() and stored_files(settings) == []


def test_staff_cannot_publish_as_the_client(personas, dossier):
    with pytest.raises(ValidationError):
        published(dossier, personas.staff.user, direction="client")


def test_publishing_into_another_environments_folder_gets_404(staff, personas, dossier, settings):
    foreign = services.dossier_create(client=personas.private, description="Privé").folders.first()
    response = staff.post(url("publish", dossier), publish_data([pdf()], folder=foreign.public_id))
    assert response.status_code == 404
    assert not Document.objects.exists() and stored_files(settings) == []


# -- documents -------------------------------------------------------------------------------------


def test_the_dossier_page_shows_documents_of_every_tab_with_withdrawn_ones_marked(staff, personas, dossier):
    letter = published(dossier, personas.staff.user, name="brief.pdf", direction="correspondence")
    report = published(dossier, personas.staff.user, name="rapport.pdf")
    supplied = services.document_add(
        dossier=dossier, upload=pdf("bonnetje.pdf"), direction="client", actor=personas.client_user
    )
    services.document_withdraw(document=report, actor=personas.staff.user)
    page = staff.get(url("dossier", dossier))
    assert {d.pk for d in page.context["documents"]} == {letter.pk, report.pk, supplied.pk}
    assert page.text.count(">withdrawn</span>") == 1
    assert doc_url("document_withdraw", letter) in page.text
    assert doc_url("document_withdraw", report) not in page.text

    only_letters = staff.get(url("dossier", dossier) + "?richting=correspondence")
    assert [d.pk for d in only_letters.context["documents"]] == [letter.pk]


def test_withdrawing_asks_first_then_withdraws_and_closes_its_tasks(staff, personas, dossier):
    document = published(dossier, personas.staff.user, request_kind="approve")
    confirm = staff.get(doc_url("document_withdraw", document))
    assert confirm.status_code == 200 and "withdraw-confirm" in confirm.text
    document.refresh_from_db()
    assert document.status == Document.Status.ACTIVE  # asking changed nothing

    response = staff.post(doc_url("document_withdraw", document))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.WITHDRAWN
    assert document.withdrawn_by == personas.staff.user and document.withdrawn_at is not None
    assert Todo.objects.get().status == Todo.Status.CLOSED
    assert document.versions.count() == 1  # the file stays on record


def test_staff_add_a_new_version(staff, personas, dossier):
    document = published(dossier, personas.staff.user)
    services.document_record_access(document=document, user=personas.client_user, action="view", ip_address=None)
    new = PDF + b"% tweede versie\n"
    response = staff.post(doc_url("document_replace", document), {"file": pdf("jaarrekening-v2.pdf", new)})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert document.current_version.sha256 == hashlib.sha256(new).hexdigest()
    assert document.versions.count() == 2
    assert not DocumentRead.objects.filter(document=document, user=personas.client_user).exists()  # unread again
    page = staff.get(doc_url("document", document))
    assert [v.number for v in page.context["versions"]] == [2, 1]


def test_a_bad_new_version_is_refused_with_its_reason(staff, personas, dossier):
    document = published(dossier, personas.staff.user)
    response = staff.post(doc_url("document_replace", document), {"file": pdf("v2.pdf", EXE)})
    assert response.status_code == 400 and "“v2.pdf” is not really a .pdf file" in response.text
    assert document.versions.count() == 1


def test_a_withdrawn_document_gets_no_new_version(staff, personas, dossier):
    document = published(dossier, personas.staff.user)
    services.document_withdraw(document=document, actor=personas.staff.user)
    response = staff.post(doc_url("document_replace", document), {"file": pdf("v2.pdf")}, follow=True)
    assert "This document has been withdrawn." in response.text
    assert document.versions.count() == 1


def test_staff_see_who_at_the_client_opened_and_downloaded_a_document(staff, personas, dossier):
    document = published(dossier, personas.staff.user)
    for action in ("view", "download", "download"):
        services.document_record_access(
            document=document, user=personas.client_user, action=action, ip_address="192.0.2.1"
        )
    services.document_record_access(document=document, user=personas.staff.user, action="view", ip_address=None)

    page = staff.get(url("dossier", dossier))
    accesses = page.context["documents"][0].client_accesses
    assert {(a["user_id"], a["action"], a["times"]) for a in accesses} == {
        (personas.client_user.pk, "download", 2),
        (personas.client_user.pk, "view", 1),
    }  # the firm's own look is not the client's
    assert "Pieter" in page.text

    detail = staff.get(doc_url("document", document))
    assert [a.user for a in detail.context["accesses"]] == [personas.client_user] * 3


def test_staff_download_a_version_as_an_attachment_and_it_is_logged(staff, personas, dossier):
    document = published(dossier, personas.staff.user, name="Jaarrekening 2025.pdf")
    version = document.current_version
    response = staff.get(doc_url("version_download", document, version=version.public_id))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Jaarrekening 2025.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    access = DocumentAccess.objects.get()
    assert (access.user, access.action, access.version) == (personas.staff.user, "download", version)


def test_the_dossier_page_queries_do_not_grow_with_documents(staff, personas, dossier, django_assert_max_num_queries):
    def fill(count):
        for number in range(count):
            document = published(dossier, personas.staff.user, name=f"stuk-{number}.pdf")
            services.document_record_access(
                document=document, user=personas.client_user, action="download", ip_address=None
            )

    fill(2)
    with django_assert_max_num_queries(22) as few:  # opening the dossier is recorded in the audit trail
        staff.get(url("dossier", dossier))
    fill(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff.get(url("dossier", dossier))
    assert len(response.context["documents"]) == 12


# -- who may do it -------------------------------------------------------------------------------


def _all_urls(personas, dossier):
    document = published(dossier, personas.staff.user)
    step = services.checklist_add(dossier=dossier, title="Stap")
    version = document.current_version.public_id
    return [
        ("get", reverse("dossiers_staff:dossier_new", args=[dossier.client.public_id])),
        ("post", reverse("dossiers_staff:dossier_new", args=[dossier.client.public_id])),
        ("get", url("dossier", dossier)),
        ("get", url("dossier_edit", dossier)),
        ("post", url("dossier_edit", dossier)),
        ("post", url("folder_add", dossier)),
        ("post", url("step_add", dossier)),
        ("post", url("step_toggle", dossier, step=step.pk)),
        ("post", url("publish", dossier)),
        ("get", doc_url("document", document)),
        ("post", doc_url("document_replace", document)),
        ("get", doc_url("document_withdraw", document)),
        ("post", doc_url("document_withdraw", document)),
        ("get", doc_url("version_download", document, version=version)),
    ]


@pytest.mark.parametrize("who", ["outsider_staff", "client_user", "outsider"])
def test_anyone_but_the_firms_staff_gets_404_on_every_url(client, personas, dossier, who):
    actor = getattr(personas, who)
    client.force_login(getattr(actor, "user", actor))
    for method, address in _all_urls(personas, dossier):
        response = getattr(client, method)(address, {"description": "x", "name": "x", "title": "x", "done": "1"})
        assert response.status_code == 404, f"{method.upper()} {address} answered {response.status_code}"
    assert Document.objects.get().status == Document.Status.ACTIVE
    assert not ChecklistItem.objects.filter(done_at__isnull=False).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, personas, dossier):
    response = client.get(url("dossier", dossier))
    assert response.status_code == 302 and "login" in response.url


def test_ids_of_another_environment_of_the_same_firm_get_404(staff, personas, dossier):
    """The environment in the URL must own the dossier, and the dossier the document."""
    document = published(dossier, personas.staff.user)
    other = services.dossier_create(client=personas.company, description="Ander dossier")
    wrong_client = {"client": personas.private.public_id, "dossier": dossier.public_id}
    assert staff.get(reverse("dossiers_staff:dossier", kwargs=wrong_client)).status_code == 404
    wrong_dossier = {"client": personas.company.public_id, "dossier": other.public_id, "document": document.public_id}
    assert staff.get(reverse("dossiers_staff:document", kwargs=wrong_dossier)).status_code == 404
    assert staff.post(reverse("dossiers_staff:document_withdraw", kwargs=wrong_dossier)).status_code == 404
    foreign_version = published(other, personas.staff.user).current_version.public_id
    kwargs = {**wrong_dossier, "dossier": dossier.public_id, "version": foreign_version}
    assert staff.get(reverse("dossiers_staff:version_download", kwargs=kwargs)).status_code == 404


# -- sanity check ----------------------------------------------------------------------------------


def test_sanity_check_passes_on_a_good_state(personas, dossier):
    assert sanity_check().strip() == "OK: 0 versions checked"
    published(dossier, personas.staff.user)
    published(dossier, personas.staff.user, name="tweede.pdf")
    assert sanity_check().strip() == "OK: 2 versions checked"


def test_sanity_check_finds_a_tampered_file(personas, dossier, settings):
    version = published(dossier, personas.staff.user).current_version
    (Path(settings.MEDIA_ROOT) / version.file.name).write_bytes(PDF.replace(b"Catalog", b"Catalox"))
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("sanity_check", stdout=out)
    assert error.value.returncode == 1
    assert f"SHA-256   {version.file.name}" in out.getvalue()
    assert "SIZE" not in out.getvalue()  # same size, other content


def test_sanity_check_finds_a_missing_file_and_a_changed_size(personas, dossier, settings):
    gone = published(dossier, personas.staff.user).current_version
    grown = published(dossier, personas.staff.user, name="b.pdf").current_version
    (Path(settings.MEDIA_ROOT) / gone.file.name).unlink()
    (Path(settings.MEDIA_ROOT) / grown.file.name).write_bytes(PDF + b"extra")
    out = StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        call_command("sanity_check", stdout=out)
    report = out.getvalue()
    assert f"MISSING   {gone.file.name} (document {gone.document.public_id}, version 1)" in report
    assert f"SIZE      {grown.file.name}" in report and f"SHA-256   {grown.file.name}" in report


def test_sanity_check_lists_orphan_files(personas, dossier, settings):
    published(dossier, personas.staff.user)
    orphan = Path(settings.MEDIA_ROOT) / "documents" / "ab" / "verweesd"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"niemand verwijst hiernaar")
    out = StringIO()
    with pytest.raises(CommandError, match="1 orphan"):
        call_command("sanity_check", stdout=out)
    assert "ORPHAN    documents/ab/verweesd (no version refers to it)" in out.getvalue()


# -- Documenten opvragen ---------------------------------------------------------------------------


def test_asking_for_documents_gives_every_member_a_task_that_opens_the_folders_upload_page(
    staff, client, personas, dossier
):
    from datetime import timedelta

    from django.utils import timezone

    folder = dossier.folders.get(name="Fiscaal")
    due = timezone.localdate() + timedelta(days=7)
    page = staff.get(url("dossier", dossier)).content.decode()
    assert 'id="ask-documents"' in page and 'id="id_ask-title"' in page
    response = staff.post(
        url("documents_ask", dossier),
        {"ask-title": "Jaaropgave 2025 van de bank", "ask-folder": str(folder.public_id), "ask-due_date": due},
    )
    assert response.status_code == 302 and response.url.endswith("#ask")
    todo = Todo.objects.get()
    assert (todo.kind, todo.title, todo.target, todo.due_date, todo.audience) == (
        "upload",
        "Jaaropgave 2025 van de bank",
        folder,
        due,
        "members",
    )
    assert todo.created_by == personas.staff.user
    client.force_login(personas.employee)  # a member without the right to handle documents: still asked
    opened = client.get(reverse("todos:open", args=[personas.company.public_id, todo.public_id]))
    assert opened.url.endswith(f"/aanleveren/?map={folder.public_id}")


def test_asking_for_documents_needs_what_and_where_and_no_past_date(staff, dossier):
    from datetime import timedelta

    from django.utils import timezone

    response = staff.post(url("documents_ask", dossier), {"ask-title": "", "ask-folder": ""})
    assert response.status_code == 400
    errors = response.context["ask_form"].errors
    assert set(errors) == {"title", "folder"}
    folder = dossier.folders.first()
    yesterday = timezone.localdate() - timedelta(days=1)
    response = staff.post(
        url("documents_ask", dossier),
        {"ask-title": "Jaaropgave", "ask-folder": str(folder.public_id), "ask-due_date": yesterday},
    )
    assert response.status_code == 400
    assert response.context["ask_form"].errors["due_date"] == ["The due date cannot be in the past."]
    assert not Todo.objects.exists()


def test_a_folder_of_another_dossier_cannot_be_asked_for(staff, personas, dossier):
    other = services.dossier_create(client=personas.holding, description="Holding")
    response = staff.post(
        url("documents_ask", dossier),
        {"ask-title": "Jaaropgave", "ask-folder": str(other.folders.first().public_id)},
    )
    assert response.status_code == 400  # not one of this dossier's folders
    assert not Todo.objects.exists()
