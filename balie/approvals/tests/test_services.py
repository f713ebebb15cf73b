"""The approval services (APR-1 .. APR-5, APR-7, BEY-2): asking, deciding, thresholds, chaining,
sending now or later, withdrawing and replacing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from balie.approvals import decisions, sending, services
from balie.approvals.flows import flow_for
from balie.approvals.models import Decision, Flow, Request, Submission
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors, confirmation, document, new_version
from balie.dossiers.tests.utils import PDF
from balie.notifications.models import EventKind, Notification
from balie.todos.models import Todo
from balie.todos.selectors import todo_list_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read titles and messages; they read them in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def bv(personas):
    return company_with_directors(personas)


@pytest.fixture
def vat(personas, bv):
    return document(bv.client, actor=personas.staff.user)


def ask(vat, staff_user, **settings):
    defaults = {"audience": "directors", "after": "firm_software"}
    return services.request_create(document=vat, actor=staff_user, **{**defaults, **settings})


def decide(approval, user, outcome="approved", comment="", **extra):
    return decisions.request_decide(
        approval=approval, user=user, outcome=outcome, comment=comment, confirmation=confirmation(), **extra
    )


def titles(user, kind=EventKind.REQUEST):
    # As the bell shows them in the active language (English here); stored per recipient's language.
    return [item.display_title for item in Notification.objects.filter(user=user, kind=kind).order_by("pk")]


# -- flows (APR-1) ------------------------------------------------------------------------------


def test_default_flows_are_those_of_apr_1(personas):
    firm = personas.firm
    vat = flow_for(firm=firm, doc_type="vat_return")
    assert (vat.mode, vat.audience, vat.required, vat.after) == ("approve", "directors", "one", "firm_software")
    for doc_type in ("income_tax_return", "corporate_tax_return"):
        spec = flow_for(firm=firm, doc_type=doc_type)
        assert (spec.mode, spec.audience, spec.required, spec.after) == ("approve", "handlers", "one", "digipoort")
    assert flow_for(firm=firm, doc_type="concept_return").mode == "info"
    review = flow_for(firm=firm, doc_type="concept_annual_accounts")
    assert (review.mode, review.audience) == ("review", "handlers")
    assert flow_for(firm=firm, doc_type="representation_letter").mode == "sign"
    assert flow_for(firm=firm, doc_type="annual_accounts").mode == "sign"
    publication = flow_for(firm=firm, doc_type="publication")
    assert (publication.mode, publication.audience, publication.after) == ("approve", "directors", "digipoort")
    for doc_type in ("credit_report", "engagement_letter", "letter", "other"):
        spec = flow_for(firm=firm, doc_type=doc_type)
        assert (spec.mode, spec.audience, spec.required, spec.after) == ("approve", "handlers", "one", "nothing")


def test_a_firms_own_flow_replaces_the_default(personas):
    Flow.objects.create(
        firm=personas.firm, doc_type="vat_return", mode="approve", audience="handlers", required="all", due_days=7
    )
    spec = flow_for(firm=personas.firm, doc_type="vat_return")
    assert (spec.audience, spec.required, spec.after, spec.due_days) == ("handlers", "all", "nothing", 7)
    assert flow_for(firm=personas.other_firm, doc_type="vat_return").audience == "directors"


# -- asking -------------------------------------------------------------------------------------


def test_directors_each_get_the_task_and_a_notification(personas, bv, vat):
    approval = ask(vat, personas.staff.user)
    assert approval.status == Status.OPEN and approval.version == vat.current_version
    todo = Todo.objects.get()
    assert (todo.kind, todo.audience, todo.target) == ("approve", "named", approval)
    assert set(todo.assignees.all()) == set(bv.directors)
    for director in bv.directors:
        assert titles(director) == ["Please approve: Aangifte omzetbelasting Q3"]
        assert list(todo_list_for_user(user=director)) == [todo]
    assert list(todo_list_for_user(user=bv.handler)) == []
    assert Notification.objects.get(user=bv.directors[0], kind=EventKind.REQUEST).link == approval.get_absolute_url()
    assert approval.get_absolute_url() == f"/o/{bv.client.public_id}/accordering/{approval.public_id}/"


def test_handlers_share_one_task(personas, bv, vat):
    approval = ask(vat, personas.staff.user, audience="handlers", after="nothing")
    todo = Todo.objects.get()
    assert (todo.audience, todo.target) == ("handlers", approval)
    assert list(todo_list_for_user(user=bv.handler)) == [todo]
    assert list(todo_list_for_user(user=bv.employee)) == []
    assert titles(bv.handler) == ["Please approve: Aangifte omzetbelasting Q3"]
    assert titles(bv.directors[0]) == []


def test_named_people_get_the_task(personas, bv, vat):
    approval = ask(vat, personas.staff.user, audience="named", named=[bv.employee])
    assert set(approval.named.all()) == {bv.employee}
    todo = Todo.objects.get()
    assert (todo.audience, set(todo.assignees.all())) == ("named", {bv.employee})
    assert titles(bv.employee) == ["Please approve: Aangifte omzetbelasting Q3"]


def test_named_outsiders_are_refused(personas, bv, vat):
    with pytest.raises(ValidationError) as error:
        ask(vat, personas.staff.user, audience="named", named=[personas.outsider])
    assert error.value.code == "not_member"
    assert not Request.objects.exists() and not Todo.objects.exists()


def test_directors_are_refused_where_no_director_has_access(personas):
    client = personas.company  # its only director is the client user: take the flag away
    client.memberships.update(is_director=False)
    doc = document(client, actor=personas.staff.user)
    with pytest.raises(ValidationError) as error:
        ask(doc, personas.staff.user)
    assert error.value.code == "no_directors"
    assert "Nobody in Bakker B.V. is a director with access to the portal" in error.value.messages[0]
    assert not Request.objects.exists() and not Todo.objects.exists()


def test_signing_is_not_an_approval_request(personas, vat):
    with pytest.raises(ValidationError) as error:
        ask(vat, personas.staff.user, kind="sign")
    assert error.value.code == "sign"


def test_publishing_a_vat_return_for_approval_asks_its_directors(personas, bv):
    from balie.dossiers.services import document_publish, dossier_create

    dossier = dossier_create(client=bv.client, description="Belastingen")
    [doc] = document_publish(
        dossier=dossier,
        uploads=[SimpleUploadedFile("btw-q3.pdf", PDF, content_type="application/pdf")],
        folder=None,
        doc_type="vat_return",
        year=2025,
        period="Q3",
        direction="firm",
        message="",
        request_kind="approve",
        actor=personas.staff.user,
    )
    approval = Request.objects.get(document=doc)
    assert (approval.kind, approval.audience, approval.required, approval.after) == (
        "approve",
        "directors",
        "one",
        "firm_software",
    )
    assert Todo.objects.get().target == approval


def test_publishing_for_approval_without_a_director_publishes_nothing(personas):
    from balie.dossiers.models import Document
    from balie.dossiers.services import document_publish, dossier_create

    personas.company.memberships.update(is_director=False)
    dossier = dossier_create(client=personas.company, description="Belastingen")
    with pytest.raises(ValidationError) as error:
        document_publish(
            dossier=dossier,
            uploads=[SimpleUploadedFile("btw-q3.pdf", PDF, content_type="application/pdf")],
            folder=None,
            doc_type="vat_return",
            year=2025,
            period="Q3",
            direction="firm",
            message="",
            request_kind="approve",
            actor=personas.staff.user,
        )
    assert error.value.code == "no_directors"
    assert not Document.objects.exists() and not Request.objects.exists()


# -- deciding -----------------------------------------------------------------------------------


def test_one_approval_settles_it_and_the_other_director_is_told(personas, bv, vat):
    a, b = bv.directors
    approval = ask(vat, personas.staff.user, after="nothing")
    decision = decide(approval, a, comment="Klopt", ip_address="192.0.2.7", user_agent="Firefox")
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED and approval.settled_by == a  # nothing follows: stays approved
    assert (decision.outcome, decision.comment, decision.ip_address, decision.user_agent) == (
        "approved",
        "Klopt",
        "192.0.2.7",
        "Firefox",
    )
    assert decision.version_sha256 == vat.current_version.sha256 and decision.factor == "sms"
    assert decision.challenge_id
    todo = Todo.objects.get()
    assert (todo.status, todo.handled_by) == ("done", a)
    assert list(todo_list_for_user(user=b)) == []
    assert titles(b)[-1] == "Aangifte omzetbelasting Q3 has been approved by DirecteurA Jansen"
    assert titles(personas.staff.user) == ["DirecteurA Jansen approved Aangifte omzetbelasting Q3 (Jansen B.V.)"]

    with pytest.raises(ValidationError) as error:
        decide(approval, b)
    assert error.value.code == "settled"
    assert error.value.messages[0].startswith("Already approved by DirecteurA Jansen on ")
    assert Decision.objects.count() == 1


def test_with_all_required_each_approval_counts_and_the_last_settles(personas, bv, vat):
    a, b = bv.directors
    approval = ask(vat, personas.staff.user, required="all", after="nothing")
    decide(approval, a)
    approval.refresh_from_db()
    assert approval.status == Status.OPEN
    todo = Todo.objects.get()
    assert set(todo.assignees.all()) == {b}  # gone from A's list, still on B's
    assert list(todo_list_for_user(user=a)) == [] and list(todo_list_for_user(user=b)) == [todo]
    with pytest.raises(ValidationError) as error:
        decide(approval, a)
    assert error.value.code == "decided"
    decide(approval, b)
    approval.refresh_from_db()
    assert (approval.status, approval.settled_by) == (Status.APPROVED, b)
    assert Todo.objects.get().status == "done"
    assert len(titles(personas.staff.user)) == 2  # the firm hears of every decision


def test_any_rejection_settles_it_and_needs_a_reason(personas, bv, vat):
    a, b = bv.directors
    approval = ask(vat, personas.staff.user, required="all")
    with pytest.raises(ValidationError) as error:
        decide(approval, a, outcome="rejected", comment="  ")
    assert error.value.code == "reason"
    assert error.value.messages == ["Give the reason why you do not approve."]
    assert not Decision.objects.exists()

    decide(approval, a, outcome="rejected", comment="Omzet Q3 klopt niet")
    approval.refresh_from_db()
    assert (approval.status, approval.settled_by) == (Status.REJECTED, a)
    assert Todo.objects.get().status == "done"
    assert titles(b)[-1] == "Aangifte omzetbelasting Q3 has been rejected by DirecteurA Jansen"
    assert titles(personas.staff.user) == [
        "DirecteurA Jansen did not approve Aangifte omzetbelasting Q3 (Jansen B.V.): Omzet Q3 klopt niet"
    ]
    with pytest.raises(ValidationError) as error:
        decide(approval, b)
    assert error.value.code == "settled" and "Already rejected by DirecteurA Jansen" in error.value.messages[0]


def test_someone_not_asked_cannot_decide_and_nothing_is_recorded(personas, bv, vat):
    approval = ask(vat, personas.staff.user, audience="handlers")
    for person in (bv.employee, bv.directors[0], personas.outsider, personas.staff.user):
        with pytest.raises(ValidationError) as error:
            decide(approval, person)
        assert error.value.code == "not_asked"
    approval.refresh_from_db()
    assert approval.status == Status.OPEN and not Decision.objects.exists()


def test_an_ended_membership_ends_the_right_to_decide(personas, bv, vat):
    import datetime

    approval = ask(vat, personas.staff.user)
    bv.client.memberships.filter(user=bv.directors[0]).update(ends_on=datetime.date(2020, 1, 1))
    with pytest.raises(ValidationError) as error:
        decide(approval, bv.directors[0])
    assert error.value.code == "not_asked"


def test_a_decision_needs_a_confirmation(personas, bv, vat):
    approval = ask(vat, personas.staff.user)
    with pytest.raises(ValidationError) as error:
        decisions.request_decide(approval=approval, user=bv.directors[0], outcome="approved", confirmation=None)
    assert error.value.code == "confirmation"
    assert not Decision.objects.exists()


def test_decisions_are_never_changed_or_deleted(personas, bv, vat):
    decision = decide(ask(vat, personas.staff.user), bv.directors[0])
    decision.comment = "later aangepast"
    with pytest.raises(ValueError):
        decision.save()
    with pytest.raises(ValueError):
        decision.delete()


def test_a_review_is_acknowledged_and_completed(personas, bv):
    draft = document(
        bv.client, actor=personas.staff.user, title="Conceptjaarrekening", doc_type="concept_annual_accounts"
    )
    approval = services.request_create(document=draft, actor=personas.staff.user, kind="review")
    with pytest.raises(ValidationError) as error:
        decide(approval, bv.handler)
    assert error.value.code == "kind"
    decision = decisions.request_acknowledge(approval=approval, user=bv.handler)
    approval.refresh_from_db()
    assert (approval.status, decision.outcome) == (Status.COMPLETED, "acknowledged")
    assert Todo.objects.get().status == "done"


def test_a_decision_given_outside_the_portal_is_marked_and_settles(personas, bv, vat):
    a, _b = bv.directors
    approval = ask(vat, personas.staff.user, after="nothing")
    with pytest.raises(ValidationError) as error:
        decisions.decision_record_outside(
            approval=approval, user=a, outcome="approved", note=" ", recorded_by=personas.staff.user
        )
    assert error.value.code == "note"
    with pytest.raises(ValidationError) as error:
        decisions.decision_record_outside(
            approval=approval, user=a, outcome="approved", note="Per telefoon", recorded_by=personas.outsider_staff.user
        )
    assert error.value.code == "not_staff"
    decision = decisions.decision_record_outside(
        approval=approval,
        user=a,
        outcome="approved",
        note="Getekend op papier, 3 maart",
        recorded_by=personas.staff.user,
    )
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED
    assert (decision.factor, decision.recorded_by, decision.outside_note) == (
        "outside",
        personas.staff.user,
        "Getekend op papier, 3 maart",
    )
    assert decision.version_sha256 == vat.current_version.sha256


# -- chaining (BEY-2) ---------------------------------------------------------------------------


def test_a_waiting_step_opens_when_the_one_before_is_approved(personas, bv, vat):
    minutes = document(bv.client, actor=personas.staff.user, title="Notulen AVA", doc_type="other")
    first = ask(vat, personas.staff.user, after="nothing")
    second = services.request_create(document=minutes, actor=personas.staff.user, audience="handlers", waits_for=first)
    assert second.status == Status.WAITING
    assert Todo.objects.filter(target_id=str(second.pk)).count() == 0
    assert titles(bv.handler) == []  # no task, no e-mail while it waits
    with pytest.raises(ValidationError) as error:
        decisions.request_decide(approval=second, user=bv.handler, outcome="approved", confirmation=confirmation())
    assert error.value.code == "waiting" and "Aangifte omzetbelasting Q3" in error.value.messages[0]

    decide(first, bv.directors[0])
    second.refresh_from_db()
    assert second.status == Status.OPEN
    todo = Todo.objects.get(target_id=str(second.pk))
    assert (todo.audience, todo.status) == ("handlers", "open")
    assert titles(bv.handler) == ["Please approve: Notulen AVA"]


def test_steps_waiting_for_a_rejected_one_are_withdrawn_and_the_firm_is_told(personas, bv, vat):
    minutes = document(bv.client, actor=personas.staff.user, title="Notulen AVA", doc_type="other")
    letter = document(bv.client, actor=personas.staff.user, title="Brief aandeelhouders", doc_type="letter")
    first = ask(vat, personas.staff.user)
    second = services.request_create(document=minutes, actor=personas.staff.user, waits_for=first)
    third = services.request_create(document=letter, actor=personas.staff.user, waits_for=second)
    decide(first, bv.directors[0], outcome="rejected", comment="Fout")
    for step in (second, third):  # it would have waited forever; what waits for it too
        step.refresh_from_db()
        assert step.status == Status.WITHDRAWN
    assert titles(personas.staff.user)[-1] == (
        "Aangifte omzetbelasting Q3 was not approved (Jansen B.V.); the steps waiting for it are withdrawn: "
        "Notulen AVA, Brief aandeelhouders"
    )
    with pytest.raises(ValidationError) as error:
        decisions.request_decide(approval=second, user=bv.handler, outcome="approved", confirmation=confirmation())
    assert error.value.code == "withdrawn"


def test_steps_waiting_for_a_withdrawn_one_are_withdrawn_and_the_firm_is_told(personas, bv, vat):
    minutes = document(bv.client, actor=personas.staff.user, title="Notulen AVA", doc_type="other")
    first = ask(vat, personas.staff.user)
    second = services.request_create(document=minutes, actor=personas.staff.user, audience="handlers", waits_for=first)
    services.request_withdraw(approval=first, actor=personas.staff.user)
    second.refresh_from_db()
    assert second.status == Status.WITHDRAWN
    assert titles(personas.staff.user)[-1] == (
        "Aangifte omzetbelasting Q3 was withdrawn (Jansen B.V.); the steps waiting for it are withdrawn too: "
        "Notulen AVA"
    )
    assert titles(bv.handler) == []  # never asked while it waited: nothing to tell them


# -- withdrawn and replaced ---------------------------------------------------------------------


def test_a_withdrawn_request_cannot_be_decided(personas, bv, vat):
    approval = ask(vat, personas.staff.user)
    services.request_withdraw(approval=approval, actor=personas.staff.user)
    assert Todo.objects.get().status == "closed"
    assert titles(bv.directors[1])[-1] == "The firm has withdrawn the request about Aangifte omzetbelasting Q3"
    with pytest.raises(ValidationError) as error:
        decide(approval, bv.directors[0])
    assert error.value.code == "withdrawn"
    assert not Decision.objects.exists()


def test_a_new_version_replaces_the_request_and_keeps_the_old_decisions(personas, bv, vat):
    a, b = bv.directors
    approval = ask(vat, personas.staff.user, required="all")
    decide(approval, a)
    version = new_version(vat, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.REPLACED
    assert approval.decisions.count() == 1  # on record
    new = Request.objects.get(replaces=approval)
    assert (new.status, new.version, new.required, new.audience, new.after) == (
        Status.OPEN,
        version,
        "all",
        "directors",
        "firm_software",
    )
    with pytest.raises(ValidationError) as error:
        decide(approval, b)
    assert error.value.code == "replaced"
    assert Todo.objects.get(target_id=str(approval.pk)).status == "closed"
    assert set(Todo.objects.get(target_id=str(new.pk)).assignees.all()) == {a, b}  # everyone again
    decision = decide(new, a)
    assert decision.version_sha256 == version.sha256 != approval.version.sha256


def test_replace_without_a_new_version_is_refused(personas, vat):
    approval = ask(vat, personas.staff.user)
    with pytest.raises(ValidationError) as error:
        services.request_replace(approval=approval, actor=personas.staff.user)
    assert error.value.code == "same_version"


def test_withdrawing_the_document_withdraws_its_request(personas, bv, vat):
    from balie.dossiers.services import document_withdraw

    approval = ask(vat, personas.staff.user)
    document_withdraw(document=vat, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN
    assert Todo.objects.get().status == "closed"


def approved_not_sent(vat, staff_user, director, *, later=False):
    approval = ask(vat, staff_user)  # something follows the approval: the firm's software hears of it
    decide(approval, director)
    if later:
        sending.request_send(approvals=[approval], actor=director, later=True)
    approval.refresh_from_db()
    assert approval.status == (Status.READY_TO_SEND if later else Status.APPROVED)
    return approval


@pytest.mark.parametrize("later", [False, True], ids=["approved", "ready_to_send"])
def test_the_firm_can_withdraw_a_request_approved_but_not_sent_yet(personas, bv, vat, later):
    a = bv.directors[0]
    approval = approved_not_sent(vat, personas.staff.user, a, later=later)
    services.request_withdraw(approval=approval, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN
    assert approval.decisions.count() == 1  # the approval stays on record
    assert titles(bv.directors[1])[-1] == "The firm has withdrawn the request about Aangifte omzetbelasting Q3"
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=a, later=False)
    assert error.value.code == "withdrawn"
    result = sending.requests_send_batch(approvals=[approval], actor=a, confirmation=confirmation())
    assert result.sent == [] and result.skipped == [(approval, "The firm has withdrawn it.")]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("later", [False, True], ids=["approved", "ready_to_send"])
def test_withdrawing_the_document_stops_a_request_approved_but_not_sent_yet(personas, bv, vat, later):
    from balie.dossiers.services import document_withdraw

    a = bv.directors[0]
    approval = approved_not_sent(vat, personas.staff.user, a, later=later)
    document_withdraw(document=vat, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN
    for later_too in (False, True):
        with pytest.raises(ValidationError):
            sending.request_send(approvals=[approval], actor=a, later=later_too)
    assert not Submission.objects.exists()


@pytest.mark.parametrize("later", [False, True], ids=["approved", "ready_to_send"])
def test_a_new_version_replaces_a_request_approved_but_not_sent_yet(personas, bv, vat, later):
    a, b = bv.directors
    approval = approved_not_sent(vat, personas.staff.user, a, later=later)
    version = new_version(vat, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.REPLACED
    assert approval.decisions.get().outcome == "approved"  # the old decision stays on record
    new = Request.objects.get(replaces=approval)
    assert (new.status, new.version, new.after) == (Status.OPEN, version, "firm_software")
    assert set(Todo.objects.get(target_id=str(new.pk)).assignees.all()) == {a, b}  # to decide on anew
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=a, later=False)
    assert error.value.code == "replaced"
    assert "replaced by a request on a new version" in error.value.messages[0]
    assert not Submission.objects.exists()


def test_request_replace_restarts_an_approved_request_not_sent_yet(personas, bv, vat):
    from balie.dossiers.models import Document

    approval = approved_not_sent(vat, personas.staff.user, bv.directors[0])
    with pytest.raises(ValidationError) as error:
        services.request_replace(approval=approval, actor=personas.staff.user)
    assert error.value.code == "same_version"
    version = new_version(vat, actor=personas.staff.user)  # replaces it already, through the document
    assert Request.objects.get(replaces=approval).version == version
    assert Document.objects.get(pk=vat.pk).current_version == version


def test_an_approved_request_with_nothing_after_it_is_over(personas, bv, vat):
    from balie.dossiers.services import document_withdraw

    approval = ask(vat, personas.staff.user, after="nothing")
    decide(approval, bv.directors[0])
    with pytest.raises(ValidationError) as error:
        services.request_withdraw(approval=approval, actor=personas.staff.user)
    assert error.value.code == "transition"
    new_version(vat, actor=personas.staff.user)
    document_withdraw(document=vat, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED  # its record as it was
    assert not Request.objects.filter(replaces=approval).exists()


def test_sending_refuses_a_withdrawn_document_or_an_earlier_version(personas, bv, vat):
    """A guard behind the statuses: whatever left the request approved, nothing on a withdrawn document
    or on a version that is no longer the current one is sent."""
    from balie.dossiers.models import Document

    a = bv.directors[0]
    approval = approved_not_sent(vat, personas.staff.user, a)
    Document.objects.filter(pk=vat.pk).update(status=Document.Status.WITHDRAWN)  # past the services
    for later in (False, True):
        with pytest.raises(ValidationError) as error:
            sending.request_send(approvals=[approval], actor=a, later=later)
        assert error.value.code == "document_withdrawn"
        assert error.value.messages == ["The firm has withdrawn the document."]

    Document.objects.filter(pk=vat.pk).update(status=Document.Status.ACTIVE)
    new_version(vat, actor=personas.staff.user)
    Request.objects.filter(pk=approval.pk).update(status=Status.READY_TO_SEND)  # as if it had not been replaced
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=a, later=False)
    assert error.value.code == "not_current"
    result = sending.requests_send_batch(approvals=[approval], actor=a, confirmation=confirmation())
    assert result.sent == [] and result.skipped == [
        (approval, "There is a newer version of the document; the approval was for an earlier version.")
    ]
    assert not Submission.objects.exists()


# -- sending (APR-3) ----------------------------------------------------------------------------


def test_send_later_gathers_it_and_send_now_files_it(personas, bv, vat):
    a = bv.directors[0]
    approval = ask(vat, personas.staff.user)
    decide(approval, a)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED  # until the person chooses
    sending.request_send(approvals=[approval], actor=a, later=True)
    approval.refresh_from_db()
    assert approval.status == Status.READY_TO_SEND
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=a, later=True)
    assert error.value.code == "not_ready" or error.value.code == "transition"
    sending.request_send(approvals=[approval], actor=a, later=False)
    approval.refresh_from_db()
    assert approval.status == Status.SUBMITTED
    submission = Submission.objects.get()
    assert (submission.request, submission.connector, submission.submitted_by) == (approval, "firm_software", a)
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=a, later=False)
    assert error.value.code == "sent"
    assert Submission.objects.count() == 1


def test_nothing_to_send_when_nothing_follows(personas, bv, vat):
    approval = ask(vat, personas.staff.user, after="nothing")
    decide(approval, bv.directors[0])
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=bv.directors[0], later=True)
    assert error.value.code == "nothing_to_send"


def test_someone_not_asked_cannot_send(personas, bv, vat):
    approval = ask(vat, personas.staff.user)
    decide(approval, bv.directors[0])
    with pytest.raises(ValidationError) as error:
        sending.request_send(approvals=[approval], actor=bv.employee, later=False)
    assert error.value.code == "not_asked"
    assert not Submission.objects.exists()


def test_a_batch_sends_the_rest_when_one_was_withdrawn_meanwhile(personas, bv):
    a = bv.directors[0]
    approvals = []
    for quarter in ("Q1", "Q2", "Q3"):
        doc = document(bv.client, actor=personas.staff.user, title=f"Btw {quarter}", period=quarter)
        approval = ask(doc, personas.staff.user)
        decide(approval, a)
        sending.request_send(approvals=[approval], actor=a, later=True)
        approvals.append(approval)
    services.request_withdraw(approval=approvals[1], actor=personas.staff.user)
    result = sending.requests_send_batch(approvals=approvals, actor=a, confirmation=confirmation())
    assert [each.pk for each in result.sent] == [approvals[0].pk, approvals[2].pk]
    assert [(each.pk, reason) for each, reason in result.skipped] == [(approvals[1].pk, "The firm has withdrawn it.")]
    assert set(Submission.objects.values_list("request_id", flat=True)) == {approvals[0].pk, approvals[2].pk}
    assert set(Request.objects.values_list("status", flat=True)) == {Status.SUBMITTED, Status.WITHDRAWN}
    again = sending.requests_send_batch(approvals=approvals, actor=a, confirmation=confirmation())
    assert again.sent == [] and len(again.skipped) == 3
    assert Submission.objects.count() == 2


def test_a_batch_needs_a_confirmation(personas, bv, vat):
    with pytest.raises(ValidationError) as error:
        sending.requests_send_batch(approvals=[], actor=bv.directors[0], confirmation=None)
    assert error.value.code == "confirmation"
