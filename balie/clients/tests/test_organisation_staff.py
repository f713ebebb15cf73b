"""The firm's side of clients' data changes (ORG-3, FIRM-3): inbox, review, policy, history."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import ChangeLogEntry, ChangeRequest, Client
from balie.clients.organisation import change_request_approve, change_request_create
from balie.clients.services import membership_create
from balie.core.testing import race, skip_unless_postgresql
from balie.firms.factories import StaffMemberFactory
from balie.notifications.models import EventKind, Notification

pytestmark = pytest.mark.django_db


def nl(text: str) -> str:
    with translation.override("nl"):
        return translation.gettext(text)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def propose(client_, user, **values) -> ChangeRequest:
    base = {name: getattr(client_, name) for name in ("name", "street", "postal_code", "city", "email", "phone")}
    return change_request_create(client=client_, actor=user, values={**base, **values})


def request_url(name, change_request):
    return reverse(f"organisation_staff:{name}", kwargs={"request": change_request.public_id})


# -- The inbox -------------------------------------------------------------------------------------


def test_inbox_lists_the_firms_pending_requests_oldest_first(client, personas):
    first = propose(personas.holding, personas.client_user, city="Zeist")
    ChangeRequest.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    second = propose(personas.company, personas.client_user, city="Utrecht", street="Kerkplein 2")
    propose(personas.outsider_client, personas.outsider, city="Groningen")  # firm B's
    done = propose(personas.private, personas.client_user, city="Baarn")
    change_request_approve(change_request=done, actor=personas.staff.user)

    client.force_login(personas.staff.user)
    response = client.get(reverse("organisation_staff:requests"))
    assert list(response.context["page"]) == [first, second]
    page = response.content.decode()
    assert "Bakker Holding B.V." in page and "Visser B.V." not in page
    assert request_url("request", second) in page

    decided = client.get(reverse("organisation_staff:requests"), {"status": "decided"})
    assert list(decided.context["page"]) == [done]


def test_the_other_firms_staff_sees_none_of_it(client, personas):
    request = propose(personas.company, personas.client_user, city="Zeist")
    client.force_login(personas.outsider_staff.user)
    assert list(client.get(reverse("organisation_staff:requests")).context["page"]) == []
    for name, method in (("request", "get"), ("approve", "post"), ("reject", "post")):
        response = getattr(client, method)(request_url(name, request), {"note": "Nee"})
        assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    assert Client.objects.get(pk=personas.company.pk).city == ""


def test_a_client_has_no_inbox(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse("organisation_staff:requests")).status_code == 404


def test_inbox_keeps_a_constant_number_of_queries(client, personas, django_assert_max_num_queries):
    def environments(count):
        for _ in range(count):
            environment = ClientFactory(firm=personas.firm)
            propose(environment, MembershipFactory(client=environment).user, city="Zeist")

    client.force_login(personas.staff.user)
    url = reverse("organisation_staff:requests")
    environments(3)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    environments(27)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"]) == 25
    with django_assert_max_num_queries(len(few)):
        client.get(url, {"status": "decided"})


# -- Review ----------------------------------------------------------------------------------------


def test_the_review_page_shows_current_and_proposed_side_by_side_and_flags_later_changes(client, personas):
    company = personas.company
    request = propose(company, personas.client_user, city="Zeist", street="Kerkplein 2")
    Client.objects.filter(pk=company.pk).update(street="Stationsweg 9")  # changed by the firm meanwhile
    client.force_login(personas.staff.user)
    response = client.get(request_url("request", request))
    rows = {row["name"]: row for row in response.context["rows"]}
    assert rows["city"]["current"] == "" and rows["city"]["new"] == "Zeist" and not rows["city"]["changed_since"]
    assert rows["street"]["current"] == "Stationsweg 9" and rows["street"]["changed_since"]
    page = response.content.decode()
    assert page.count("data-changed-since") == 1
    assert 'id="approve-request"' in page and 'id="reject-request"' in page


def test_approve_applies_records_history_and_tells_the_client(client, personas):
    company = personas.company
    request = propose(company, personas.client_user, city="Zeist", postal_code="3701 AB")
    Notification.objects.all().delete()
    client.force_login(personas.staff.user)
    response = client.post(request_url("approve", request))
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.city, company.postal_code) == ("Zeist", "3701 AB")
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPROVED
    assert request.decided_by == personas.staff.user and request.decided_at is not None
    entry = ChangeLogEntry.objects.get(client=company)
    assert entry.via == ChangeLogEntry.Via.REQUEST
    assert entry.change_request == request
    assert entry.actor == personas.staff.user
    assert entry.changes == [["postal_code", "", "3701 AB"], ["city", "", "Zeist"]]
    notice = Notification.objects.get()
    assert notice.user == personas.client_user and notice.kind == EventKind.DETAILS
    assert notice.link == reverse("organisation:detail", args=[company.public_id])
    # The client now sees the new data, and no pending request.
    client.force_login(personas.client_user)
    page = client.get(reverse("organisation:detail", args=[company.public_id])).content.decode()
    assert "Zeist" in page and 'id="pending-request"' not in page


def test_approving_what_is_no_longer_valid_shows_why_and_changes_nothing(client, personas):
    company = personas.company
    request = ChangeRequest.objects.create(
        client=company,
        requested_by=personas.client_user,
        old_values={"postal_code": "", "city": ""},
        new_values={"postal_code": "1234 SS", "city": "Zeist"},
    )
    client.force_login(personas.staff.user)
    response = client.post(request_url("approve", request))
    assert response.status_code == 400
    assert nl("Enter a Dutch postcode such as 1234 AB.") in response.content.decode()
    company.refresh_from_db()
    assert (company.postal_code, company.city) == ("", "")
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    assert not ChangeLogEntry.objects.exists()


def test_reject_needs_a_note_and_then_changes_nothing_but_tells_the_client(client, personas):
    company = personas.company
    request = propose(company, personas.client_user, city="Zeist")
    Notification.objects.all().delete()
    client.force_login(personas.staff.user)
    response = client.post(request_url("reject", request), {"note": "  "})
    assert response.status_code == 400
    assert nl("Write why you reject the change; the client reads this note.") in response.content.decode()
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    assert not Notification.objects.exists()

    response = client.post(request_url("reject", request), {"note": "Zeist is niet uw vestigingsplaats."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED
    assert request.note == "Zeist is niet uw vestigingsplaats." and request.decided_by == personas.staff.user
    assert Client.objects.get(pk=company.pk).city == ""
    assert not ChangeLogEntry.objects.exists()
    notice = Notification.objects.get()
    assert notice.user == personas.client_user and notice.kind == EventKind.DETAILS
    assert "Zeist is niet uw vestigingsplaats." in notice.title


def test_a_second_decision_is_refused_as_already_handled(client, personas):
    request = propose(personas.company, personas.client_user, city="Zeist")
    colleague = StaffMemberFactory(firm=personas.firm)
    client.force_login(personas.staff.user)
    client.post(request_url("approve", request))
    client.force_login(colleague.user)
    for name in ("approve", "reject"):
        response = client.post(request_url(name, request), {"note": "Toch niet"})
        assert response.status_code == 302
        assert flashed(response)[-1] == nl(
            "This change request has already been handled, perhaps by a colleague just now."
        )
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPROVED and request.decided_by == personas.staff.user
    assert ChangeLogEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_apply_it_once():
    skip_unless_postgresql()
    from balie.firms.factories import FirmFactory

    firm = FirmFactory()
    deciders = [StaffMemberFactory(firm=firm).user for _ in range(3)]
    for _ in range(5):
        environment = ClientFactory(firm=firm)
        requester = UserFactory()  # the service does not ask who may; the views do
        membership_create(client=environment, user=requester, role="admin")  # told while a member
        request = propose(environment, requester, city="Zeist")
        outcomes = race(lambda user, r=request: change_request_approve(change_request=r, actor=user), deciders)
        assert outcomes == ["handled", "handled", "ok"]
        assert ChangeLogEntry.objects.filter(client=environment).count() == 1
        assert Notification.objects.filter(user=requester).count() == 1


# -- Policy --------------------------------------------------------------------------------------


def test_only_firm_administrators_reach_the_policy_page(client, personas):
    """Other staff get 404, like every firm setting (``firm_admin_required``): the page does not exist for them."""
    colleague = StaffMemberFactory(firm=personas.firm)
    client.force_login(colleague.user)
    url = reverse("organisation_staff:policy")
    assert client.get(url).status_code == 404
    assert client.post(url, {"change_policy": "direct"}).status_code == 404
    personas.firm.refresh_from_db()
    assert personas.firm.change_policy == "review"


def test_an_administrator_sets_the_firms_policy(client, personas):
    client.force_login(personas.staff.user)
    url = reverse("organisation_staff:policy")
    assert client.get(url).context["form"].initial["change_policy"] == "review"
    response = client.post(url, {"change_policy": "direct"})
    assert response.status_code == 302
    personas.firm.refresh_from_db()
    assert personas.firm.change_policy == "direct"
    assert client.post(url, {"change_policy": "anders"}).status_code == 400
    personas.firm.refresh_from_db()
    assert personas.firm.change_policy == "direct"


def staff_edit_data(environment, **overrides):
    data = {
        "kind": environment.kind,
        "name": environment.name,
        "number": environment.number,
        "kvk_number": environment.kvk_number,
        "legal_form": environment.legal_form,
        "street": environment.street,
        "postal_code": environment.postal_code,
        "city": environment.city,
        "email": environment.email,
        "phone": environment.phone,
        "change_policy": environment.change_policy,
        "relationship_managers": [m.pk for m in environment.relationship_managers.all()],
    }
    if environment.parent_id:
        data["parent"] = environment.parent_id
    data.update(overrides)
    return data


def test_an_environments_own_policy_is_set_on_its_edit_page_and_wins(client, personas):
    company = personas.company
    client.force_login(personas.staff.user)
    edit = reverse("clients:staff_edit", args=[company.public_id])
    choices = dict(client.get(edit).context["form"].fields["change_policy"].choices)
    assert "" in choices  # empty: as set for the firm
    client.post(edit, staff_edit_data(company, change_policy="direct"))
    company.refresh_from_db()
    assert company.change_policy == "direct" and company.effective_change_policy == "direct"
    assert personas.firm.change_policy == "review"
    policy = client.get(reverse("organisation_staff:policy")).content.decode()
    assert "Bakker B.V." in policy  # listed as having its own setting


# -- Staff edits and the history ------------------------------------------------------------------


def test_a_staff_edit_is_recorded_in_the_history_without_relationship_managers(client, personas):
    company = personas.company
    colleague = StaffMemberFactory(firm=personas.firm)
    client.force_login(personas.staff.user)
    edit = reverse("clients:staff_edit", args=[company.public_id])
    client.post(edit, staff_edit_data(company, city="Zeist", relationship_managers=[colleague.pk]))
    entry = ChangeLogEntry.objects.get(client=company)
    assert entry.via == ChangeLogEntry.Via.FIRM and entry.subject == ChangeLogEntry.Subject.ORGANISATION
    assert entry.actor == personas.staff.user
    assert entry.changes == [["city", "", "Zeist"]]
    # Only the relationship managers changed: nothing to record.
    client.post(edit, staff_edit_data(Client.objects.get(pk=company.pk), relationship_managers=[]))
    assert ChangeLogEntry.objects.count() == 1


def test_the_holding_is_recorded_by_its_name(client, personas):
    other = ClientFactory(firm=personas.firm, kind=Client.Kind.HOLDING, name="Nieuwe Holding B.V.")
    client.force_login(personas.staff.user)
    client.post(
        reverse("clients:staff_edit", args=[personas.company.public_id]),
        staff_edit_data(personas.company, parent=other.pk),
    )
    assert ChangeLogEntry.objects.get().changes == [["parent", "Bakker Holding B.V.", "Nieuwe Holding B.V."]]


def test_staff_see_an_environments_history(client, personas):
    request = propose(personas.company, personas.client_user, city="Zeist")
    change_request_approve(change_request=request, actor=personas.staff.user)
    client.force_login(personas.staff.user)
    response = client.get(reverse("organisation_staff:history", args=[personas.company.public_id]))
    assert len(response.context["rows"]) == 1
    assert "Zeist" in response.content.decode()
    client.force_login(personas.outsider_staff.user)
    assert client.get(reverse("organisation_staff:history", args=[personas.company.public_id])).status_code == 404


def test_the_staff_detail_panel_shows_the_pending_request_and_the_latest_changes(client, personas):
    company = personas.company
    client.force_login(personas.staff.user)
    detail = reverse("clients:staff_detail", args=[company.public_id])
    page = client.get(detail).content.decode()
    assert 'id="org-pending-none"' in page
    assert reverse("organisation_staff:history", args=[company.public_id]) in page

    for city in ("Amersfoort", "Baarn", "Culemborg", "Delft"):
        change_request_approve(
            change_request=propose(company, personas.client_user, city=city), actor=personas.staff.user
        )
        company.refresh_from_db()
    pending = propose(company, personas.client_user, city="Epe")
    page = client.get(detail).content.decode()
    assert request_url("request", pending) in page
    recent = page.split('id="org-recent"')[1].split("</ul>")[0]
    assert recent.count("<li>") == 3


def test_the_staff_detail_panel_costs_two_queries_whatever_the_history(personas, django_assert_num_queries):
    from django.template.loader import render_to_string

    from balie.clients.selectors import get_client_for_staff

    company = personas.company
    propose(company, personas.client_user, city="Epe")
    for count in (3, 30):
        for number in range(count):
            ChangeLogEntry.objects.create(
                client=company,
                actor=personas.staff.user if number % 2 else personas.client_user,
                subject=ChangeLogEntry.Subject.ORGANISATION,
                via=ChangeLogEntry.Via.FIRM,
                changes=[["city", "A", f"B{number}"]],
            )
        environment = get_client_for_staff(staff=personas.staff, client_public_id=company.public_id)
        with django_assert_num_queries(2):  # the pending request; the latest entries with their people
            html = render_to_string("clients/staff/partials/_org_changes_panel.html", {"client": environment})
        assert html.count("<li>") == 3


@pytest.mark.django_db(transaction=True)
def test_two_requests_sent_at_once_leave_one_pending():
    skip_unless_postgresql()
    for _ in range(5):
        environment = ClientFactory()
        senders = [UserFactory() for _ in range(3)]
        outcomes = race(lambda user, e=environment: propose(e, user, city=f"Stad {user.pk}"), senders)
        assert outcomes == ["ok", "pending", "pending"]
        assert ChangeRequest.objects.filter(client=environment, status="pending").count() == 1
