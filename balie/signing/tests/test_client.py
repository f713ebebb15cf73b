"""The client's signing pages (APR-6): the request's page, the pad and its confirmation, the
progress of sealing, declining and the signed PDF, with the bad input of issue 8."""

from __future__ import annotations

import base64
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals.models import Decision
from balie.approvals.states import Status
from balie.dossiers.models import DocumentAccess, DocumentRead
from balie.dossiers.services import document_withdraw
from balie.signing import sealing, services
from balie.signing.models import Signature
from balie.signing.tests.pdfs import make_signature_png
from balie.signing.tests.support import annual_accounts, company_with_directors, sign
from balie.signing.views.client import SIGN, sign_key
from balie.todos.models import Todo
from balie.twostep.stepup import stepup_begin

pytestmark = pytest.mark.django_db


@pytest.fixture
def bv(personas):
    company = company_with_directors(personas)
    for user in (*company.directors, company.employee):
        english(user)
    return company


def english(user):
    user.language = "en"  # texts are checked in their msgid form
    user.save(update_fields=["language"])
    return user


def ask(personas, bv, *, title="Jaarrekening 2025", in_order=True):
    document = annual_accounts(bv.client, actor=personas.staff.user, title=title)
    return services.sign_request_create(
        document=document, actor=personas.staff.user, signers=bv.directors, in_order=in_order
    )


def url(name, approval):
    return reverse(f"signing:{name}", args=[approval.client.public_id, approval.public_id])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def blank_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def other_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((40, 20, 360, 130), outline=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def pad(**data) -> dict:
    return {"method": "drawn", "drawing": data_url(make_signature_png()), "typed_name": "", **data}


def confirm(http, approval, capture, *, password=TEST_PASSWORD, challenge=None, **data):
    """Both steps of signing: the pad (checked, shown with the confirmation box), then Bevestigen
    with the password (the directors have no second factor), running the sealing job it starts."""
    values = pad(**data)
    first = http.post(url("sign", approval), values)
    if challenge is None:
        assert first.status_code == 200, first.content.decode()[:500]
        challenge = first.context["stepup"].challenge.public_id
    confirmation = {"stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": password}
    with capture(execute=True):
        return http.post(url("sign", approval), {**values, **confirmation})


@pytest.fixture
def as_first(client, bv):
    client.force_login(bv.directors[0])
    return client


# -- the request's page --------------------------------------------------------------------------


def test_the_page_shows_the_document_the_signers_in_turn_and_what_the_signature_is(as_first, personas, bv):
    approval = ask(personas, bv)
    response = as_first.get(url("detail", approval))
    html = response.content.decode()
    assert response.status_code == 200
    inline = reverse("dossiers:inline", args=[bv.client.public_id, approval.document.public_id])
    assert f'data-src="{inline}"' in html and "<iframe" not in html  # drawn by PDF.js, not the browser's viewer
    assert approval.version.sha256[:12] in html
    first, second = response.context["rows"]
    assert (first.user, first.state, first.is_turn) == (bv.directors[0], "asked", True)
    assert (second.user, second.state) == (bv.directors[1], "waiting")
    assert "Turn to sign" in html and "Waiting for their turn" in html
    assert sealing.statement() in html and "not a qualified electronic signature" in html
    assert url("sign", approval) in html and 'id="decline-form"' in html
    assert 'id="download-signed"' not in html  # nothing signed yet


def test_the_second_signer_sees_whose_turn_it_is(client, personas, bv):
    approval = ask(personas, bv)
    client.force_login(bv.directors[1])
    html = client.get(url("detail", approval)).content.decode()
    assert 'id="cannot-sign"' in html and "It is not your turn yet: DirecteurA Jansen signs first." in html
    assert url("sign", approval) not in html and 'id="decline-form"' not in html


def test_the_approvals_page_and_the_task_lead_to_the_signing_page(as_first, personas, bv):
    approval = ask(personas, bv)
    detail = reverse("approvals:detail", args=[bv.client.public_id, approval.public_id])
    response = as_first.get(detail)
    assert response.status_code == 302 and response.url == url("detail", approval)
    todo = Todo.objects.get(kind=Todo.Kind.SIGN, status=Todo.Status.OPEN)
    opened = as_first.get(reverse("todos:open", args=[bv.client.public_id, todo.public_id]), follow=True)
    assert opened.redirect_chain[-1][0] == url("detail", approval)


def test_a_request_of_another_environment_is_404_under_my_own(client, personas, bv):
    approval = ask(personas, bv)
    client.force_login(personas.client_user)  # a member of firm A's company, not of this BV
    for name in ("detail", "sign", "progress", "download"):
        wrong = reverse(f"signing:{name}", args=[personas.company.public_id, approval.public_id])
        assert client.get(wrong).status_code == 404
    wrong = reverse("signing:decline", args=[personas.company.public_id, approval.public_id])
    assert client.post(wrong, {"reason": "Nee"}).status_code == 404
    assert not Decision.objects.exists()


# -- signing --------------------------------------------------------------------------------------


def test_the_pad_page_has_both_ways_and_the_statement(as_first, personas, bv):
    approval = ask(personas, bv)
    html = as_first.get(url("sign", approval)).content.decode()
    assert 'id="signature-canvas"' in html and 'name="drawing"' in html and 'id="pad-clear"' in html
    assert 'value="typed"' in html and 'value="DirecteurA Jansen"' in html  # the name, ready to type
    assert "signature-pad.js" in html
    assert sealing.statement() in html


def test_drawing_then_confirming_signs_and_seals_with_the_evidence(
    as_first, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    first = as_first.post(url("sign", approval), pad())
    html = first.content.decode()
    assert first.status_code == 200 and 'id="stepup"' in html and 'id="signature-preview"' in html
    assert "signing a document" in html
    assert not Decision.objects.exists() and not Signature.objects.exists()  # not before Bevestigen

    response = confirm(as_first, approval, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == url("progress", approval)
    signature = Signature.objects.get()
    assert (signature.signer.user, signature.method, signature.state) == (bv.directors[0], "drawn", "sealed")
    decision = signature.decision
    assert (decision.outcome, decision.factor, decision.ip_address) == ("signed", "password", "127.0.0.1")
    assert decision.version_sha256 == approval.version.sha256 and decision.challenge_id
    # The second director is asked now.
    assert Todo.objects.filter(kind=Todo.Kind.SIGN, status=Todo.Status.OPEN, assignees=bv.directors[1]).exists()
    done = as_first.get(response.url).content.decode()
    assert "You have signed the document." in done
    assert "DirecteurB Jansen is now asked to sign." in done


def test_a_typed_signature_records_the_name(as_first, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    response = confirm(
        as_first,
        approval,
        django_capture_on_commit_callbacks,
        method="typed",
        typed_name="  Anna   Jansen ",
        drawing="",
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.method, signature.typed_name) == ("typed", "Anna Jansen")
    assert bytes(signature.image).startswith(b"\x89PNG")


def test_an_empty_drawing_stays_on_the_pad_with_a_clear_message(as_first, personas, bv):
    approval = ask(personas, bv)
    for drawing in ("", data_url(blank_png())):
        response = as_first.post(url("sign", approval), pad(drawing=drawing))
        html = response.content.decode()
        assert response.status_code == 400
        assert "Draw your signature in the box first, or type your name." in html and 'id="drawing-error"' in html
        assert 'id="stepup"' not in html and 'id="signature-canvas"' in html
    assert not Signature.objects.exists() and not Decision.objects.exists()


def test_a_drawing_that_is_no_png_is_refused(as_first, personas, bv):
    approval = ask(personas, bv)
    response = as_first.post(url("sign", approval), pad(drawing="data:image/png;base64,bm90IGEgcG5n"))
    assert response.status_code == 400
    assert "The drawing could not be read. Draw your signature again." in response.content.decode()


def test_a_typed_name_too_short_is_refused(as_first, personas, bv):
    approval = ask(personas, bv)
    response = as_first.post(url("sign", approval), pad(method="typed", typed_name=" J "))
    assert response.status_code == 400
    assert "Type your full name." in response.content.decode()
    assert 'id="typed-name-error"' in response.content.decode()
    assert not Signature.objects.exists()


def test_a_wrong_password_records_nothing(as_first, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    response = confirm(as_first, approval, django_capture_on_commit_callbacks, password="fout")
    assert response.status_code == 400 and 'id="stepup-error"' in response.content.decode()
    assert 'id="signature-preview"' in response.content.decode()  # still the confirmation step
    assert not Signature.objects.exists() and not Decision.objects.exists()


def test_signing_out_of_order_is_refused(client, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    second = bv.directors[1]
    client.force_login(second)
    response = client.get(url("sign", approval))
    assert response.status_code == 302 and response.url == url("detail", approval)
    assert "It is not your turn yet: DirecteurA Jansen signs first." in texts(response)
    # Even with a confirmation made for exactly this signature, nothing is recorded.
    from balie.signing import images

    image = images.drawn_png(pad()["drawing"])
    challenge = stepup_begin(user=second, action=SIGN, object_key=sign_key(approval, image), firm=personas.firm)
    response = confirm(client, approval, django_capture_on_commit_callbacks, challenge=challenge.public_id)
    assert response.status_code == 302 and response.url == url("detail", approval)
    assert not Signature.objects.exists() and not Decision.objects.exists()
    challenge.refresh_from_db()
    assert challenge.used_at is None  # refused before the code was spent


def test_signing_twice_is_refused(as_first, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    confirm(as_first, approval, django_capture_on_commit_callbacks)
    again = as_first.post(url("sign", approval), pad())
    assert again.status_code == 302 and again.url == url("progress", approval)
    assert any(text.startswith("You signed this document on") for text in texts(again))
    assert as_first.get(url("sign", approval)).status_code == 302
    assert Signature.objects.count() == 1 and Decision.objects.count() == 1


def test_a_confirmation_for_another_request_is_refused(as_first, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv, title="Jaarrekening 2025")
    other = ask(personas, bv, title="Bevestiging bij de jaarrekening")
    started = as_first.post(url("sign", other), pad())
    challenge = started.context["stepup"].challenge.public_id
    response = confirm(as_first, approval, django_capture_on_commit_callbacks, challenge=challenge)
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Signature.objects.exists() and not Decision.objects.exists()


def test_a_confirmation_for_another_drawing_is_refused(as_first, personas, bv, django_capture_on_commit_callbacks):
    """The code confirms the signature the person saw: a different drawing sent with it is refused."""
    approval = ask(personas, bv)
    started = as_first.post(url("sign", approval), pad())
    challenge = started.context["stepup"].challenge.public_id
    response = confirm(
        as_first, approval, django_capture_on_commit_callbacks, challenge=challenge, drawing=data_url(other_png())
    )
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_member_who_is_not_a_signer_may_look_but_not_sign(client, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    client.force_login(bv.employee)
    html = client.get(url("detail", approval)).content.decode()
    assert 'id="not-signer"' in html and "You have not been asked to sign this document." in html
    assert url("sign", approval) not in html
    assert client.get(url("sign", approval)).status_code == 403
    assert client.post(url("sign", approval), pad()).status_code == 403
    challenge = stepup_begin(user=bv.employee, action=SIGN, object_key="x", firm=personas.firm).public_id
    response = client.post(
        url("sign", approval),
        {**pad(), "stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": TEST_PASSWORD},
    )
    assert response.status_code == 403
    assert client.post(url("decline", approval), {"reason": "Geen zin"}).status_code == 403
    assert client.get(url("progress", approval)).status_code == 302  # nothing of theirs to follow
    approval.refresh_from_db()
    assert approval.status == Status.OPEN
    assert not Signature.objects.exists() and not Decision.objects.exists()


# -- declining ------------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_stops_the_request(as_first, client, personas, bv):
    approval = ask(personas, bv)
    response = as_first.post(url("decline", approval), {"reason": "   "})
    assert response.status_code == 400
    assert "Give the reason why you do not sign." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == Status.OPEN and not Decision.objects.exists()

    response = as_first.post(url("decline", approval), {"reason": "De balans klopt niet."})
    assert response.status_code == 302 and response.url == url("detail", approval)
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED
    decision = Decision.objects.get()
    assert (decision.user, decision.outcome, decision.comment) == (bv.directors[0], "rejected", "De balans klopt niet.")
    assert not Todo.objects.filter(kind=Todo.Kind.SIGN, status=Todo.Status.OPEN).exists()
    client.force_login(bv.directors[1])
    html = client.get(url("detail", approval)).content.decode()
    assert "De balans klopt niet." in html and "did not sign on" in html
    assert url("sign", approval) not in html


def test_declining_out_of_turn_is_refused(client, personas, bv):
    approval = ask(personas, bv)
    client.force_login(bv.directors[1])
    response = client.post(url("decline", approval), {"reason": "Nee"})
    assert response.status_code == 302 and "not your turn" in texts(response)[0]
    approval.refresh_from_db()
    assert approval.status == Status.OPEN and not Decision.objects.exists()


# -- progress -------------------------------------------------------------------------------------


def test_the_progress_partial_polls_while_sealing_then_says_who_is_next(as_first, personas, bv):
    approval = ask(personas, bv)
    sign(approval, bv.directors[0], lambda execute: _no_commit())  # recorded, the sealing job not run yet
    signature = Signature.objects.get()
    assert signature.state == Signature.State.QUEUED
    partial = as_first.get(url("progress", approval), headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert 'hx-trigger="every 1s"' in html and 'id="progress-bar"' in html and 'value="0"' in html
    assert "waiting to be sealed" in html

    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.SEALING, progress=60)
    html = as_first.get(url("progress", approval), headers={"HX-Request": "true"}).content.decode()
    assert 'value="60"' in html and "being sealed" in html

    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.QUEUED, progress=0)
    sealing.seal_pending(request_id=approval.pk)
    html = as_first.get(url("progress", approval), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html  # done: the polling stops
    assert "You have signed the document." in html and "DirecteurB Jansen is now asked to sign." in html
    assert url("download", approval) in html


def _no_commit():
    from contextlib import nullcontext

    return nullcontext()


def test_when_the_last_signer_is_done_the_signed_pdf_is_in_the_dossier(
    client, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    first, second = bv.directors
    sign(approval, first, django_capture_on_commit_callbacks)
    client.force_login(second)
    response = confirm(client, approval, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == Status.SIGNED
    html = client.get(response.url).content.decode()
    assert "You have signed the document." in html and "Everyone has signed." in html
    assert reverse("dossiers:document", args=[bv.client.public_id, approval.document.public_id]) in html
    detail = client.get(url("detail", approval))
    assert [row.state for row in detail.context["rows"]] == ["signed", "signed"]
    assert "Download the signed PDF" in detail.content.decode()


def test_failed_sealing_says_the_firm_has_been_told(as_first, personas, bv):
    approval = ask(personas, bv)
    sign(approval, bv.directors[0], lambda execute: _no_commit())
    Signature.objects.update(state=Signature.State.FAILED, error="boom")
    html = as_first.get(url("progress", approval)).content.decode()
    assert "The firm has been told" in html and "hx-trigger" not in html and "boom" not in html
    rows = as_first.get(url("detail", approval)).context["rows"]
    assert rows[0].state == "failed"


def test_progress_without_a_signature_goes_to_the_request(as_first, personas, bv):
    approval = ask(personas, bv)
    response = as_first.get(url("progress", approval))
    assert response.status_code == 302 and response.url == url("detail", approval)


# -- the signed PDF -------------------------------------------------------------------------------


def test_the_signed_pdf_so_far_is_for_members_only(client, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    client.force_login(bv.directors[0])
    assert client.get(url("download", approval)).status_code == 404  # nothing signed yet
    sign(approval, bv.directors[0], django_capture_on_commit_callbacks)
    expected = sealing.read_signed(approval.signed_file)
    for member in (bv.directors[0], bv.employee):  # a member who does not sign may read it too
        client.force_login(member)
        response = client.get(url("download", approval))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == expected
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment") and "Jaarrekening 2025 (1 of 2 signed).pdf" in disposition
        assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))
    for outsider in (personas.outsider, personas.client_user):  # another firm; firm A but not this BV
        client.force_login(outsider)
        assert client.get(url("download", approval)).status_code == 404


def test_the_final_signed_pdf_is_named_signed(client, personas, bv, django_capture_on_commit_callbacks):
    approval = ask(personas, bv)
    for director in bv.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    client.force_login(bv.directors[1])
    response = client.get(url("download", approval))
    assert "Jaarrekening 2025 (signed).pdf" in response["Content-Disposition"]


def test_a_download_of_the_signed_pdf_is_logged_on_the_document(
    client, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    sign(approval, bv.directors[0], django_capture_on_commit_callbacks)
    client.force_login(bv.employee)
    response = client.get(url("download", approval), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    access = DocumentAccess.objects.get(document=approval.document, user=bv.employee)
    assert (access.action, access.ip_address) == (DocumentAccess.Action.DOWNLOAD, "192.0.2.7")
    assert access.version_id == approval.document.current_version_id
    assert DocumentRead.objects.get(document=approval.document, user=bv.employee).last_downloaded_at is not None


def test_a_withdrawn_document_is_gone_from_its_sign_request_too(
    client, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    for director in bv.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    document_withdraw(document=approval.document, actor=personas.staff.user)
    client.force_login(bv.directors[1])
    dossier = client.get(reverse("dossiers:download", args=[bv.client.public_id, approval.document.public_id]))
    response = client.get(url("download", approval))
    assert response.status_code == dossier.status_code == 410
    assert "It can no longer be opened or downloaded." in response.content.decode()
    assert not hasattr(response, "streaming_content")
    assert not DocumentAccess.objects.filter(document=approval.document).exists()  # nothing was handed out

    for page in (client.get(url("detail", approval)), client.get(url("progress", approval))):
        html = page.content.decode()
        assert page.status_code == 200 and page.context["signed_file"] is not None
        assert url("download", approval) not in html and 'id="download-signed"' not in html
        assert "The firm has withdrawn this document: the signed PDF can no longer be downloaded." in html
    progress = client.get(url("progress", approval)).content.decode()
    assert reverse("dossiers:document", args=[bv.client.public_id, approval.document.public_id]) not in progress

    staff = personas.staff.user  # the firm keeps its copy
    client.force_login(staff)
    response = client.get(reverse("signing_staff:signed_download", args=[approval.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


# -- lists ----------------------------------------------------------------------------------------


def test_the_history_links_a_sign_request_to_its_page_with_its_status(
    as_first, personas, bv, django_capture_on_commit_callbacks
):
    approval = ask(personas, bv)
    for director in bv.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    html = as_first.get(reverse("approvals:history", args=[bv.client.public_id])).content.decode()
    assert url("detail", approval) in html
    assert "status-signed" in html and ">Signed<" in html


def test_once_everyone_signed_the_signing_certificate_can_be_downloaded(
    as_first, personas, bv, django_capture_on_commit_callbacks
):
    from balie.signing import seals
    from balie.signing.tests.support import sign

    approval = ask(personas, bv)
    assert 'id="certificate"' not in as_first.get(url("detail", approval)).content.decode()
    for director in bv.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    page = as_first.get(url("detail", approval)).content.decode()
    assert 'id="certificate"' in page
    response = as_first.get(
        reverse("approvals_staff:client_certificate", args=[bv.client.public_id, approval.public_id])
    )
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert seals.verify(data).trusted
