"""The client's pages (APR-2 .. APR-4): a request, deciding with a confirmation, sending now or later,
Klaar om te verzenden and Overzicht documenten."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.approvals import sending, services
from balie.approvals.decisions import request_decide
from balie.approvals.models import Decision, Request, Submission
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors, confirmation, document
from balie.clients.factories import MembershipFactory
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def bv(personas):
    return company_with_directors(personas)


def english(user):
    user.language = "en"  # messages are checked in their msgid form
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def as_director(client, bv):
    client.force_login(english(bv.directors[0]))
    return client


def ask(personas, bv, title="Aangifte omzetbelasting Q3", **settings):
    doc = document(bv.client, actor=personas.staff.user, title=title, **settings.pop("doc", {}))
    values = {"audience": "directors", "after": "firm_software", **settings}
    return services.request_create(document=doc, actor=personas.staff.user, **values)


def url(name, approval):
    return reverse(f"approvals:{name}", args=[approval.client.public_id, approval.public_id])


def page_url(name, client):
    return reverse(f"approvals:{name}", args=[client.public_id])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def confirm(http, approval, *, outcome="approved", comment="", send="", password=TEST_PASSWORD, headers=None):
    """Both steps of a decision: Akkoord / Niet akkoord, then Bevestigen with the password."""
    first = http.post(url("decide", approval), {"outcome": outcome, "comment": comment})
    assert first.status_code == 200, first.content.decode()[:500]
    challenge = first.context["stepup"].challenge.public_id
    data = {
        "outcome": outcome,
        "comment": comment,
        "send": send,
        "stepup_challenge": challenge,
        "stepup_factor": "password",
        "stepup_code": password,
    }
    return http.post(url("decide", approval), data, headers=headers or {})


# -- the request page ---------------------------------------------------------------------------


def test_the_page_shows_document_details_who_was_asked_and_the_actions(as_director, personas, bv):
    approval = ask(personas, bv)
    response = as_director.get(url("detail", approval))
    html = response.content.decode()
    assert response.status_code == 200
    inline = reverse("dossiers:inline", args=[bv.client.public_id, approval.document.public_id])
    assert f'data-src="{inline}"' in html and "<iframe" not in html  # drawn by PDF.js, not the browser's viewer
    assert "Aangifte omzetbelasting Q3" in html and "Graag uw akkoord." in html  # the firm's message
    assert "2025 · Q3" in html
    assert 'id="asked"' in html and "DirecteurA Jansen" in html and "DirecteurB Jansen" in html
    assert 'id="approve"' in html and 'id="reject"' in html
    assert approval.version.sha256[:12] in html


def test_a_member_not_asked_sees_the_request_without_actions(client, personas, bv):
    approval = ask(personas, bv)
    client.force_login(english(bv.employee))
    html = client.get(url("detail", approval)).content.decode()
    assert "Aangifte omzetbelasting Q3" in html
    assert 'id="approve"' not in html and 'id="not-asked"' in html


def test_the_task_opens_the_request_page(as_director, personas, bv):
    approval = ask(personas, bv)
    todo = Todo.objects.get()
    response = as_director.get(reverse("todos:open", args=[bv.client.public_id, todo.public_id]))
    assert response.status_code == 302 and response.url == url("detail", approval)


def test_a_request_of_another_environment_is_404_under_my_own(client, personas, bv):
    """The client user is a member of the company, not of the BV: its request is not found there."""
    approval = ask(personas, bv)
    client.force_login(personas.client_user)
    wrong = reverse("approvals:detail", args=[personas.company.public_id, approval.public_id])
    assert client.get(wrong).status_code == 404
    decide = reverse("approvals:decide", args=[personas.company.public_id, approval.public_id])
    assert client.post(decide, {"outcome": "approved"}).status_code == 404


# -- deciding -----------------------------------------------------------------------------------


def test_approve_then_confirm_records_the_decision_with_its_evidence(as_director, personas, bv):
    approval = ask(personas, bv, after="nothing")
    first = as_director.post(url("decide", approval), {"outcome": "approved", "comment": "Akkoord zo"})
    assert (
        first.status_code == 200
        and 'id="stepup"' in first.content.decode()
        and 'id="confirm"' in first.content.decode()
    )
    assert not Decision.objects.exists()  # not before Bevestigen

    response = confirm(as_director, approval, comment="Akkoord zo", headers={"user-agent": "Testbrowser/1.0"})
    assert response.status_code == 302 and response.url == url("detail", approval)
    assert "The document has been processed successfully" in texts(response)
    decision = Decision.objects.get()
    assert (decision.user, decision.outcome, decision.comment, decision.factor) == (
        bv.directors[0],
        "approved",
        "Akkoord zo",
        "password",
    )
    assert decision.version_sha256 == approval.version.sha256
    assert (decision.ip_address, decision.user_agent) == ("127.0.0.1", "Testbrowser/1.0")
    assert decision.challenge_id
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_approve_and_send_later_gathers_it_under_ready_to_send(as_director, personas, bv):
    approval = ask(personas, bv)
    first = as_director.post(url("decide", approval), {"outcome": "approved"})
    assert 'id="send-later"' in first.content.decode()  # direct or later verzenden
    response = confirm(as_director, approval, send="later")
    assert response.status_code == 302 and response.url == page_url("ready", bv.client)
    approval.refresh_from_db()
    assert approval.status == Status.READY_TO_SEND
    ready = as_director.get(page_url("ready", bv.client))
    assert [each.pk for each in ready.context["items"]] == [approval.pk]


def test_approve_and_send_now_files_it(as_director, personas, bv):
    approval = ask(personas, bv)
    response = confirm(as_director, approval, send="now")
    assert "The document has been processed successfully" in texts(response)
    approval.refresh_from_db()
    assert approval.status == Status.SUBMITTED
    assert Submission.objects.get().request == approval


def test_not_approving_needs_a_reason(as_director, personas, bv):
    approval = ask(personas, bv)
    response = as_director.post(url("decide", approval), {"outcome": "rejected", "comment": " "})
    assert response.status_code == 400
    assert "Give the reason why you do not approve." in response.content.decode()
    assert 'id="stepup"' not in response.content.decode()
    response = confirm(as_director, approval, outcome="rejected", comment="Omzet klopt niet")
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.outcome, decision.comment) == ("rejected", "Omzet klopt niet")


def test_a_wrong_password_records_nothing(as_director, personas, bv):
    approval = ask(personas, bv)
    response = confirm(as_director, approval, password="fout")
    assert response.status_code == 400 and 'id="stepup-error"' in response.content.decode()
    assert not Decision.objects.exists()


def test_a_confirmation_for_another_request_is_refused(as_director, personas, bv):
    first = ask(personas, bv, title="Btw Q2")
    other = ask(personas, bv, title="Btw Q3")
    started = as_director.post(url("decide", first), {"outcome": "approved"})
    challenge = started.context["stepup"].challenge.public_id
    response = as_director.post(
        url("decide", other),
        {
            "outcome": "approved",
            "stepup_challenge": challenge,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Decision.objects.exists()


def test_a_confirmation_started_for_approving_does_not_confirm_not_approving(as_director, personas, bv):
    """The step-up is bound to the outcome too: a code asked for Akkoord cannot confirm Niet akkoord."""
    approval = ask(personas, bv)
    started = as_director.post(url("decide", approval), {"outcome": "approved"})
    assert started.status_code == 200
    response = as_director.post(
        url("decide", approval),
        {
            "outcome": "rejected",
            "comment": "Toch niet",
            "stepup_challenge": started.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "This confirmation was given for something else." in response.content.decode()
    assert not Decision.objects.exists()
    approval.refresh_from_db()
    assert approval.status == Status.OPEN


def test_with_everyones_approval_only_the_last_approver_is_offered_sending(client, personas, bv):
    """The first approver's decision does not settle the request: no send choice, and a send
    posted anyway is not tried; they are told their approval is recorded. The last one may send."""
    a, b = (english(director) for director in bv.directors)
    approval = ask(personas, bv, required="all")
    client.force_login(a)
    first = client.post(url("decide", approval), {"outcome": "approved"})
    assert first.status_code == 200 and 'id="send-choice"' not in first.content.decode()
    response = confirm(client, approval, send="now")
    assert response.status_code == 302 and response.url == url("detail", approval)
    assert texts(response) == [
        "Your approval has been recorded. The request is settled once everyone asked has approved."
    ]
    approval.refresh_from_db()
    assert approval.status == Status.OPEN and Decision.objects.count() == 1
    assert not Submission.objects.exists()

    client.force_login(b)
    last = client.post(url("decide", approval), {"outcome": "approved"})
    assert 'id="send-choice"' in last.content.decode()
    response = confirm(client, approval, send="now")
    assert texts(response) == ["The document has been processed successfully"]
    approval.refresh_from_db()
    assert approval.status == Status.SUBMITTED and Submission.objects.get().request == approval


def test_double_click_on_confirm_records_one_decision(as_director, personas, bv):
    approval = ask(personas, bv, after="nothing")
    started = as_director.post(url("decide", approval), {"outcome": "approved"})
    data = {
        "outcome": "approved",
        "stepup_challenge": started.context["stepup"].challenge.public_id,
        "stepup_factor": "password",
        "stepup_code": TEST_PASSWORD,
    }
    first = as_director.post(url("decide", approval), data)
    second = as_director.post(url("decide", approval), data)
    assert first.status_code == 302 and second.status_code == 302
    assert Decision.objects.count() == 1
    assert "Already approved by DirecteurA Jansen on" in " ".join(texts(second))


def test_a_member_who_may_not_handle_documents_gets_403_and_nothing_is_recorded(client, personas, bv):
    approval = ask(personas, bv, audience="handlers")
    client.force_login(bv.employee)
    for name, data in (
        ("decide", {"outcome": "approved"}),
        (
            "decide",
            {"outcome": "approved", "stepup_challenge": "x", "stepup_factor": "password", "stepup_code": TEST_PASSWORD},
        ),
        ("acknowledge", {}),
        ("send", {"send": "later"}),
    ):
        assert client.post(url(name, approval), data).status_code == 403
    assert not Decision.objects.exists()
    approval.refresh_from_db()
    assert approval.status == Status.OPEN


def test_the_second_director_sees_who_approved_and_cannot_decide_again(client, personas, bv):
    a, b = bv.directors
    approval = ask(personas, bv, after="nothing")
    request_decide(approval=approval, user=a, outcome="approved", comment="Prima", confirmation=confirmation())
    client.force_login(english(b))
    html = client.get(url("detail", approval)).content.decode()
    assert 'id="settled-by"' in html and "Approved by DirecteurA Jansen on" in html
    assert "Prima" in html and 'id="approve"' not in html
    response = client.post(url("decide", approval), {"outcome": "approved"})
    assert response.status_code == 302
    assert texts(response)[0].startswith("Already approved by DirecteurA Jansen on ")
    assert Todo.objects.get().status == "done"


def test_a_withdrawn_request_can_no_longer_be_decided(as_director, personas, bv):
    approval = ask(personas, bv)
    started = as_director.post(url("decide", approval), {"outcome": "approved"})
    services.request_withdraw(approval=approval, actor=personas.staff.user)
    response = as_director.post(
        url("decide", approval),
        {
            "outcome": "approved",
            "stepup_challenge": started.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302 and texts(response) == ["The firm has withdrawn this request."]
    assert not Decision.objects.exists()
    assert 'id="withdrawn-note"' in as_director.get(url("detail", approval)).content.decode()


def test_a_waiting_request_says_what_it_waits_for(as_director, personas, bv):
    first = ask(personas, bv, title="Jaarrekening 2025")
    minutes = document(bv.client, actor=personas.staff.user, title="Publicatiestukken", doc_type="publication")
    waiting = services.request_create(
        document=minutes, actor=personas.staff.user, audience="directors", waits_for=first
    )
    html = as_director.get(url("detail", waiting)).content.decode()
    assert "Waiting for Jaarrekening 2025" in html and 'id="approve"' not in html


def test_a_review_is_marked_as_seen(client, personas, bv):
    doc = document(
        bv.client, actor=personas.staff.user, title="Conceptjaarrekening", doc_type="concept_annual_accounts"
    )
    approval = services.request_create(document=doc, actor=personas.staff.user, kind="review")
    client.force_login(english(bv.handler))
    assert 'id="acknowledge"' in client.get(url("detail", approval)).content.decode()
    response = client.post(url("acknowledge", approval))
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == Status.COMPLETED


def test_an_approved_request_not_sent_yet_offers_now_or_later(as_director, personas, bv):
    approval = ask(personas, bv)
    request_decide(approval=approval, user=bv.directors[0], outcome="approved", confirmation=confirmation())
    html = as_director.get(url("detail", approval)).content.decode()
    assert 'id="send-now"' in html and 'id="send-later"' in html
    first = as_director.post(url("send", approval), {"send": "now"})
    assert first.status_code == 200 and 'id="stepup"' in first.content.decode()
    assert not Submission.objects.exists()
    response = as_director.post(
        url("send", approval),
        {
            "send": "now",
            "stepup_challenge": first.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == Status.SUBMITTED and Submission.objects.count() == 1


def test_an_approved_request_on_a_withdrawn_document_cannot_be_sent(as_director, personas, bv):
    from balie.dossiers.services import document_withdraw

    approval = ask(personas, bv)
    request_decide(approval=approval, user=bv.directors[1], outcome="approved", confirmation=confirmation())
    document_withdraw(document=approval.document, actor=personas.staff.user)
    html = as_director.get(url("detail", approval)).content.decode()
    assert 'id="send-now"' not in html and 'id="withdrawn-note"' in html
    first = as_director.post(url("send", approval), {"send": "now"})
    response = as_director.post(
        url("send", approval),
        {
            "send": "now",
            "stepup_challenge": first.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302 and texts(response) == ["The firm has withdrawn it."]
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN and not Submission.objects.exists()


# -- Klaar om te verzenden ----------------------------------------------------------------------


def ready_to_send(personas, bv, count, director=None):
    director = director or bv.directors[0]
    approvals = []
    for number in range(count):
        approval = ask(personas, bv, title=f"Btw {number}")
        request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation())
        sending.request_send(approvals=[approval], actor=director, later=True)
        approvals.append(approval)
    return approvals


def test_ready_to_send_goes_as_one_batch_with_one_confirmation(as_director, personas, bv):
    approvals = ready_to_send(personas, bv, 3)
    listed = as_director.get(page_url("ready", bv.client))
    assert [each.pk for each in listed.context["items"]] == [each.pk for each in approvals]
    chosen = [str(each.public_id) for each in approvals]
    first = as_director.post(page_url("ready", bv.client), {"approval": chosen})
    assert first.status_code == 200 and 'id="stepup"' in first.content.decode()
    assert not Submission.objects.exists()
    services.request_withdraw(approval=approvals[1], actor=personas.staff.user)  # meanwhile
    response = as_director.post(
        page_url("ready", bv.client),
        {
            "approval": chosen,
            "stepup_challenge": first.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert texts(response) == ["2 documents have been sent.", "Btw 1 was not sent: The firm has withdrawn it."]
    assert set(Submission.objects.values_list("request_id", flat=True)) == {approvals[0].pk, approvals[2].pk}


def test_a_batch_confirmation_covers_only_the_documents_chosen(as_director, personas, bv):
    approvals = ready_to_send(personas, bv, 2)
    first = as_director.post(page_url("ready", bv.client), {"approval": [str(approvals[0].public_id)]})
    response = as_director.post(
        page_url("ready", bv.client),
        {
            "approval": [str(each.public_id) for each in approvals],  # one more than confirmed
            "stepup_challenge": first.context["stepup"].challenge.public_id,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400 and not Submission.objects.exists()


def test_ready_to_send_ignores_requests_of_others(client, personas, bv):
    ready_to_send(personas, bv, 1)
    client.force_login(english(bv.handler))  # a member, not asked on a directors' request
    assert client.get(page_url("ready", bv.client)).context["items"] == []
    approval = Request.objects.get()
    response = client.post(page_url("ready", bv.client), {"approval": [str(approval.public_id)]})
    assert response.status_code == 400 and not Submission.objects.exists()


def test_ready_to_send_uses_a_constant_number_of_queries(as_director, personas, bv, django_assert_max_num_queries):
    ready_to_send(personas, bv, 3)
    with django_assert_max_num_queries(20) as few:
        as_director.get(page_url("ready", bv.client))
    ready_to_send(personas, bv, 27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_director.get(page_url("ready", bv.client))
    assert len(response.context["items"]) == 30


# -- Overzicht documenten -----------------------------------------------------------------------


def test_history_filters_on_status_year_and_type(as_director, personas, bv):
    q3 = ask(personas, bv, title="Btw Q3 2025")
    old = ask(personas, bv, title="Btw Q4 2024", doc={"year": 2024, "period": "Q4"})
    income = ask(personas, bv, title="Aangifte IB 2025", audience="handlers", doc={"doc_type": "income_tax_return"})
    request_decide(
        approval=old, user=bv.directors[1], outcome="rejected", comment="Te laat", confirmation=confirmation()
    )

    def shown(**query):
        response = as_director.get(page_url("history", bv.client), query)
        return {each.pk for each in response.context["page"].object_list}

    assert shown() == {q3.pk, old.pk, income.pk}  # all by default
    assert shown(year=2024) == {old.pk}
    assert shown(type="income_tax_return") == {income.pk}
    assert shown(year=2025, type="vat_return") == {q3.pk}
    assert shown(status="rejected") == {old.pk}
    assert shown(status="nonsense", year="x", type="<b>") == {q3.pk, old.pk, income.pk}
    html = as_director.get(page_url("history", bv.client), {"status": "rejected"}).content.decode()
    assert "DirecteurB Jansen" in html and "Te laat" in html  # the decision details
    years = as_director.get(page_url("history", bv.client)).context["years"]
    assert years == [2025, 2024]


def test_history_shows_only_this_environment(client, personas, bv):
    ask(personas, bv)
    client.force_login(personas.client_user)  # member of the company and others, not of the BV
    response = client.get(page_url("history", personas.company))
    assert list(response.context["page"].object_list) == []
    assert client.get(page_url("history", bv.client)).status_code == 404


def test_history_uses_a_constant_number_of_queries(as_director, personas, bv, django_assert_max_num_queries):
    def make(count):
        for number in range(count):
            approval = ask(personas, bv, title=f"Document {number}", after="nothing", required="all")
            for director in bv.directors:
                request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation())

    make(3)
    with django_assert_max_num_queries(25) as few:
        as_director.get(page_url("history", bv.client))
    make(22)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_director.get(page_url("history", bv.client))
    assert len(response.context["page"].object_list) == 25


def test_the_request_page_uses_a_constant_number_of_queries(client, personas, django_assert_max_num_queries):
    def approval_with(decisions):
        bv = company_with_directors(personas, count=decisions, name=f"BV {decisions}")
        approval = ask(personas, bv, required="all", after="nothing")
        for director in bv.directors[:-1]:
            request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation())
        return bv, approval

    small, one = approval_with(2)
    client.force_login(small.directors[-1])
    with django_assert_max_num_queries(40) as few:
        client.get(url("detail", one))
    large, many = approval_with(9)
    client.force_login(large.directors[-1])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("detail", many))
    assert len(response.context["decisions"]) == 8


def test_a_former_member_cannot_open_the_pages(client, personas, bv):
    import datetime

    approval = ask(personas, bv)
    former = UserFactory()
    MembershipFactory(user=former, client=bv.client, is_director=True, ends_on=datetime.date(2020, 1, 1))
    client.force_login(former)
    assert client.get(url("detail", approval)).status_code == 404
    assert client.get(page_url("history", bv.client)).status_code == 404


def test_the_task_list_stays_constant_with_request_tasks(as_director, personas, bv, django_assert_max_num_queries):
    """TASK-1: tasks about requests (directors each get their own) list without a query per task."""
    for number in range(3):
        ask(personas, bv, title=f"Aangifte omzetbelasting {number}")
    with django_assert_max_num_queries(30) as few:
        as_director.get(reverse("todos:list"))
    for number in range(3, 30):
        ask(personas, bv, title=f"Aangifte omzetbelasting {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_director.get(reverse("todos:list"))
    assert response.content.decode().count("Aangifte omzetbelasting") >= 25  # one page of the 30 tasks
