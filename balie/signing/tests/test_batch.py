"""Signing several documents with one signature and one confirmation: the set, each version and the
image are bound to the code; the turn rules hold; all or nothing; each is sealed on its own."""

from __future__ import annotations

import base64

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals.models import Decision
from balie.approvals.services import request_withdraw
from balie.signing import services
from balie.signing.models import Signature
from balie.signing.signatures import signatures_add_batch
from balie.signing.tests.pdfs import make_signature_png
from balie.signing.tests.support import annual_accounts, company_with_directors, confirmation, new_pdf_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def bv(personas):
    company = company_with_directors(personas)
    for user in company.directors:
        user.language = "en"  # texts are checked in their msgid form
        user.save(update_fields=["language"])
    return company


def ask(personas, bv, title, *, signers=None):
    document = annual_accounts(bv.client, actor=personas.staff.user, title=title)
    return services.sign_request_create(
        document=document, actor=personas.staff.user, signers=signers or bv.directors, in_order=True
    )


@pytest.fixture
def two(personas, bv):
    return [ask(personas, bv, title) for title in ("Jaarrekening 2025", "Notulen AVA 2025")]


@pytest.fixture
def as_first(client, bv):
    client.force_login(bv.directors[0])
    return client


def batch_url(client):
    return reverse("signing:batch", args=[client.public_id])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def pad() -> dict:
    return {"method": "drawn", "drawing": "data:image/png;base64," + base64.b64encode(make_signature_png()).decode()}


def pairs(approvals) -> list[str]:
    return [f"{approval.public_id}:{approval.version.sha256}" for approval in approvals]


def to_confirm(http, client, approvals):
    """Chosen, then signed on the pad: the page with the signature and the confirmation box."""
    chosen = http.post(batch_url(client), {"approval": [str(each.public_id) for each in approvals]})
    assert chosen.status_code == 200 and 'id="signature-canvas"' in chosen.content.decode()
    shown = http.post(batch_url(client), {"approval": pairs(approvals), **pad()})
    assert shown.status_code == 200, shown.content.decode()[:800]
    return shown


def confirm_data(approvals, challenge, **extra):
    return {
        "approval": pairs(approvals),
        **pad(),
        "stepup_challenge": challenge,
        "stepup_factor": "password",
        "stepup_code": TEST_PASSWORD,
        **extra,
    }


def test_only_requests_where_it_is_my_turn_are_offered(client, personas, bv, two):
    mine_later = ask(personas, bv, "Later aan de beurt", signers=[bv.directors[1], bv.directors[0]])
    client.force_login(bv.directors[0])
    response = client.get(batch_url(bv.client))
    offered = [each.pk for each in response.context["items"]]
    assert offered == [each.pk for each in two] and mine_later.pk not in offered
    client.force_login(bv.directors[1])  # the second signer of the two: not their turn yet
    assert [each.pk for each in client.get(batch_url(bv.client)).context["items"]] == [mine_later.pk]


def test_the_open_tasks_link_to_signing_several(as_first, bv, two):
    html = as_first.get(reverse("approvals:history", args=[bv.client.public_id])).content.decode()
    assert 'id="to-sign-batch"' in html and batch_url(bv.client) in html


def test_one_signature_and_one_code_sign_each_on_its_own_version(as_first, bv, two, django_capture_on_commit_callbacks):
    shown = to_confirm(as_first, bv.client, two)
    html = shown.content.decode()
    assert html.count('class="batch-document"') == 2 and 'id="signature-preview"' in html
    assert html.count('id="stepup"') == 1 and "autofocus" in html
    challenge = shown.context["stepup"].challenge.public_id
    with django_capture_on_commit_callbacks(execute=True):
        response = as_first.post(batch_url(bv.client), confirm_data(two, challenge))
    assert response.status_code == 302
    assert "2 documents have been signed. Your signature is being sealed into each of them." in texts(response)
    signatures = list(Signature.objects.select_related("decision").order_by("request__pk"))
    assert [each.request_id for each in signatures] == [each.pk for each in two]
    assert [each.decision.version_sha256 for each in signatures] == [each.version.sha256 for each in two]
    assert len({each.image_sha256 for each in signatures}) == 1  # the one drawing
    assert len({each.decision.challenge_id for each in signatures}) == 1  # the one code
    assert {each.state for each in signatures} == {Signature.State.SEALED}  # each sealed by its own job


def test_a_code_for_one_set_does_not_confirm_another(as_first, personas, bv, two):
    third = ask(personas, bv, "Derde")
    shown = to_confirm(as_first, bv.client, two)
    challenge = shown.context["stepup"].challenge.public_id
    response = as_first.post(batch_url(bv.client), confirm_data([two[0], third], challenge))
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_code_for_one_drawing_does_not_confirm_another(as_first, bv, two):
    shown = to_confirm(as_first, bv.client, two)
    challenge = shown.context["stepup"].challenge.public_id
    other = confirm_data(two, challenge, method="typed", drawing="", typed_name="Iemand Anders")
    response = as_first.post(batch_url(bv.client), other)
    assert response.status_code == 400 and not Signature.objects.exists()


def test_a_double_submit_signs_once(as_first, bv, two, django_capture_on_commit_callbacks):
    shown = to_confirm(as_first, bv.client, two)
    data = confirm_data(two, shown.context["stepup"].challenge.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert as_first.post(batch_url(bv.client), data).status_code == 302
    again = as_first.post(batch_url(bv.client), data)
    assert again.status_code == 302 and "You have already signed these documents." in texts(again)
    assert Signature.objects.count() == 2


def test_another_persons_request_in_the_batch_is_404(as_first, personas, bv, two):
    theirs = ask(personas, bv, "Alleen B", signers=[bv.directors[1]])
    response = as_first.post(batch_url(bv.client), {"approval": [str(two[0].public_id), str(theirs.public_id)]})
    assert response.status_code == 404
    response = as_first.post(batch_url(bv.client), confirm_data([two[0], theirs], "x"))
    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_a_changed_version_refuses_the_whole_batch(as_first, personas, bv, two):
    shown = to_confirm(as_first, bv.client, two)
    new_pdf_version(two[1].document, actor=personas.staff.user)
    response = as_first.post(batch_url(bv.client), confirm_data(two, shown.context["stepup"].challenge.public_id))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Notulen AVA 2025:" in html and "Nothing has been signed. Choose again." in html
    assert not Signature.objects.exists()


def test_a_withdrawn_request_refuses_the_whole_batch(as_first, personas, bv, two):
    shown = to_confirm(as_first, bv.client, two)
    request_withdraw(approval=two[0], actor=personas.staff.user)
    response = as_first.post(batch_url(bv.client), confirm_data(two, shown.context["stepup"].challenge.public_id))
    assert response.status_code == 400 and "Jaarrekening 2025:" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_request_where_it_is_not_my_turn_is_refused(client, personas, bv, two):
    client.force_login(bv.directors[1])
    response = client.post(batch_url(bv.client), {"approval": [str(two[0].public_id)]})
    assert response.status_code == 400
    assert "It is not your turn yet" in response.content.decode()


def test_the_service_is_all_or_nothing(bv, two):
    items = [(two[0], two[0].version.sha256), (two[1], "e" * 64)]
    with pytest.raises(ValidationError) as refused:
        signatures_add_batch(
            items=items, user=bv.directors[0], image_png=make_signature_png(), method="drawn",
            confirmation=confirmation(),
        )  # fmt: skip
    assert refused.value.messages[0].startswith("Notulen AVA 2025: ")
    assert not Signature.objects.exists() and not Decision.objects.exists()


def test_the_choice_uses_a_constant_number_of_queries(as_first, personas, bv, django_assert_max_num_queries):
    for number in range(2):
        ask(personas, bv, f"Document {number}")
    with django_assert_max_num_queries(25) as few:
        as_first.get(batch_url(bv.client))
    for number in range(2, 10):
        ask(personas, bv, f"Document {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_first.get(batch_url(bv.client))
    assert len(response.context["items"]) == 10
