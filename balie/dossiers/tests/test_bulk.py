"""Bulk publish (DOS-7): match, preview, confirm, result; one file stored once for many environments."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.approvals.models import Request
from balie.approvals.tests.filing_support import connect_software
from balie.clients.models import Client, Membership
from balie.dossiers import bulk, services
from balie.dossiers.models import BulkItem, BulkPublication, Document, DocumentVersion, Dossier
from balie.dossiers.tests.utils import EXE, PDF, sanity_check, stored_files
from balie.notifications.models import EventKind, Notification
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db


def pdf(name="brief.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def numbered(personas):
    """Firm A's environments with client numbers: company 10232, holding 10233, private 10234."""
    for client, number in ((personas.company, "10232"), (personas.holding, "10233"), (personas.private, "10234")):
        client.number = number
        client.save(update_fields=["number"])
    return personas


@pytest.fixture
def staff(client, numbered):
    numbered.staff.user.language = "en"  # the messages are checked in their msgid form
    numbered.staff.user.save(update_fields=["language"])
    client.force_login(numbered.staff.user)
    return client


def form_data(**fields):
    return {"doc_type": "vat_return", "year": "2025", "period": "Q3", "direction": "firm", **fields}


def preview(staff, data) -> tuple[BulkPublication, str]:
    response = staff.post(reverse("dossiers_staff:bulk_new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    publication = BulkPublication.objects.get()
    page = staff.get(response["Location"])
    assert page.status_code == 200
    return publication, page.content.decode()


def confirm(staff, publication, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("dossiers_staff:bulk_confirm", args=[publication.public_id]))
    assert response.status_code == 302
    publication.refresh_from_db()
    return publication


# -- the three ways of matching, with their preview ------------------------------------------------


def test_same_file_to_listed_numbers_preview_shows_unknown_and_duplicate(staff, numbered, settings):
    publication, html = preview(
        staff,
        form_data(mode="same", files=[pdf("btw.pdf")], scope="numbers", numbers="10232\n10233, 99999 10232"),
    )
    assert publication.status == BulkPublication.Status.DRAFT
    items = list(publication.items.order_by("position"))
    assert [(item.client_number, item.client_id) for item in items] == [
        ("10232", numbered.company.pk),
        ("10233", numbered.holding.pk),
        ("99999", None),
        ("10232", numbered.company.pk),
    ]
    assert [bool(item.problem) for item in items] == [False, False, True, True]
    assert "There is no environment with client number 99999." in html
    assert "Duplicate: this file already goes to this environment." in html
    assert "Bakker B.V." in html and "Bakker Holding B.V." in html
    assert "Nothing has been published yet." in html
    assert "2 documents will be published in 2 environment(s), from 1 stored file(s)." in html
    assert len(stored_files(settings)) == 1  # one file, staged once
    assert Document.objects.count() == 0 and Notification.objects.count() == 0
    assert sanity_check().startswith("OK")  # a staged file is in use, not an orphan


def test_same_file_to_all_or_one_kind(staff, numbered):
    publication, html = preview(staff, form_data(mode="same", files=[pdf()], scope="kind", kind="holding"))
    assert list(publication.items.values_list("client_id", flat=True)) == [numbered.holding.pk]
    BulkPublication.objects.all().delete()
    publication, html = preview(staff, form_data(mode="same", files=[pdf()], scope="all"))
    assert set(publication.items.values_list("client_id", flat=True)) == {
        numbered.company.pk,
        numbered.holding.pk,
        numbered.private.pk,
    }
    assert numbered.outsider_client.name not in html  # firm B's environment is never a target


def test_csv_matching_preview(staff, numbered, settings):
    csv = "bestand;klantnummer\nbtw 1.pdf;10232\nbtw 2.pdf;10233\nweg.pdf;10234\nbtw 1.pdf;55555\n"
    publication, html = preview(
        staff,
        form_data(
            mode="csv",
            files=[pdf("btw 1.pdf"), pdf("btw 2.pdf", PDF + b"%2\n"), pdf("extra.pdf", PDF + b"%3\n")],
            csv_file=SimpleUploadedFile("lijst.csv", csv.encode(), content_type="text/csv"),
        ),
    )
    rows = [(item.file_name, item.client_id, item.problem) for item in publication.items.order_by("position")]
    assert rows[0] == ("btw 1.pdf", numbered.company.pk, "")
    assert rows[1] == ("btw 2.pdf", numbered.holding.pk, "")
    assert rows[2][0] == "" and rows[2][1] == numbered.private.pk and "was not uploaded" in rows[2][2]
    assert rows[3][0] == "btw 1.pdf" and "55555" in rows[3][2]
    assert rows[4][0] == "extra.pdf" and "is not in the CSV" in rows[4][2]
    assert "“weg.pdf” is in the CSV but was not uploaded." in html
    assert "“extra.pdf” is not in the CSV." in html
    assert len(stored_files(settings)) == 3


def test_csv_with_commas_and_without_header():
    rows = bulk.parse_csv(b"a.pdf,10232\r\nb.pdf,10233\r\n")
    assert rows == [("a.pdf", "10232"), ("b.pdf", "10233")]


def test_pattern_matching_preview_default_and_own_regex(staff, numbered):
    publication, html = preview(
        staff,
        form_data(
            mode="pattern",
            files=[
                pdf("10232 Btw Q3.pdf"),
                pdf("010233 Btw Q3.pdf", PDF + b"%2\n"),
                pdf("Btw Q3.pdf", PDF + b"%3\n"),
                pdf("70000 Btw Q3.pdf", PDF + b"%4\n"),
            ],
        ),
    )
    rows = [(item.file_name, item.client_number, item.client_id) for item in publication.items.order_by("position")]
    assert rows == [
        ("10232 Btw Q3.pdf", "10232", numbered.company.pk),
        ("010233 Btw Q3.pdf", "010233", numbered.holding.pk),  # leading zeros do not matter
        ("Btw Q3.pdf", "", None),
        ("70000 Btw Q3.pdf", "70000", None),
    ]
    assert "No client number found in the file name." in html
    assert "There is no environment with client number 70000." in html
    assert publication.items.get(position=0).title == "10232 Btw Q3"

    BulkPublication.objects.all().delete()
    publication, html = preview(
        staff, form_data(mode="pattern", pattern=r"klant-(\d+)", files=[pdf("Btw klant-10234.pdf")])
    )
    assert publication.items.get().client_id == numbered.private.pk


def test_bad_input_stores_nothing(staff, numbered, settings):
    url = reverse("dossiers_staff:bulk_new")
    response = staff.post(url, form_data(mode="same", files=[pdf("virus.pdf", EXE)], scope="all"))
    assert response.status_code == 400 and "not really a .pdf file" in response.content.decode()
    response = staff.post(url, form_data(mode="pattern", pattern="(unclosed", files=[pdf()]))
    assert response.status_code == 400 and "The pattern is not valid" in response.content.decode()
    response = staff.post(url, form_data(mode="csv", files=[pdf()]))
    assert response.status_code == 400 and "Choose the CSV file" in response.content.decode()
    assert BulkPublication.objects.count() == 0 and stored_files(settings) == []


def test_no_members_is_a_warning_and_a_refused_file_a_problem(staff, numbered):
    lonely = Client.objects.create(firm=numbered.firm, kind=Client.Kind.COMPANY, name="Leeg B.V.", number="20000")
    publication, html = preview(
        staff,
        form_data(mode="pattern", files=[pdf("20000 brief.pdf"), pdf("10232 virus.pdf", EXE)]),
    )
    first, second = publication.items.order_by("position")
    assert first.client_id == lonely.pk and not first.problem
    assert "nobody is notified" in first.warning and "nobody is notified" in html
    assert "not really a .pdf file" in second.problem and not second.file_key


# -- confirm, result ------------------------------------------------------------------------------


def test_confirm_publishes_with_notifications_and_todos(staff, numbered, settings, django_capture_on_commit_callbacks):
    dossier = services.dossier_create(client=numbered.company, description="Doorlopend dossier")
    publication, _html = preview(
        staff,
        form_data(
            mode="same",
            files=[pdf("aangifte.pdf")],
            scope="numbers",
            numbers="10232 10233 99999",
            folder_name="Fiscaal",
            request_kind="approve",
            message="Graag goedkeuren.",
        ),
    )
    assert Document.objects.count() == 0
    publication = confirm(staff, publication, django_capture_on_commit_callbacks)
    assert publication.status == BulkPublication.Status.DONE

    documents = Document.objects.order_by("client__name")
    assert [d.client for d in documents] == [numbered.company, numbered.holding]
    company_doc = documents.get(client=numbered.company)
    assert company_doc.dossier == dossier  # the existing standing dossier
    assert company_doc.folder.name == "Fiscaal"
    assert (company_doc.doc_type, company_doc.year, company_doc.period) == ("vat_return", 2025, "Q3")
    assert company_doc.message == "Graag goedkeuren." and company_doc.request_kind == "approve"
    holding_doc = documents.get(client=numbered.holding)
    assert holding_doc.dossier.kind == Dossier.Kind.STANDING  # created for it
    # The same stored file for both versions.
    assert len(set(DocumentVersion.objects.values_list("file", flat=True))) == 1
    assert len(stored_files(settings)) == 1
    # Every member of each environment: the company has the client user and the employee.
    company_members = set(Membership.objects.filter(client=numbered.company).values_list("user_id", flat=True))
    notified = Notification.objects.filter(client=numbered.company, kind=EventKind.DOCUMENT)
    assert set(notified.values_list("user_id", flat=True)) == company_members
    assert Notification.objects.filter(client=numbered.holding, kind=EventKind.DOCUMENT).count() == 1
    # Since issue 7 each approval is a request with the VAT return's flow: its directors are asked.
    assert Notification.objects.filter(client=numbered.holding, kind=EventKind.REQUEST).count() == 1
    assert Todo.objects.filter(kind=Todo.Kind.APPROVE).count() == 2
    assert sorted(Request.objects.values_list("audience", "after")) == [("directors", "firm_software")] * 2
    assert publication.request_settings == {}  # nothing chosen: the flow of the type decides
    assert publication.items.get(client_number="99999").status == BulkItem.Status.SKIPPED

    page = staff.get(reverse("dossiers_staff:bulk", args=[publication.public_id])).content.decode()
    assert "Result: what went where" in page
    assert (
        reverse("dossiers_staff:document", args=[numbered.company.public_id, dossier.public_id, company_doc.public_id])
        in page
    )
    assert "2 of 2 handled: 2 published, 0 failed." in page
    assert 'hx-trigger="every 2s"' not in page  # done: no more polling
    assert sanity_check().startswith("OK: 2 versions checked")


def test_the_chosen_request_settings_apply_in_every_environment(staff, numbered, django_capture_on_commit_callbacks):
    due = timezone.localdate() + timedelta(days=10)
    publication, html = preview(
        staff,
        form_data(
            mode="same",
            files=[pdf("aangifte.pdf")],
            scope="numbers",
            numbers="10232 10233",
            request_kind="approve",
            audience="directors",
            required="all",
            due_date=due.isoformat(),
            after="nothing",
        ),
    )
    assert publication.request_settings == {
        "audience": "directors",
        "required": "all",
        "after": "nothing",
        "due_date": due.isoformat(),
    }
    assert "All directors with portal access" in html and "Everyone asked must approve" in html
    assert "As your firm's flow for the document type" not in html  # all four chosen
    publication = confirm(staff, publication, django_capture_on_commit_callbacks)
    assert publication.status == BulkPublication.Status.DONE
    requests = Request.objects.order_by("client__name")
    assert [approval.client for approval in requests] == [numbered.company, numbered.holding]
    assert {(r.kind, r.audience, r.required, r.after, r.due_date) for r in requests} == {
        ("approve", "directors", "all", "nothing", due)
    }


def test_a_partly_chosen_setting_leaves_the_rest_to_the_flow(staff, numbered, django_capture_on_commit_callbacks):
    publication, _html = preview(
        staff,
        form_data(mode="same", files=[pdf()], scope="numbers", numbers="10232", request_kind="approve", required="all"),
    )
    assert publication.request_settings == {"required": "all"}
    confirm(staff, publication, django_capture_on_commit_callbacks)
    approval = Request.objects.get()
    assert (approval.audience, approval.required, approval.after) == ("directors", "all", "firm_software")


def test_bulk_refuses_a_step_after_approval_that_cannot_happen(
    staff, numbered, settings, django_capture_on_commit_callbacks
):
    url = reverse("dossiers_staff:bulk_new")
    data = form_data(mode="same", scope="numbers", numbers="10232", request_kind="approve", audience="directors")
    response = staff.post(url, {**data, "files": [pdf()], "after": "firm_software"})
    assert response.status_code == 400
    assert "set up its webhook under Settings › Firm software" in response.content.decode()
    settings.BALIE_DIGIPOORT = "off"
    response = staff.post(url, {**data, "files": [pdf()], "doc_type": "income_tax_return", "after": "digipoort"})
    assert response.status_code == 400
    assert response.context["request_form"].errors["after"] == [
        "Filing through Digipoort is not available in this installation; choose another step after approval."
    ]
    assert not BulkPublication.objects.exists()

    # Connected at the preview, gone before the confirmation: nothing is published.
    receiver = connect_software(numbered.firm)
    publication, _html = preview(staff, {**data, "files": [pdf()], "after": "firm_software"})
    receiver.delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("dossiers_staff:bulk_confirm", args=[publication.public_id]), follow=True)
    assert "software is not connected" in response.content.decode()
    publication.refresh_from_db()
    assert publication.status == BulkPublication.Status.DRAFT and not Document.objects.exists()


def test_running_result_polls_and_retry_is_idempotent(staff, numbered, django_capture_on_commit_callbacks):
    publication, _html = preview(staff, form_data(mode="same", files=[pdf()], scope="numbers", numbers="10232 10233"))
    with django_capture_on_commit_callbacks(execute=False):  # confirmed, the job has not run yet
        staff.post(reverse("dossiers_staff:bulk_confirm", args=[publication.public_id]))
    url = reverse("dossiers_staff:bulk", args=[publication.public_id])
    page = staff.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "0 of 2 handled" in page
    partial = staff.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<div id="bulk-result"')

    # One item published before a crash; the job run again publishes only the other.
    first = publication.items.order_by("position").first()
    bulk._publish_item(publication, first.pk)
    assert bulk.bulk_publish_run(publication_id=publication.pk) == 1
    assert bulk.bulk_publish_run(publication_id=publication.pk) == 0  # done: a late duplicate run does nothing
    assert Document.objects.count() == 2
    assert Notification.objects.filter(client=numbered.company).count() == 2  # client user and employee once


def test_failed_item_is_reported_and_can_be_retried(staff, numbered, monkeypatch, django_capture_on_commit_callbacks):
    publication, _html = preview(staff, form_data(mode="same", files=[pdf()], scope="numbers", numbers="10232 10233"))
    original = bulk._publish_one

    def flaky(publication, item):
        if item.client_id == numbered.holding.pk:
            raise RuntimeError("storage unavailable")
        return original(publication, item)

    monkeypatch.setattr(bulk, "_publish_one", flaky)
    publication = confirm(staff, publication, django_capture_on_commit_callbacks)
    assert publication.status == BulkPublication.Status.FAILED
    page = staff.get(reverse("dossiers_staff:bulk", args=[publication.public_id])).content.decode()
    assert "storage unavailable" in page and "1 published, 1 failed" in page
    assert sanity_check().startswith("OK")  # the failed item's staged file is still in use

    monkeypatch.setattr(bulk, "_publish_one", original)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("dossiers_staff:bulk_retry", args=[publication.public_id]))
    publication.refresh_from_db()
    assert publication.status == BulkPublication.Status.DONE
    assert Document.objects.filter(client=numbered.company).count() == 1  # not published twice
    assert Document.objects.filter(client=numbered.holding).count() == 1


def test_cancel_removes_the_staged_files(staff, numbered, settings):
    publication, _html = preview(
        staff, form_data(mode="pattern", files=[pdf("10232 a.pdf"), pdf("10233 b.pdf", PDF + b"%2\n")])
    )
    assert len(stored_files(settings)) == 2
    response = staff.post(reverse("dossiers_staff:bulk_cancel", args=[publication.public_id]))
    assert response.status_code == 302
    assert BulkPublication.objects.count() == 0 and BulkItem.objects.count() == 0
    assert stored_files(settings) == [] and Document.objects.count() == 0


def test_unpublished_staged_files_are_removed_when_done(staff, numbered, settings, django_capture_on_commit_callbacks):
    publication, _html = preview(
        staff, form_data(mode="pattern", files=[pdf("10232 a.pdf"), pdf("99999 b.pdf", PDF + b"%2\n")])
    )
    confirm(staff, publication, django_capture_on_commit_callbacks)
    assert len(stored_files(settings)) == 1  # the file for the unknown number is gone
    assert sanity_check().startswith("OK: 1 versions checked")


# -- scale ----------------------------------------------------------------------------------------


def test_one_document_to_500_environments(staff, numbered, settings, django_capture_on_commit_callbacks):
    firm = numbered.firm
    clients = Client.objects.bulk_create(
        Client(firm=firm, kind=Client.Kind.COMPANY, name=f"Klant {n:03} B.V.", number=f"5{n:04}") for n in range(500)
    )
    users = [UserFactory.build(email=f"lid{n}@example.test") for n in range(500)]
    for user in users:
        user.password = "!"  # unusable; no hashing for 500 people
    users = type(users[0]).objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(user=user, client=client, role=Membership.Role.ADMIN)
        for user, client in zip(users, clients, strict=True)
    )
    numbers = "\n".join(client.number for client in clients)

    publication, html = preview(
        staff, form_data(mode="same", files=[pdf("nieuwsbrief.pdf")], scope="numbers", numbers=numbers)
    )
    assert "500 documents will be published in 500 environment(s), from 1 stored file(s)." in html
    publication = confirm(staff, publication, django_capture_on_commit_callbacks)

    assert publication.status == BulkPublication.Status.DONE
    assert publication.items.filter(status=BulkItem.Status.OK).count() == 500
    assert Document.objects.filter(client__in=clients).count() == 500
    assert Notification.objects.filter(client__in=clients, kind=EventKind.DOCUMENT).count() == 500
    assert set(Notification.objects.filter(client__in=clients).values_list("user_id", flat=True)) == {
        user.pk for user in users
    }
    assert len(set(DocumentVersion.objects.values_list("file", flat=True))) == 1
    assert len(stored_files(settings)) == 1  # stored once, named by 500 versions
    assert sanity_check().startswith("OK: 500 versions checked")


# -- isolation ------------------------------------------------------------------------------------


def test_other_firm_and_clients_get_404(client, numbered):
    publication = bulk.bulk_prepare(
        staff=numbered.staff, mode="same", uploads=[pdf()], fields={"direction": "firm"}, scope="all"
    )
    urls = [
        ("get", reverse("dossiers_staff:bulk", args=[publication.public_id])),
        ("post", reverse("dossiers_staff:bulk_confirm", args=[publication.public_id])),
        ("post", reverse("dossiers_staff:bulk_cancel", args=[publication.public_id])),
        ("post", reverse("dossiers_staff:bulk_retry", args=[publication.public_id])),
    ]
    for user in (numbered.outsider_staff.user, numbered.client_user):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 404, (user, url)
    client.force_login(numbered.client_user)
    assert client.get(reverse("dossiers_staff:bulk_new")).status_code == 404
    # Firm B's staff sees only its own (empty) list and cannot target firm A's environments by number.
    client.force_login(numbered.outsider_staff.user)
    response = client.post(
        reverse("dossiers_staff:bulk_new"),
        form_data(mode="same", files=[pdf()], scope="numbers", numbers="10232"),
    )
    other = BulkPublication.objects.get(firm=numbered.other_firm)
    assert other.items.get().client_id is None and response.status_code == 302
    publication.refresh_from_db()
    assert publication.status == BulkPublication.Status.DRAFT


def test_client_list_links_to_bulk_publish(staff):
    page = staff.get(reverse("clients:staff_list")).content.decode()
    assert reverse("dossiers_staff:bulk_new") in page


def test_start_page_lists_recent_publications(staff, numbered):
    url = reverse("dossiers_staff:bulk_new")
    page = staff.get(url)
    assert page.status_code == 200 and "At most 100 files at once." in page.content.decode()
    publication, _html = preview(staff, form_data(mode="same", files=[pdf()], scope="all"))
    assert reverse("dossiers_staff:bulk", args=[publication.public_id]) in staff.get(url).content.decode()


def test_preview_and_result_pages_use_the_same_queries_for_3_or_30_environments(still_clock, staff, numbered):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 30):
        BulkPublication.objects.all().delete()
        clients = Client.objects.bulk_create(
            Client(firm=numbered.firm, kind=Client.Kind.COMPANY, name=f"Q{size}-{n}", number=f"{size}{n:04}")
            for n in range(size)
        )
        numbers = "\n".join(client.number for client in clients)
        publication, _html = preview(
            staff, form_data(mode="same", files=[pdf("brief.pdf")], scope="numbers", numbers=numbers)
        )
        with CaptureQueriesContext(connection) as queries:
            page = staff.get(reverse("dossiers_staff:bulk", args=[publication.public_id]))
        assert page.status_code == 200 and page.content.decode().count("<tr") >= size
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
