"""Akkoord on several documents with one confirmation: the exact set and each document's version are
bound to the code; it is all or nothing; every decision keeps its own evidence."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals import services
from balie.approvals.decisions import request_decide, requests_approve_batch
from balie.approvals.models import Decision
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors, confirmation, document, new_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def bv(personas):
    return company_with_directors(personas)


@pytest.fixture
def as_director(client, bv):
    director = bv.directors[0]
    director.language = "en"  # messages are checked in their msgid form
    director.save(update_fields=["language"])
    client.force_login(director)
    return client


def ask(personas, bv, title, **settings):
    doc = document(bv.client, actor=personas.staff.user, title=title)
    values = {"audience": "directors", "after": "nothing", **settings}
    return services.request_create(document=doc, actor=personas.staff.user, **values)


def batch_url(client):
    return reverse("approvals:batch", args=[client.public_id])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def choose(http, client, approvals):
    response = http.post(batch_url(client), {"approval": [str(each.public_id) for each in approvals]})
    assert response.status_code == 200, response.content.decode()[:800]
    return response


def confirm_data(chosen, *, challenge, code=TEST_PASSWORD):
    return {
        "approval": [f"{approval.public_id}:{sha256}" for approval, sha256 in chosen],
        "stepup_challenge": challenge,
        "stepup_factor": "password",
        "stepup_code": code,
    }


def choose_and_confirm(http, client, approvals):
    first = choose(http, client, approvals)
    chosen = first.context["chosen"]
    return http.post(batch_url(client), confirm_data(chosen, challenge=first.context["stepup"].challenge.public_id))


@pytest.fixture
def three(personas, bv):
    return [ask(personas, bv, title) for title in ("Btw Q1", "Btw Q2", "Btw Q3")]


def test_the_page_offers_only_what_i_may_approve_now(as_director, personas, bv, three):
    decided = ask(personas, bv, "Al beslist")
    request_decide(approval=decided, user=bv.directors[0], outcome="approved", confirmation=confirmation())
    ask(personas, bv, "Alleen bekijken", kind="review")
    ask(personas, bv, "Voor de handelaar", audience="handlers")
    response = as_director.get(batch_url(bv.client))
    assert [each.pk for each in response.context["items"]] == [each.pk for each in three]
    html = response.content.decode()
    for approval in three:
        assert reverse("approvals:detail", args=[bv.client.public_id, approval.public_id]) in html


def test_the_open_tasks_link_to_the_batch_page_when_there_are_several(as_director, bv, three):
    html = as_director.get(reverse("approvals:history", args=[bv.client.public_id]) + "?status=open").content.decode()
    assert 'id="to-batch"' in html and batch_url(bv.client) in html


def test_choosing_shows_each_document_with_what_approving_means_and_one_confirmation(as_director, bv, three):
    response = choose(as_director, bv.client, three)
    html = response.content.decode()
    assert html.count('class="batch-document"') == 3 and html.count('id="stepup"') == 1
    for approval in three:
        assert f'value="{approval.public_id}:{approval.version.sha256}"' in html
    assert "Your approval is recorded and your firm is told." in html
    assert "autofocus" in html  # the code field is where the person acts next
    assert not Decision.objects.exists()


def test_one_confirmation_records_each_decision_on_its_own_version(as_director, bv, three):
    response = choose_and_confirm(as_director, bv.client, three)
    assert response.status_code == 302
    assert "3 documents have been approved." in texts(response)
    decisions = list(Decision.objects.order_by("request__pk"))
    assert [each.request_id for each in decisions] == [each.pk for each in three]
    assert [each.version_sha256 for each in decisions] == [each.version.sha256 for each in three]
    assert {each.outcome for each in decisions} == {"approved"}
    assert len({each.challenge_id for each in decisions}) == 1 and decisions[0].challenge_id  # the one code
    assert {each.factor for each in decisions} == {"password"}
    for approval in three:
        approval.refresh_from_db()
        assert approval.status == Status.APPROVED


def test_approved_documents_with_a_filing_wait_under_ready_to_send(as_director, personas, bv):
    approvals = [ask(personas, bv, title, after="firm_software") for title in ("Btw Q1", "Btw Q2")]
    response = choose_and_confirm(as_director, bv.client, approvals)
    assert response.url == reverse("approvals:ready", args=[bv.client.public_id])
    for approval in approvals:
        approval.refresh_from_db()
        assert approval.status == Status.READY_TO_SEND


def test_a_code_for_one_set_does_not_confirm_another(as_director, personas, bv, three):
    first = choose(as_director, bv.client, three[:2])
    other = choose(as_director, bv.client, three[1:])
    response = as_director.post(
        batch_url(bv.client),
        confirm_data(other.context["chosen"], challenge=first.context["stepup"].challenge.public_id),
    )
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Decision.objects.exists()


def test_a_used_code_cannot_be_replayed_for_another_set(as_director, personas, bv, three):
    first = choose(as_director, bv.client, three[:2])
    challenge = first.context["stepup"].challenge.public_id
    as_director.post(batch_url(bv.client), confirm_data(first.context["chosen"], challenge=challenge))
    assert Decision.objects.count() == 2
    replay = as_director.post(
        batch_url(bv.client), confirm_data([(three[2], three[2].version.sha256)], challenge=challenge)
    )
    assert replay.status_code == 400
    assert Decision.objects.count() == 2


def test_a_double_submit_decides_once(as_director, bv, three):
    first = choose(as_director, bv.client, three)
    data = confirm_data(first.context["chosen"], challenge=first.context["stepup"].challenge.public_id)
    assert as_director.post(batch_url(bv.client), data).status_code == 302
    again = as_director.post(batch_url(bv.client), data)
    assert again.status_code == 302
    assert "Your decisions have already been recorded." in texts(again)
    assert Decision.objects.count() == 3


def test_another_persons_request_in_the_batch_is_404(as_director, personas, bv, three):
    theirs = ask(personas, bv, "Voor de handelaar", audience="handlers")
    response = as_director.post(batch_url(bv.client), {"approval": [str(three[0].public_id), str(theirs.public_id)]})
    assert response.status_code == 404
    elsewhere = company_with_directors(personas, name="Ander B.V.")
    foreign = ask(personas, elsewhere, "Elders")
    chosen = [(three[0], three[0].version.sha256), (foreign, foreign.version.sha256)]
    response = as_director.post(batch_url(bv.client), confirm_data(chosen, challenge="x"))
    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_a_document_changed_meanwhile_refuses_the_whole_batch(as_director, personas, bv, three):
    first = choose(as_director, bv.client, three)
    new_version(three[2].document, actor=personas.staff.user)
    response = as_director.post(
        batch_url(bv.client),
        confirm_data(first.context["chosen"], challenge=first.context["stepup"].challenge.public_id),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Btw Q3:" in html and "Nothing has been approved. Choose again." in html
    assert not Decision.objects.exists()


def test_a_withdrawn_request_refuses_the_whole_batch(as_director, personas, bv, three):
    first = choose(as_director, bv.client, three)
    services.request_withdraw(approval=three[1], actor=personas.staff.user)
    response = as_director.post(
        batch_url(bv.client),
        confirm_data(first.context["chosen"], challenge=first.context["stepup"].challenge.public_id),
    )
    assert response.status_code == 400
    assert "Btw Q2: The firm has withdrawn this request." in response.content.decode()
    assert not Decision.objects.exists()


def test_a_tampered_version_hash_is_not_what_the_code_confirms(as_director, bv, three):
    first = choose(as_director, bv.client, three)
    chosen = [(approval, sha256) for approval, sha256 in first.context["chosen"]]
    chosen[0] = (chosen[0][0], "0" * 64)
    response = as_director.post(
        batch_url(bv.client), confirm_data(chosen, challenge=first.context["stepup"].challenge.public_id)
    )
    assert response.status_code == 400
    assert not Decision.objects.exists()


def test_nothing_chosen_says_so(as_director, bv, three):
    response = as_director.post(batch_url(bv.client), {})
    assert response.status_code == 400
    assert "Choose at least one document to approve." in response.content.decode()


# -- the service ----------------------------------------------------------------------------------------


def test_the_service_is_all_or_nothing(personas, bv, three):
    """The first two would be decided before the third refuses: none of them is."""
    items = [(approval, approval.version.sha256) for approval in three]
    items[2] = (three[2], "f" * 64)
    with pytest.raises(ValidationError) as refused:
        requests_approve_batch(items=items, user=bv.directors[0], confirmation=confirmation())
    assert refused.value.messages[0].startswith("Btw Q3: ")
    assert not Decision.objects.exists()
    for approval in three:
        approval.refresh_from_db()
        assert approval.status == Status.OPEN


def test_the_service_refuses_someone_not_asked(personas, bv, three):
    items = [(three[0], three[0].version.sha256)]
    with pytest.raises(ValidationError):
        requests_approve_batch(items=items, user=bv.employee, confirmation=confirmation())
    assert not Decision.objects.exists()


def test_the_choice_uses_a_constant_number_of_queries(as_director, personas, bv, django_assert_max_num_queries):
    for number in range(3):
        ask(personas, bv, f"Document {number}")
    with django_assert_max_num_queries(25) as few:
        as_director.get(batch_url(bv.client))
    for number in range(3, 20):
        ask(personas, bv, f"Document {number}", after="firm_software", required="all")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_director.get(batch_url(bv.client))
    assert len(response.context["items"]) == 20


def test_ids_in_another_spelling_or_malformed(as_director, bv, three):
    spelled = three[0].public_id.hex.upper()  # a UUID without dashes, in capitals: the same request
    response = as_director.post(batch_url(bv.client), {"approval": [spelled]})
    assert response.status_code == 200 and [each for each, _sha in response.context["chosen"]] == [three[0]]
    assert as_director.post(batch_url(bv.client), {"approval": ["nonsense"]}).status_code == 404
    bad_hash = f"{three[0].public_id}:{'x' * 64}"
    assert as_director.post(batch_url(bv.client), {"approval": [bad_hash]}).status_code == 404
