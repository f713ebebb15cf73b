"""The firm's side of signing (issue 8): setting up sign requests when publishing (one environment
and in bulk), the bad files refused there, a follow-up waiting for the signatures, and the request's
page: the signers' progress, reminding, withdrawing, sealing again, moving a signature, and the
firm's own signature first."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals.models import Decision, Request
from balie.approvals.states import Status
from balie.dossiers.models import BulkPublication, Document
from balie.dossiers.services import dossier_create
from balie.dossiers.tests.utils import stored_files
from balie.notifications.models import EventKind, Notification
from balie.signing import pdf, sealing, selectors, services, signatures
from balie.signing.forms_staff import spot_box
from balie.signing.models import Signature, Signer
from balie.signing.tests.pdfs import make_encrypted_pdf, make_pdf, make_signature_png
from balie.signing.tests.support import annual_accounts, company_with_directors, sign
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db
A4 = (595.2755905511812, 841.8897637795277)


@pytest.fixture
def staff(client, personas):
    personas.staff.user.language = "en"  # messages are checked in their msgid form
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


@pytest.fixture
def bv(personas):
    return company_with_directors(personas)


@pytest.fixture
def dossier(bv):
    return dossier_create(client=bv.client, description="Jaarwerk 2025")


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def a_pdf(name="Jaarrekening 2025.pdf", pages=3):
    return SimpleUploadedFile(name, make_pdf(pages), content_type="application/pdf")


def publish(staff, dossier, *, files=None, **fields):
    data = {
        "files": files or [a_pdf()],
        "doc_type": "annual_accounts",
        "year": "2025",
        "direction": "firm",
        "request_kind": "sign",
        "audience": "directors",
        "in_order": "order",
        **fields,
    }
    return staff.post(reverse("dossiers_staff:publish", args=[dossier.client.public_id, dossier.public_id]), data)


def ask(personas, bv, **options):
    document = annual_accounts(bv.client, actor=personas.staff.user)
    return services.sign_request_create(
        document=document, actor=personas.staff.user, signers=options.pop("signers", bv.directors), **options
    )


def detail(staff, approval):
    return staff.get(reverse("approvals_staff:detail", args=[approval.public_id]))


def url(name, approval, **kwargs):
    return reverse(f"signing_staff:{name}", kwargs={"approval": approval.public_id, **kwargs})


def open_sign_todos(user):
    return Todo.objects.filter(status=Todo.Status.OPEN, kind=Todo.Kind.SIGN, assignees=user)


def signers(approval):
    return list(Signer.objects.filter(request=approval).order_by("slot"))


# -- the publish form ---------------------------------------------------------------------------------


def test_the_flow_of_annual_accounts_shows_the_sign_fields(staff, bv):
    response = staff.get(
        reverse("approvals_staff:flow_defaults"), {"doc_type": "annual_accounts", "client": bv.client.public_id}
    )
    form = response.context["request_form"]
    assert form.is_sign and form.initial["audience"] == "directors"  # APR-1
    html = response.content.decode()
    for field in ("id_in_order", "id_firm_first", "id_firm_signer", "id_sign_page", "id_signer_1"):
        assert f'id="{field}' in html, field
    assert 'id="id_required"' not in html and 'id="id_after"' not in html
    # The publisher is proposed as the firm's signer; the kind's select fetches the other fields.
    assert form.initial["firm_signer"] == str(response.wsgi_request.user.public_id)
    assert 'hx-include="[name=&#x27;doc_type&#x27;]"' in html

    # Choosing "approve" for the same type shows the approval's fields again, and "sign" for a type
    # whose flow is an approval the sign fields, for the directors.
    approve = staff.get(
        reverse("approvals_staff:flow_defaults"),
        {"doc_type": "annual_accounts", "request_kind": "approve", "client": bv.client.public_id},
    )
    assert not approve.context["request_form"].is_sign and 'id="id_required"' in approve.content.decode()
    other = staff.get(
        reverse("approvals_staff:flow_defaults"), {"doc_type": "other", "request_kind": "sign", "bulk": 1}
    )
    form = other.context["request_form"]
    assert form.is_sign and form.initial["audience"] == "directors"
    assert "firm_signer" not in form.fields and not form.signer_names  # bulk: nobody is named


def test_publishing_with_named_signers_keeps_their_order(staff, personas, bv, dossier):
    first, second = bv.directors
    response = publish(
        staff,
        dossier,
        audience="named",
        signer_1=str(second.public_id),
        signer_2=str(bv.handler.public_id),
        signer_3=str(first.public_id),
    )
    assert response.status_code == 302, response.context and response.context["request_form"].errors
    approval = Request.objects.get()
    assert (approval.kind, approval.status, approval.document.request_kind) == ("sign", Status.OPEN, "sign")
    assert [(signer.user, signer.position) for signer in signers(approval)] == [
        (second, 1),
        (bv.handler, 2),
        (first, 3),
    ]
    assert open_sign_todos(second).count() == 1  # only the first in the order is asked
    assert not open_sign_todos(bv.handler).exists() and not open_sign_todos(first).exists()


def test_publishing_refuses_a_signer_chosen_twice_and_stores_nothing(staff, bv, dossier):
    first, _second = bv.directors
    response = publish(staff, dossier, audience="named", signer_1=str(first.public_id), signer_2=str(first.public_id))
    assert response.status_code == 400
    assert response.context["request_form"].errors["signer_2"] == ["Each person signs once: choose everyone only once."]
    response = publish(staff, dossier, audience="named")
    assert response.context["request_form"].errors["signer_1"] == ["Choose at least one person who must sign."]
    assert not Document.objects.exists() and not stored_files()


def test_publishing_to_sign_at_the_same_time_asks_everyone_at_once(staff, bv, dossier):
    due = timezone.localdate() + timedelta(days=10)
    assert publish(staff, dossier, in_order="parallel", due_date=due.isoformat()).status_code == 302
    approval = Request.objects.get()
    assert approval.due_date == due
    assert {signer.position for signer in signers(approval)} == {1}
    assert all(signer.asked_at for signer in signers(approval))
    assert all(open_sign_todos(director).count() == 1 for director in bv.directors)


def test_the_firm_signs_first_and_the_clients_are_asked_after_it(
    staff, personas, bv, dossier, django_capture_on_commit_callbacks
):
    accountant = personas.staff.user
    response = publish(staff, dossier, firm_first="on", firm_signer=str(accountant.public_id))
    assert response.status_code == 302
    approval = Request.objects.get()
    rows = signers(approval)
    assert [(row.user, row.position, row.is_firm) for row in rows] == [
        (accountant, 0, True),
        (bv.directors[0], 1, False),
        (bv.directors[1], 2, False),
    ]
    assert rows[0].asked_at and not rows[1].asked_at  # the firm is asked first
    assert not Todo.objects.filter(kind=Todo.Kind.SIGN).exists()
    page = detail(staff, approval)
    assert page.context["may_sign"] and 'id="sign-for-firm"' in page.content.decode()

    sign(approval, accountant, django_capture_on_commit_callbacks)
    assert open_sign_todos(bv.directors[0]).count() == 1  # the client after the firm's signature
    assert not open_sign_todos(bv.directors[1]).exists()


def test_a_signature_page_places_every_signature_on_it(staff, personas, bv, dossier):
    response = publish(staff, dossier, sign_page="2", firm_first="on", firm_signer=str(personas.staff.user.public_id))
    assert response.status_code == 302
    assert [(signer.page, signer.box) for signer in signers(Request.objects.get())] == [(2, None)] * 3


def test_a_signature_page_the_document_does_not_have_is_refused(staff, bv, dossier):
    response = publish(staff, dossier, sign_page="9")
    assert response.status_code == 400
    assert "The document has 3 pages; choose a page from 1 to 3." in response.context["publish_form"].non_field_errors()
    assert not Document.objects.exists() and not Request.objects.exists() and not stored_files()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("scan.png", make_signature_png(), "Only a PDF can be signed."),
        ("beveiligd.pdf", make_encrypted_pdf(), "protected with a password or encryption"),
    ],
)
def test_a_file_that_cannot_be_signed_is_refused_at_publishing(staff, bv, dossier, name, content, problem):
    upload = SimpleUploadedFile(name, content)
    response = publish(staff, dossier, files=[a_pdf(), upload])
    assert response.status_code == 400
    errors = response.context["publish_form"].non_field_errors()
    assert any(error.startswith(f"“{name}”: ") and problem in error for error in errors), errors
    assert "Nothing has been published." in errors
    assert not Document.objects.exists() and not Request.objects.exists() and not stored_files()


# -- bulk -------------------------------------------------------------------------------------------


def bulk(staff, *, files, numbers="1001 1002", **fields):
    data = {
        "mode": "same",
        "files": files,
        "scope": "numbers",
        "numbers": numbers,
        "doc_type": "annual_accounts",
        "direction": "firm",
        "request_kind": "sign",
        "audience": "directors",
        "in_order": "order",
        **fields,
    }
    return staff.post(reverse("dossiers_staff:bulk_new"), data)


@pytest.fixture
def two_environments(personas, bv):
    other = company_with_directors(personas, count=1, name="Pietersen B.V.")
    for company, number in ((bv, "1001"), (other, "1002")):
        company.client.number = number
        company.client.save(update_fields=["number"])
    return bv, other


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("scan.png", make_signature_png(), "Only a PDF can be signed."),
        ("beveiligd.pdf", make_encrypted_pdf(), "protected with a password or encryption"),
    ],
)
def test_bulk_refuses_a_file_that_cannot_be_signed(staff, two_environments, name, content, problem):
    response = bulk(staff, files=[SimpleUploadedFile(name, content)])
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(error.startswith(f"“{name}”: ") and problem in error for error in errors), errors
    assert "Nothing has been stored or published." in errors
    assert not BulkPublication.objects.exists() and not stored_files()


def test_bulk_refuses_a_signature_page_a_file_does_not_have(staff, two_environments):
    response = bulk(staff, files=[a_pdf(pages=2)], sign_page="3")
    assert response.status_code == 400
    assert (
        "“Jaarrekening 2025.pdf” has 2 pages: the signatures cannot go on page 3."
        in response.context["form"].non_field_errors()
    )
    assert not BulkPublication.objects.exists() and not stored_files()


def test_bulk_signing_makes_a_sign_request_in_every_environment(
    staff, personas, two_environments, django_capture_on_commit_callbacks
):
    bv, other = two_environments
    response = bulk(staff, files=[a_pdf()], firm_first="on", sign_page="3")
    assert response.status_code == 302
    publication = BulkPublication.objects.get()
    assert publication.request_kind == "sign"
    assert publication.request_settings == {"audience": "directors", "in_order": True, "firm_first": True, "page": 3}
    preview = staff.get(reverse("dossiers_staff:bulk", args=[publication.public_id]))
    facts = dict(preview.context["request_facts"])
    assert facts["Signs first for the firm"] and facts["Signature page"] == "3"

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("dossiers_staff:bulk_confirm", args=[publication.public_id]))
    publication.refresh_from_db()
    assert publication.status == BulkPublication.Status.DONE
    approvals = {approval.client: approval for approval in Request.objects.all()}
    assert set(approvals) == {bv.client, other.client}
    for company in (bv, other):
        approval = approvals[company.client]
        assert approval.kind == "sign" and approval.status == Status.OPEN
        rows = signers(approval)
        assert [(row.user, row.is_firm) for row in rows] == [(personas.staff.user, True)] + [
            (director, False) for director in company.directors
        ]
        assert {row.page for row in rows} == {3}
        assert rows[0].asked_at and not any(row.asked_at for row in rows[1:])


# -- a follow-up waits for the signatures (BEY-2) -------------------------------------------------


def test_a_request_waiting_for_the_sign_request_opens_once_everyone_signed(
    staff, personas, bv, dossier, django_capture_on_commit_callbacks
):
    assert publish(staff, dossier, files=[a_pdf("Notulen AVA 2025.pdf")], doc_type="other").status_code == 302
    minutes = Request.objects.get()
    form = staff.get(
        reverse("approvals_staff:flow_defaults"), {"doc_type": "publication", "client": bv.client.public_id}
    ).context["request_form"]
    assert str(minutes.public_id) in dict(form.fields["waits_for"].choices)  # offered to wait for

    response = publish(
        staff,
        dossier,
        files=[a_pdf("Publicatiestukken 2025.pdf")],
        doc_type="publication",
        request_kind="approve",
        audience="directors",
        required="one",
        after="nothing",
        waits_for=str(minutes.public_id),
    )
    assert response.status_code == 302
    follower = Request.objects.exclude(pk=minutes.pk).get()
    assert (follower.status, follower.waits_for) == (Status.WAITING, minutes)
    assert not Todo.objects.filter(kind=Todo.Kind.APPROVE).exists()

    first, second = bv.directors
    sign(minutes, first, django_capture_on_commit_callbacks)
    follower.refresh_from_db()
    assert follower.status == Status.WAITING  # one signature is not enough
    sign(minutes, second, django_capture_on_commit_callbacks)
    minutes.refresh_from_db()
    follower.refresh_from_db()
    assert minutes.status == Status.SIGNED and follower.status == Status.OPEN
    approve = Todo.objects.get(kind=Todo.Kind.APPROVE, status=Todo.Status.OPEN)
    assert set(approve.assignees.all()) == set(bv.directors)


# -- the request's page -------------------------------------------------------------------------------


def test_the_request_page_shows_each_signer_in_turn(staff, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    first, second = bv.directors
    sign(approval, first, django_capture_on_commit_callbacks)
    response = detail(staff, approval)
    rows = response.context["sign_rows"]
    assert [(row.user, row.turn, row.state) for row in rows] == [(first, 1, "signed"), (second, 2, "asked")]
    assert rows[0].factor == "SMS code"
    html = response.content.decode()
    assert "1 of 2 signed" in html and 'id="download-signed"' in html and 'id="remind-signers"' in html
    assert 'id="record-outside"' not in html  # a signature is given in Balie only
    assert not response.context["may_move"] and 'id="place-1"' not in html

    download = staff.get(url("signed_download", approval))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "1 of 2 signed" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert [each.name for each in pdf.verify(data, trust_roots=[]).signatures] == [first.get_full_name()]


def test_the_signing_panel_is_polled_while_a_signature_is_sealed(staff, personas, bv):
    approval = ask(personas, bv)
    from balie.signing.tests.support import confirmation

    signatures.signature_add(
        approval=approval,
        user=bv.directors[0],
        image_png=make_signature_png(),
        method="drawn",
        confirmation=confirmation(),
    )  # the job runs only on commit: it stays queued
    Signature.objects.filter(request=approval).update(state=Signature.State.SEALING, progress=40)
    response = staff.get(url("progress", approval), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.context["sign_rows"][0].state == "sealing"
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html


def test_remind_reminds_whose_turn_it_is_once_a_day(still_clock, staff, personas, bv):
    approval = ask(personas, bv)
    first, second = bv.directors
    response = staff.post(url("remind", approval))
    assert response.status_code == 302 and texts(response) == ["1 person has been reminded."]
    rows = signers(approval)
    assert rows[0].reminded_at and not rows[1].reminded_at
    assert Notification.objects.filter(user=first, kind=EventKind.REMINDER).count() == 1
    assert not Notification.objects.filter(user=second, kind=EventKind.REMINDER).exists()
    assert "reminded on" in detail(staff, approval).content.decode()

    again = staff.post(url("remind", approval))
    assert texts(again) == ["A reminder for this task was already sent today."]
    assert Notification.objects.filter(user=first, kind=EventKind.REMINDER).count() == 1


def test_withdrawing_closes_the_signers_tasks(staff, personas, bv):
    approval = ask(personas, bv, in_order=False)
    assert all(open_sign_todos(director).exists() for director in bv.directors)
    response = staff.post(reverse("approvals_staff:withdraw", args=[approval.public_id]))
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN
    assert not Todo.objects.filter(kind=Todo.Kind.SIGN, status=Todo.Status.OPEN).exists()
    page = detail(staff, approval)
    assert [row.state for row in page.context["sign_rows"]] == ["not_signed", "not_signed"]
    assert not page.context["may_remind"]
    assert texts(staff.post(url("remind", approval))) == ["Only an open sign request can be reminded of."]


def test_a_failed_seal_is_sealed_again_from_the_request_page(
    staff, personas, bv, django_capture_on_commit_callbacks, monkeypatch
):
    (director,) = bv.directors[:1]
    approval = ask(personas, bv, signers=[director])

    def broken(*args, **kwargs):
        raise RuntimeError("certificate store unavailable")

    monkeypatch.setattr(services.pdf, "sign", broken)
    sign(approval, director, django_capture_on_commit_callbacks)
    page = detail(staff, approval)
    assert [row.state for row in page.context["sign_rows"]] == ["failed"]
    assert "unavailable" in page.content.decode() and 'id="seal-retry"' in page.content.decode()

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url("seal_retry", approval))
    assert texts(response) == ["The signature is being sealed again. This page shows the progress."]
    approval.refresh_from_db()
    assert Signature.objects.get(request=approval).state == Signature.State.SEALED
    assert approval.status == Status.SIGNED
    assert texts(staff.post(url("seal_retry", approval)))[-1] == "No signature of this request is waiting for a retry."


def test_a_signature_can_be_moved_until_someone_signs(staff, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    page = staff.get(url("place", approval, slot=2))
    assert page.status_code == 200 and page.context["form"].pages == 3

    response = staff.post(url("place", approval, slot=2), {"page": "2", "spot": "middle_right"})
    assert response.status_code == 302
    moved = Signer.objects.get(request=approval, slot=2)
    assert (moved.page, moved.box) == (2, spot_box("middle_right", A4))
    assert [row.spot for row in detail(staff, approval).context["sign_rows"]] == ["default", "middle_right"]

    # Over the first signer's default place (bottom left of the last page): refused, nothing changes.
    response = staff.post(url("place", approval, slot=2), {"page": "", "spot": "bottom_left"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Another signature is placed there already; choose another place."
    ]
    response = staff.post(url("place", approval, slot=2), {"page": "9", "spot": "default"})
    assert response.status_code == 400
    assert response.context["form"].errors["page"] == ["The document has 3 pages; choose a page from 1 to 3."]
    moved.refresh_from_db()
    assert moved.page == 2

    # After the first signature the fields of the PDF are fixed.
    sign(approval, bv.directors[0], django_capture_on_commit_callbacks)
    response = staff.post(url("place", approval, slot=2), {"page": "1", "spot": "bottom_right"})
    assert texts(response) == ["Someone has signed already: the places of the signatures can no longer change."]
    moved.refresh_from_db()
    assert moved.page == 2


def test_a_moved_signature_lands_where_it_was_put(personas, bv, django_capture_on_commit_callbacks):
    (director,) = bv.directors[:1]
    approval = ask(personas, bv, signers=[director])
    signer = Signer.objects.get(request=approval)
    box = spot_box("middle_left", A4)
    services.signer_place_update(approval=approval, signer=signer, page=1, box=box, actor=personas.staff.user)
    sign(approval, director, django_capture_on_commit_callbacks)
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(sealing.read_signed(approval.signed_file)))
    field = next(
        ref.get_object() for ref in reader.root["/AcroForm"]["/Fields"] if ref.get_object()["/T"] == "BalieSignature1"
    )
    assert [round(float(value), 1) for value in field["/Rect"]] == box
    assert field["/P"] == reader.root["/Pages"]["/Kids"][0]  # on page 1


def _no_reading(*args, **kwargs):
    raise AssertionError("the page read the PDF")


def test_the_pages_name_a_moved_signatures_spot_without_reading_the_pdf(client, staff, personas, bv, monkeypatch):
    approval = ask(personas, bv)
    assert staff.post(url("place", approval, slot=2), {"page": "2", "spot": "middle_right"}).status_code == 302
    assert Signer.objects.get(request=approval, slot=2).spot == "middle_right"

    monkeypatch.setattr(sealing, "read_version", _no_reading)
    monkeypatch.setattr(services.pdf, "check_signable", _no_reading)
    monkeypatch.setattr(services.pdf, "page_size", _no_reading)
    for page in (detail(staff, approval), staff.get(url("progress", approval))):  # the page and its poll
        assert page.status_code == 200
        assert [row.spot for row in page.context["sign_rows"]] == ["default", "middle_right"]
        html = page.content.decode()
        assert "middle right" in html and "a place of its own" not in html

    director = bv.directors[1]
    director.language = "en"
    director.save(update_fields=["language"])
    client.force_login(director)
    response = client.get(reverse("signing:detail", args=[bv.client.public_id, approval.public_id]))
    assert response.status_code == 200
    assert [row.spot_label for row in response.context["rows"]] == [
        "The default place (at the bottom, beside the signature before it)",
        "Middle right",
    ]


def test_only_the_name_of_the_spot_the_box_is_is_kept(personas, bv):
    approval = ask(personas, bv)
    signer = Signer.objects.get(request=approval, slot=2)
    place = {"approval": approval, "signer": signer, "page": 1, "actor": personas.staff.user}
    services.signer_place_update(**place, box=spot_box("middle_left", A4), spot="bottom_right")  # not this box
    signer.refresh_from_db()
    assert (signer.box, signer.spot) == (spot_box("middle_left", A4), "")
    services.signer_place_update(**place, box=spot_box("middle_left", A4), spot="middle_left")
    signer.refresh_from_db()
    assert signer.spot == "middle_left"
    services.signer_place_update(**place, box=None, spot="middle_left")  # the default place has no box
    signer.refresh_from_db()
    assert (signer.box, signer.spot) == (None, "")

    # A box of its own (or one placed before spots were kept): named so, still without reading the PDF.
    Signer.objects.filter(pk=signer.pk).update(box=[100, 100, 250, 160], spot="")
    Signer.objects.filter(request=approval, slot=1).update(box=spot_box("bottom_right", A4), spot="no_such_spot")
    rows = selectors.signer_rows(approval=approval)
    assert [(row.spot, row.spot_label) for row in rows] == [("", ""), ("", "")]


def test_an_unknown_signer_answers_404(staff, personas, bv):
    approval = ask(personas, bv)
    assert staff.get(url("place", approval, slot=9)).status_code == 404


# -- the firm's own signature ---------------------------------------------------------------------


def test_the_signing_pages_show_the_pdf_with_pdfjs_from_bytes_no_browser_shows_itself(staff, personas, bv):
    """Issue 15: no frame for the browser's PDF viewer; the bytes are an opaque attachment."""
    approval = ask(personas, bv, firm_signer=personas.staff.user)
    for page in (staff.get(url("sign", approval)), staff.get(url("place", approval, slot=1))):
        html = page.content.decode()
        assert f'data-src="{url("preview", approval)}"' in html
        assert "<iframe" not in html and "<embed" not in html and "<object" not in html
        assert "worker-src 'self'" in page["Content-Security-Policy"]
    response = staff.get(url("preview", approval))
    assert response.status_code == 200
    with approval.version.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_the_firm_signs_on_its_own_page_with_a_confirmation(staff, personas, bv, django_capture_on_commit_callbacks):
    accountant = personas.staff.user
    approval = ask(personas, bv, firm_signer=accountant)
    page = staff.get(url("sign", approval))
    assert page.status_code == 200 and 'id="signature-canvas"' in page.content.decode()
    assert f'data-src="{url("preview", approval)}"' in page.content.decode()  # PDF.js draws it

    pad = {"method": "drawn", "drawing": data_url(make_signature_png()), "typed_name": ""}
    step = staff.post(url("sign", approval), pad)
    assert step.status_code == 200 and step.context["stepup"].factors == ["password"]  # no second factor
    assert not Signature.objects.exists()
    challenge = step.context["stepup"].challenge.public_id

    wrong = staff.post(
        url("sign", approval),
        {**pad, "stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": "not-it"},
    )
    assert wrong.status_code == 400 and not Signature.objects.exists()

    step = staff.post(url("sign", approval), pad)
    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(
            url("sign", approval),
            {
                **pad,
                "stepup_challenge": step.context["stepup"].challenge.public_id,
                "stepup_factor": "password",
                "stepup_code": TEST_PASSWORD,
            },
        )
    assert done.status_code == 302
    assert texts(done) == ["You have signed for the firm. The signature is being sealed into the PDF."]
    signature = Signature.objects.get()
    assert signature.signer.is_firm and signature.state == Signature.State.SEALED
    decision = Decision.objects.get(request=approval)
    assert (decision.user, decision.outcome, decision.factor) == (accountant, "signed", "password")
    assert open_sign_todos(bv.directors[0]).count() == 1  # now the client

    again = staff.get(url("sign", approval))
    assert again.status_code == 302 and texts(again)[-1].startswith("You signed this document on")


def test_someone_who_does_not_sign_for_the_firm_cannot_use_its_page(client, personas, bv):
    from balie.firms.factories import StaffMemberFactory

    approval = ask(personas, bv, firm_signer=personas.staff.user)
    colleague = StaffMemberFactory(firm=personas.firm, user__language="en").user
    client.force_login(colleague)
    response = client.post(url("sign", approval), {"method": "typed", "typed_name": "Collega"})
    assert response.status_code == 302
    assert texts(response) == ["You have not been asked to sign this document."]
    assert not Signature.objects.exists()


def test_the_signing_pages_answer_404_for_a_request_that_is_not_signed(staff, personas):
    from balie.approvals.services import request_create
    from balie.approvals.tests.client_support import document

    approval = request_create(document=document(personas.company, actor=personas.staff.user), actor=personas.staff.user)
    for name in ("sign", "progress", "signed_download", "preview"):
        assert staff.get(url(name, approval)).status_code == 404, name
    assert staff.post(url("remind", approval)).status_code == 404


# -- the list ---------------------------------------------------------------------------------------


def test_the_list_counts_signatures_in_a_constant_number_of_queries(
    staff, personas, bv, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    def load():
        response = staff.get(reverse("approvals_staff:list"))
        assert response.status_code == 200
        return response

    first = ask(personas, bv)
    sign(first, bv.directors[0], django_capture_on_commit_callbacks)
    ask(personas, bv)
    with django_assert_max_num_queries(12) as few:
        response = load()
    assert "1 of 2 signed" in response.content.decode() and "0 of 2 signed" in response.content.decode()
    for _number in range(6):
        ask(personas, bv, in_order=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = load()
    assert len(response.context["page"].object_list) == 8
    assert response.content.decode().count("0 of 2 signed") == 7


# -- in a real browser ------------------------------------------------------------------------------


def settled(page):
    """htmx listens on swapped-in fields once they have settled (a few milliseconds after the swap)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_publish_form_switches_to_the_sign_fields_and_the_firm_signs_first(page, live_server, personas):
    from playwright.sync_api import expect

    from balie.twostep.tests.test_browser import sign_in

    bv = company_with_directors(personas)
    dossier = dossier_create(client=bv.client, description="Jaarwerk 2025")
    base = live_server.url
    sign_in(page, base, personas.staff.user.email)
    page.goto(f"{base}{reverse('dossiers_staff:dossier', args=[bv.client.public_id, dossier.public_id])}")
    expect(page.locator("#id_required")).to_be_visible()  # "other document": an approval
    page.select_option("#id_doc_type", "annual_accounts")
    expect(page.locator("#id_firm_first")).to_be_visible()  # its flow: signing (htmx)
    expect(page.locator("#id_required")).to_have_count(0)
    settled(page)
    page.select_option("#id_request_kind", "approve")
    expect(page.locator("#id_required")).to_be_visible()  # the kind's own fields
    settled(page)
    page.select_option("#id_request_kind", "sign")
    expect(page.locator("#id_audience")).to_have_value("directors")
    settled(page)
    page.check("#id_firm_first")
    page.check("#id_in_order_1")  # the directors at the same time
    page.set_input_files(
        "#id_files", files=[{"name": "jaarrekening.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)}]
    )
    page.click("#publish-submit")
    expect(page.locator(".message.success")).to_be_visible()

    approval = Request.objects.get()
    assert approval.kind == "sign" and approval.document.doc_type == "annual_accounts"
    assert [(row.user, row.position, row.is_firm) for row in signers(approval)] == [
        (personas.staff.user, 0, True),
        (bv.directors[0], 1, False),
        (bv.directors[1], 1, False),
    ]
    page.goto(f"{base}{reverse('approvals_staff:detail', args=[approval.public_id])}")
    expect(page.locator("#sign-for-firm")).to_be_visible()
    expect(page.locator("#signer-1")).to_have_attribute("data-state", "asked")


def test_a_signed_request_shows_its_signed_version_as_its_own_not_as_a_newer_one(
    staff, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    for director in bv.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    page = staff.get(reverse("approvals_staff:detail", args=[approval.public_id])).content.decode()
    assert "a newer version exists" not in page
    assert "Signing certificate (PDF)" in page
