"""The firm's side of approvals: the list, one request with its evidence, withdrawing, retrying a
failed filing, a decision given outside the portal, the firm's flows, and publishing with a request."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.approvals import decisions, sending, services
from balie.approvals.models import Decision, Flow, Request, Submission
from balie.approvals.states import Status
from balie.approvals.tests.filing_support import approved_request, connect_software
from balie.clients.factories import MembershipFactory
from balie.clients.models import Membership
from balie.dossiers.models import Document
from balie.dossiers.services import document_add, document_replace, dossier_create
from balie.dossiers.tests.utils import PDF
from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember
from balie.todos.models import Todo
from balie.todos.selectors import todo_list_for_user
from balie.twostep.stepup import Confirmation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, personas):
    personas.staff.user.language = "en"  # messages are checked in their msgid form
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


@pytest.fixture
def dossier(personas):
    return dossier_create(client=personas.company, description="Belastingen 2025")


def pdf(name="aangifte.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def vat_return(personas, dossier, title="Aangifte omzetbelasting Q3 2025"):
    return document_add(
        dossier=dossier,
        upload=pdf(),
        direction="firm",
        actor=personas.staff.user,
        title=title,
        doc_type="vat_return",
        year=2025,
        period="Q3",
    )


def ask(personas, document, **settings):
    return services.request_create(
        document=document, actor=personas.staff.user, **{"audience": "directors", "after": "nothing", **settings}
    )


def confirmation(factor="sms"):
    return Confirmation(factor=factor, challenge_id="c-1", confirmed_at=timezone.now())


def detail_url(approval, name="detail"):
    return reverse(f"approvals_staff:{name}", args=[approval.public_id])


def texts(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


# -- one request -------------------------------------------------------------------------------------


def test_request_page_shows_document_version_hash_and_who_was_asked(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    response = staff.get(detail_url(approval))
    assert response.status_code == 200
    html = response.content.decode()
    assert approval.version.sha256 in html
    assert "Aangifte omzetbelasting Q3 2025" in html and "Bakker B.V." in html
    assert [person["user"] for person in response.context["asked"]] == [personas.client_user]
    assert response.context["may_withdraw"] and not response.context["may_retry"]


def test_request_page_shows_the_evidence_of_a_decision_and_the_reason(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    decisions.request_decide(
        approval=approval,
        user=personas.client_user,
        outcome="rejected",
        comment="De omzet van september ontbreekt.",
        confirmation=confirmation("sms"),
        ip_address="192.0.2.7",
        user_agent="Mozilla/5.0 Firefox/128.0",
    )
    response = staff.get(detail_url(approval))
    html = response.content.decode()
    assert response.context["rejection"].comment == "De omzet van september ontbreekt."
    assert "De omzet van september ontbreekt." in html
    assert "192.0.2.7" in html and "Firefox/128.0" in html and "SMS code" in html
    assert response.context["approval"].status == Status.REJECTED
    assert [event["what"] for event in response.context["timeline"]][-1] == "Rejected"


def test_outsider_staff_and_clients_get_404_for_a_request(client, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    for user in (personas.outsider_staff.user, personas.client_user, personas.outsider):
        client.force_login(user)
        for name in ("detail", "certificate", "record"):
            assert client.get(detail_url(approval, name)).status_code == 404
        for name in ("withdraw", "retry", "reconcile"):
            assert client.post(detail_url(approval, name)).status_code == 404
    assert Request.objects.get(pk=approval.pk).status == Status.OPEN


def test_an_employee_of_the_firm_may_see_and_withdraw_too(client, personas, dossier):
    employee = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    approval = ask(personas, vat_return(personas, dossier))
    client.force_login(employee.user)
    assert client.get(detail_url(approval)).status_code == 200
    assert client.post(detail_url(approval, "withdraw")).status_code == 302
    assert Request.objects.get(pk=approval.pk).status == Status.WITHDRAWN


# -- withdraw, retry, reconcile ---------------------------------------------------------------------


def test_withdraw_closes_the_clients_task_and_keeps_the_decisions(staff, personas, dossier):
    personas.company.memberships.filter(user=personas.employee).update(is_director=True)
    approval = ask(personas, vat_return(personas, dossier), required="all")
    decisions.request_decide(
        approval=approval, user=personas.client_user, outcome="approved", confirmation=confirmation()
    )
    assert list(todo_list_for_user(user=personas.employee))  # the second director still has to act

    response = staff.post(detail_url(approval, "withdraw"))
    assert response.status_code == 302 and response["Location"] == detail_url(approval)
    assert texts(response) == ["The request has been withdrawn; the client's tasks about it are closed."]
    assert Request.objects.get(pk=approval.pk).status == Status.WITHDRAWN
    assert not list(todo_list_for_user(user=personas.employee))
    assert not Todo.objects.filter(status=Todo.Status.OPEN).exists()
    assert Decision.objects.filter(request=approval).count() == 1  # evidence stays


def test_a_settled_request_cannot_be_withdrawn(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    decisions.request_decide(
        approval=approval, user=personas.client_user, outcome="approved", confirmation=confirmation()
    )
    response = staff.post(detail_url(approval, "withdraw"))
    assert response.status_code == 302
    assert texts(response) == ["This request is approved and can no longer be withdrawn."]
    assert Request.objects.get(pk=approval.pk).status == Status.APPROVED


def test_the_firm_can_withdraw_a_request_approved_but_not_sent_yet(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier), after="firm_software")
    decisions.request_decide(
        approval=approval, user=personas.client_user, outcome="approved", confirmation=confirmation()
    )
    html = staff.get(detail_url(approval)).content.decode()
    assert 'id="withdraw-request"' in html and "To replace the request, upload a new version" in html
    response = staff.post(detail_url(approval, "withdraw"))
    assert texts(response) == ["The request has been withdrawn; the client's tasks about it are closed."]
    assert Request.objects.get(pk=approval.pk).status == Status.WITHDRAWN
    assert Decision.objects.filter(request=approval).count() == 1  # evidence stays
    with pytest.raises(ValidationError):
        sending.request_send(approvals=[approval], actor=personas.client_user, later=False)
    assert not Submission.objects.exists()


def test_an_approved_request_with_nothing_after_it_offers_no_withdrawal(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    decisions.request_decide(
        approval=approval, user=personas.client_user, outcome="approved", confirmation=confirmation()
    )
    html = staff.get(detail_url(approval)).content.decode()
    assert 'id="withdraw-request"' not in html and "To replace the request" not in html


def test_retry_is_only_for_a_failed_filing(staff, personas):
    approval = approved_request(personas, after="firm_software", status=Status.SUBMITTED)
    response = staff.post(detail_url(approval, "retry"))
    assert texts(response) == ["Only a failed filing can be tried again."]
    assert Request.objects.get(pk=approval.pk).status == Status.SUBMITTED
    assert not Submission.objects.exists()


def test_retry_of_a_failed_filing_files_again_with_a_new_submission(staff, personas):
    approval = approved_request(personas, after="firm_software", status=Status.FAILED)
    failed = Submission.objects.create(
        request=approval,
        connector="firm_software",
        idempotency_key=f"{approval.public_id}:1",
        state=Submission.State.FAILED,
        attempts=8,
        last_error="Connection refused",
    )
    page = staff.get(detail_url(approval))
    assert page.context["may_retry"] and "Connection refused" in page.content.decode()

    response = staff.post(detail_url(approval, "retry"))
    assert texts(response) == ["The filing is being tried again."]
    assert Request.objects.get(pk=approval.pk).status == Status.SUBMITTED
    new = Submission.objects.exclude(pk=failed.pk).get()
    assert new.idempotency_key != failed.idempotency_key and new.submitted_by == personas.staff.user
    assert Submission.objects.get(pk=failed.pk).state == Submission.State.FAILED  # on record


def test_an_unknown_filing_is_settled_after_checking_with_the_receiver(staff, personas):
    approval = approved_request(personas, after="digipoort", status=Status.SUBMITTED)
    Submission.objects.create(
        request=approval, connector="digipoort", idempotency_key="k-1", state=Submission.State.UNKNOWN
    )
    assert staff.get(detail_url(approval)).context["unknown_filing"]
    response = staff.post(detail_url(approval, "reconcile"), {"received": "no", "note": "Gebeld met de servicedesk"})
    assert texts(response) == ["The filing has been settled."]
    assert Request.objects.get(pk=approval.pk).status == Status.FAILED  # now it can be retried


# -- a decision given outside the portal -------------------------------------------------------------


def test_recording_an_outside_decision_needs_the_note(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    data = {"person": str(personas.client_user.public_id), "outcome": "approved", "comment": "", "note": "  "}
    response = staff.post(detail_url(approval, "record"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["Say how the decision was given: it is part of the evidence."]
    assert not Decision.objects.exists()
    assert Request.objects.get(pk=approval.pk).status == Status.OPEN


def test_an_outside_decision_is_recorded_marked_and_settles_the_request(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    assert staff.get(detail_url(approval)).context["may_record"]
    note = "Getekend op papier ontvangen op 3 maart, gescand in het dossier."
    response = staff.post(
        detail_url(approval, "record"),
        {"person": str(personas.client_user.public_id), "outcome": "approved", "comment": "Akkoord", "note": note},
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.user, decision.recorded_by, decision.outside_note) == (
        personas.client_user,
        personas.staff.user,
        note,
    )
    assert decision.version_sha256 == approval.version.sha256
    assert Request.objects.get(pk=approval.pk).status == Status.APPROVED
    assert not Todo.objects.filter(status=Todo.Status.OPEN).exists()  # the director's task is done
    page = staff.get(detail_url(approval)).content.decode()
    assert "given outside the portal" in page and note in page
    listing = staff.get(reverse("approvals_staff:list")).content.decode()
    assert "outside the portal" in listing


def test_an_outside_rejection_needs_the_reason(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    data = {"person": str(personas.client_user.public_id), "outcome": "rejected", "note": "Telefonisch"}
    response = staff.post(detail_url(approval, "record"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["comment"] == ["Give the reason the client gave for not approving."]
    assert not Decision.objects.exists()


def test_only_people_who_were_asked_can_be_recorded(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))  # the directors: not the employee
    data = {"person": str(personas.employee.public_id), "outcome": "approved", "note": "Per brief"}
    response = staff.post(detail_url(approval, "record"), data)
    assert response.status_code == 400 and "person" in response.context["form"].errors
    assert not Decision.objects.exists()


def test_no_outside_decision_on_a_settled_request(staff, personas, dossier):
    approval = ask(personas, vat_return(personas, dossier))
    services.request_withdraw(approval=approval, actor=personas.staff.user)
    response = staff.get(detail_url(approval, "record"))
    assert response.status_code == 302
    assert texts(response) == ["This request is withdrawn: no decision can be recorded."]


# -- the list ---------------------------------------------------------------------------------------


def _requests(personas, dossier, count):
    return [ask(personas, vat_return(personas, dossier, title=f"Aangifte {number}")) for number in range(count)]


def test_list_shows_rejected_and_failed_first_with_their_reason(staff, personas, dossier):
    first, rejected, second = _requests(personas, dossier, 3)
    decisions.request_decide(
        approval=rejected,
        user=personas.client_user,
        outcome="rejected",
        comment="Verkeerd kwartaal",
        confirmation=confirmation(),
    )
    failed = approved_request(personas, after="firm_software", status=Status.FAILED, title="Aangifte mislukt")
    Submission.objects.create(
        request=failed, connector="firm_software", idempotency_key="f-1", state="failed", last_error="HTTP 503"
    )
    Request.objects.filter(pk=first.pk).update(status_changed_at=timezone.now() + timedelta(minutes=5))

    response = staff.get(reverse("approvals_staff:list"))
    rows = list(response.context["page"].object_list)
    assert {rows[0], rows[1]} == {rejected, failed}
    assert rows[2:] == [first, second]
    html = response.content.decode()
    assert "Verkeerd kwartaal" in html and "HTTP 503" in html


def test_list_filters_on_status(staff, personas, dossier):
    open_one, rejected = _requests(personas, dossier, 2)
    decisions.request_decide(
        approval=rejected, user=personas.client_user, outcome="rejected", comment="Nee", confirmation=confirmation()
    )
    ready = approved_request(personas, after="digipoort", status=Status.READY_TO_SEND)
    expected = {"open": [open_one], "rejected": [rejected], "ready": [ready], "failed": []}
    for status, rows in expected.items():
        response = staff.get(reverse("approvals_staff:list"), {"status": status})
        assert list(response.context["page"].object_list) == rows, status
    assert len(staff.get(reverse("approvals_staff:list"), {"status": "all"}).context["page"].object_list) == 3


def test_list_shows_only_the_firms_own_requests(client, personas, dossier):
    _requests(personas, dossier, 2)
    client.force_login(personas.outsider_staff.user)
    assert not client.get(reverse("approvals_staff:list")).context["page"].object_list
    client.force_login(personas.client_user)
    assert client.get(reverse("approvals_staff:list")).status_code == 404


def test_list_uses_a_constant_number_of_queries(staff, personas, dossier, django_assert_max_num_queries):
    def load():
        response = staff.get(reverse("approvals_staff:list"))
        assert response.status_code == 200
        return len(response.context["page"].object_list)

    for approval in _requests(personas, dossier, 3):
        decisions.request_decide(
            approval=approval, user=personas.client_user, outcome="approved", confirmation=confirmation()
        )
    with django_assert_max_num_queries(12) as few:
        assert load() == 3
    more = _requests(personas, dossier, 22)
    for approval in more[:10]:
        decisions.request_decide(
            approval=approval, user=personas.client_user, outcome="rejected", comment="Nee", confirmation=confirmation()
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert load() == 25


# -- the firm's flows -------------------------------------------------------------------------------


def flows_data(firm_rows=None):
    from balie.approvals.flows import DEFAULTS

    data = {}
    for doc_type, spec in DEFAULTS.items():
        data.update(
            {
                f"{doc_type}-mode": spec.mode,
                f"{doc_type}-audience": spec.audience,
                f"{doc_type}-required": spec.required,
                f"{doc_type}-after": spec.after,
                f"{doc_type}-due_days": spec.due_days or "",
            }
        )
    data.update(firm_rows or {})
    return data


def test_non_admin_staff_and_clients_get_404_on_the_flow_settings(client, personas):
    employee = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    for user in (employee.user, personas.client_user):
        client.force_login(user)
        assert client.get(reverse("approvals_staff:flows")).status_code == 404
        assert client.post(reverse("approvals_staff:flows"), flows_data()).status_code == 404
    assert not Flow.objects.exists()


def test_the_flow_settings_show_balies_defaults_and_store_only_the_firms_choices(staff, personas):
    connect_software(personas.firm)  # the VAT return's default notifies it
    page = staff.get(reverse("approvals_staff:flows"))
    rows = {row["doc_type"]: row for row in page.context["rows"]}
    assert rows["vat_return"]["form"].initial["audience"] == "directors"
    assert rows["vat_return"]["form"].initial["after"] == "firm_software"
    assert all(row["is_default"] for row in rows.values())
    assert 'id="settings-approvals"' in page.content.decode()  # the settings tab

    changed = {"vat_return-required": "all", "vat_return-due_days": "10"}
    response = staff.post(reverse("approvals_staff:flows"), flows_data(changed))
    assert response.status_code == 302
    flow = Flow.objects.get()
    assert (flow.firm, flow.doc_type, flow.required, flow.due_days) == (personas.firm, "vat_return", "all", 10)
    assert not staff.get(reverse("approvals_staff:flows")).context["rows"][0]["is_default"]

    staff.post(reverse("approvals_staff:flows"), flows_data())  # back to the default: no row
    assert not Flow.objects.exists()


def test_a_flow_that_files_after_a_review_is_refused(staff, personas):
    response = staff.post(
        reverse("approvals_staff:flows"),
        flows_data({"concept_return-mode": "review", "concept_return-after": "digipoort"}),
    )
    assert response.status_code == 400
    row = next(row for row in response.context["rows"] if row["doc_type"] == "concept_return")
    assert row["form"].errors["after"] == ["Only an approval can be followed by a filing or a notice to your software."]
    assert not Flow.objects.exists()


# -- publishing with a request ----------------------------------------------------------------------


def publish_url(dossier):
    return reverse("dossiers_staff:publish", args=[dossier.client.public_id, dossier.public_id])


def publish(staff, dossier, **fields):
    data = {"files": [pdf()], "doc_type": "vat_return", "year": "2025", "period": "Q3", "direction": "firm"}
    return staff.post(publish_url(dossier), {**data, **fields})


def test_the_publish_form_is_prefilled_from_the_firms_flow_for_the_type(still_clock, staff, personas, dossier):
    Flow.objects.create(
        firm=personas.firm, doc_type="vat_return", mode="approve", audience="handlers", required="all", due_days=7
    )
    response = staff.get(
        reverse("approvals_staff:flow_defaults"), {"doc_type": "vat_return", "client": personas.company.public_id}
    )
    form = response.context["request_form"]
    assert form.initial["request_kind"] == "approve" and form.initial["audience"] == "handlers"
    assert form.initial["required"] == "all"
    assert form.initial["due_date"] == timezone.localdate() + timedelta(days=7)
    assert 'id="request-settings"' in response.content.decode()
    assert str(personas.client_user.public_id) in dict(form.fields["named"].choices)

    other = staff.get(reverse("approvals_staff:flow_defaults"), {"doc_type": "concept_return"})
    assert other.context["request_form"].initial["request_kind"] == "info"  # Balie's default: no task

    page = staff.get(reverse("dossiers_staff:dossier", args=[personas.company.public_id, dossier.public_id]))
    assert 'hx-get="/kantoor/accorderingen/instellingen-per-type/?client=' in page.content.decode()


def test_the_settings_of_another_firms_environment_answer_404(staff, personas):
    response = staff.get(
        reverse("approvals_staff:flow_defaults"),
        {"doc_type": "vat_return", "client": personas.outsider_client.public_id},
    )
    assert response.status_code == 404


def test_publish_with_named_people_a_due_date_and_filing_creates_the_request(staff, personas, dossier):
    due = timezone.localdate() + timedelta(days=14)
    response = publish(
        staff,
        dossier,
        request_kind="approve",
        audience="named",
        named=[str(personas.employee.public_id)],
        required="all",
        due_date=due.isoformat(),
        after="digipoort",
    )
    assert response.status_code == 302
    approval = Request.objects.get()
    document = Document.objects.get()
    assert document.request_kind == "approve" and approval.document == document
    assert (approval.kind, approval.audience, approval.required, approval.after, approval.due_date) == (
        "approve",
        "named",
        "all",
        "digipoort",
        due,
    )
    assert list(approval.named.all()) == [personas.employee]
    assert [todo.client for todo in todo_list_for_user(user=personas.employee)] == [personas.company]
    assert not list(todo_list_for_user(user=personas.client_user))  # not named


def test_publish_named_without_anyone_chosen_is_refused_and_publishes_nothing(staff, dossier):
    response = publish(staff, dossier, request_kind="approve", audience="named", required="one", after="nothing")
    assert response.status_code == 400
    assert response.context["request_form"].errors["named"] == ["Choose at least one person who must act."]
    assert not Document.objects.exists() and not Request.objects.exists()


def test_publish_refuses_a_due_date_in_the_past_and_filing_after_a_review(staff, dossier):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = publish(
        staff,
        dossier,
        request_kind="review",
        audience="handlers",
        required="one",
        due_date=yesterday,
        after="digipoort",
    )
    assert response.status_code == 400
    errors = response.context["request_form"].errors
    assert errors["due_date"] == ["The due date cannot be in the past."]
    assert errors["after"] == ["Only an approval can be followed by a filing or a notice to your software."]
    assert not Document.objects.exists()


def test_publish_can_wait_for_an_open_request_of_the_environment(staff, personas, dossier):
    minutes = ask(personas, vat_return(personas, dossier, title="Notulen AVA 2025"))
    response = publish(
        staff,
        dossier,
        doc_type="publication",
        request_kind="approve",
        audience="directors",
        required="one",
        after="digipoort",
        waits_for=str(minutes.public_id),
    )
    assert response.status_code == 302
    follower = Request.objects.exclude(pk=minutes.pk).get()
    assert follower.waits_for == minutes and follower.status == Status.WAITING
    page = staff.get(detail_url(follower)).content.decode()
    assert "Waiting for “Notulen AVA 2025”" in page


def test_a_request_of_another_environment_cannot_be_waited_for(staff, personas, dossier):
    other = dossier_create(client=personas.holding, description="Holding")
    holding_request = ask(personas, vat_return(personas, other))
    response = publish(staff, dossier, request_kind="approve", waits_for=str(holding_request.public_id))
    assert response.status_code == 400 and "waits_for" in response.context["request_form"].errors
    assert Request.objects.count() == 1


def test_publish_without_settings_follows_the_flow_of_the_type(staff, personas, dossier):
    response = publish(staff, dossier, request_kind="approve")  # e.g. an older form or a script
    assert response.status_code == 302
    approval = Request.objects.get()
    assert (approval.audience, approval.after) == ("directors", "firm_software")  # APR-1 for a VAT return


def test_publish_for_information_asks_nothing(staff, dossier):
    assert publish(staff, dossier, request_kind="info", audience="directors", after="nothing").status_code == 302
    assert not Request.objects.exists() and not Todo.objects.exists()


def test_the_bulk_form_lets_staff_change_the_settings_but_names_nobody(staff, personas):
    response = staff.get(reverse("dossiers_staff:bulk_new"))
    form = response.context["request_form"]
    assert not form.fields["audience"].disabled and not form.fields["after"].disabled
    assert "named" not in form.fields and "waits_for" not in form.fields
    assert "named" not in dict(form.fields["audience"].choices)
    partial = staff.get(reverse("approvals_staff:flow_defaults"), {"doc_type": "publication", "bulk": "1"})
    assert partial.context["request_form"].initial["after"] == "digipoort"

    personas.company.number = "1001"
    personas.company.save(update_fields=["number"])
    data = {
        "mode": "same",
        "files": [pdf("brief.pdf")],
        "scope": "numbers",
        "numbers": "1001",
        "doc_type": "vat_return",
        "direction": "firm",
        "request_kind": "approve",
        "audience": "named",  # not for many environments
    }
    response = staff.post(reverse("dossiers_staff:bulk_new"), data)
    assert response.status_code == 400 and "audience" in response.context["request_form"].errors
    from balie.dossiers.models import BulkPublication

    assert not BulkPublication.objects.exists()
    data["audience"] = "handlers"
    assert staff.post(reverse("dossiers_staff:bulk_new"), {**data, "files": [pdf("brief.pdf")]}).status_code == 302
    publication = BulkPublication.objects.get()
    assert (publication.request_kind, publication.request_settings) == ("approve", {"audience": "handlers"})


# -- what follows the approval must be able to happen ---------------------------------------------------

DIGIPOORT_OFF = "Filing through Digipoort is not available in this installation; choose another step after approval."
NO_SOFTWARE = (
    "Your firm's software is not connected: set up its webhook under Settings › Firm software, "
    "or choose another step after approval."
)


def test_publish_refuses_filing_through_digipoort_when_it_is_off(staff, personas, dossier, settings):
    settings.BALIE_DIGIPOORT = "off"
    response = publish(staff, dossier, doc_type="income_tax_return", request_kind="approve", after="digipoort")
    assert response.status_code == 400
    assert response.context["request_form"].errors["after"] == [DIGIPOORT_OFF]
    assert not Document.objects.exists() and not Request.objects.exists()

    settings.BALIE_DIGIPOORT = "simulator"
    response = publish(staff, dossier, doc_type="income_tax_return", request_kind="approve", after="digipoort")
    assert response.status_code == 302 and Request.objects.get().after == "digipoort"


def test_publish_refuses_notifying_software_the_firm_has_not_connected(staff, personas, dossier):
    response = publish(staff, dossier, request_kind="approve", audience="directors", after="firm_software")
    assert response.status_code == 400
    assert response.context["request_form"].errors["after"] == [NO_SOFTWARE]
    assert "Settings › Firm software" in response.content.decode()

    receiver = connect_software(personas.firm, secret="")  # an address without a secret is not enough
    assert publish(staff, dossier, request_kind="approve", after="firm_software").status_code == 400
    receiver.delete()
    connect_software(personas.firm, url="")  # nor a secret without an address
    assert publish(staff, dossier, request_kind="approve", after="firm_software").status_code == 400
    assert not Document.objects.exists()

    connect_software(personas.firm)
    response = publish(staff, dossier, request_kind="approve", audience="directors", after="firm_software")
    assert response.status_code == 302 and Request.objects.get().after == "firm_software"


def test_the_publish_form_proposes_nothing_when_the_flows_step_cannot_happen(staff, personas, dossier, settings):
    url = reverse("approvals_staff:flow_defaults")
    partial = staff.get(url, {"doc_type": "vat_return", "client": personas.company.public_id})
    form = partial.context["request_form"]
    assert form.initial["after"] == "nothing" and form.initial["audience"] == "directors"
    assert "Your firm's software is not connected" in str(form.fields["after"].help_text)
    assert "so publishing proposes “Nothing” after approval." in partial.content.decode()

    # Out of the box a VAT return can be published as the form proposes it.
    initial = {key: value for key, value in form.initial.items() if key != "due_date"}
    assert publish(staff, dossier, **initial).status_code == 302
    approval = Request.objects.get()
    assert (approval.kind, approval.audience, approval.after) == ("approve", "directors", "nothing")

    connect_software(personas.firm)
    form = staff.get(url, {"doc_type": "vat_return", "bulk": "1"}).context["request_form"]
    assert form.initial["after"] == "firm_software" and not form.fields["after"].help_text

    settings.BALIE_DIGIPOORT = "off"
    form = staff.get(url, {"doc_type": "corporate_tax_return", "bulk": "1"}).context["request_form"]
    assert form.initial["after"] == "nothing"
    assert "Filing through Digipoort is not available" in str(form.fields["after"].help_text)


def test_the_flow_settings_refuse_a_step_after_approval_that_cannot_happen(staff, personas, settings):
    # Left as they are, Balie's defaults may keep such a step (with a note); the rest can be saved.
    page = staff.get(reverse("approvals_staff:flows"))
    notes = {row["doc_type"]: row["note"] for row in page.context["rows"]}
    assert "Settings › Firm software" in notes["vat_return"] and not notes["income_tax_return"]
    response = staff.post(reverse("approvals_staff:flows"), flows_data({"letter-required": "all"}))
    assert response.status_code == 302 and Flow.objects.get().doc_type == "letter"

    response = staff.post(reverse("approvals_staff:flows"), flows_data({"vat_return-required": "all"}))
    assert response.status_code == 400
    row = next(row for row in response.context["rows"] if row["doc_type"] == "vat_return")
    assert row["form"].errors["after"] == [NO_SOFTWARE]
    response = staff.post(reverse("approvals_staff:flows"), flows_data({"credit_report-after": "firm_software"}))
    assert response.status_code == 400

    settings.BALIE_DIGIPOORT = "off"
    assert "Digipoort" in staff.get(reverse("approvals_staff:flows")).context["rows"][1]["note"]
    response = staff.post(reverse("approvals_staff:flows"), flows_data({"credit_report-after": "digipoort"}))
    assert response.status_code == 400
    row = next(row for row in response.context["rows"] if row["doc_type"] == "credit_report")
    assert row["form"].errors["after"] == [DIGIPOORT_OFF]
    assert list(Flow.objects.values_list("doc_type", flat=True)) == ["letter"]

    connect_software(personas.firm)
    settings.BALIE_DIGIPOORT = "simulator"
    response = staff.post(
        reverse("approvals_staff:flows"),
        flows_data({"vat_return-required": "all", "credit_report-after": "digipoort"}),
    )
    assert response.status_code == 302
    assert set(Flow.objects.values_list("doc_type", flat=True)) == {"vat_return", "credit_report"}


# -- the document page ------------------------------------------------------------------------------


def test_the_staff_document_page_lists_its_requests_across_versions(staff, personas, dossier):
    document = vat_return(personas, dossier)
    first = ask(personas, document)
    document_replace(document=document, upload=pdf("v2.pdf", PDF + b"%v2\n"), actor=personas.staff.user)
    url = reverse("dossiers_staff:document", args=[personas.company.public_id, dossier.public_id, document.public_id])
    response = staff.get(url)
    approvals = list(response.context["approvals"])
    assert len(approvals) == 2 and first in approvals
    assert {approval.status for approval in approvals} == {Status.REPLACED, Status.OPEN}
    assert detail_url(first) in response.content.decode()


def test_a_member_of_a_director_less_environment_cannot_be_asked_as_director(staff, personas, dossier):
    Membership.objects.filter(client=personas.company).update(is_director=False)
    response = publish(staff, dossier, request_kind="approve", audience="directors", required="one", after="nothing")
    assert response.status_code == 400
    assert any("director" in error for error in response.context["publish_form"].non_field_errors())
    assert not Document.objects.exists()


def test_named_people_must_be_active_members_of_the_environment(staff, personas, dossier):
    stranger = UserFactory(email="vreemd@example.test")
    MembershipFactory(user=stranger, client=personas.holding)
    response = publish(
        staff, dossier, request_kind="approve", audience="named", named=[str(stranger.public_id)], after="nothing"
    )
    assert response.status_code == 400 and "named" in response.context["request_form"].errors


# -- in a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choosing_a_type_fills_in_its_flow_and_publishing_asks_for_it(still_clock, page, live_server, personas):
    from playwright.sync_api import expect

    from balie.twostep.tests.test_browser import sign_in

    Flow.objects.create(firm=personas.firm, doc_type="vat_return", mode="approve", audience="directors", due_days=10)
    dossier = dossier_create(client=personas.company, description="Belastingen 2025")
    base = live_server.url
    sign_in(page, base, personas.staff.user.email)
    page.goto(f"{base}{reverse('dossiers_staff:dossier', args=[personas.company.public_id, dossier.public_id])}")
    expect(page.locator("#id_audience")).to_have_value("handlers")  # the flow of "other document"
    page.select_option("#id_doc_type", "vat_return")
    expect(page.locator("#id_audience")).to_have_value("directors")  # fetched by htmx
    expect(page.locator("#id_due_date")).to_have_value((timezone.localdate() + timedelta(days=10)).isoformat())
    page.select_option("#id_required", "all")
    page.set_input_files("#id_files", files=[{"name": "btw-q3.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#publish-submit")
    expect(page.locator(".message.success")).to_be_visible()

    approval = Request.objects.get()
    assert (approval.audience, approval.required, approval.due_date) == (
        "directors",
        "all",
        timezone.localdate() + timedelta(days=10),
    )
    page.goto(f"{base}{reverse('approvals_staff:list')}")
    page.click(f"#approval-{approval.public_id} a")
    expect(page.locator("#version-sha256")).to_have_text(approval.version.sha256)
