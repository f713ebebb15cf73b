"""The environment's data on the client side (ORG-2, ORG-3): view, change per policy, withdraw, history."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.clients.factories import MembershipFactory
from balie.clients.models import ChangeLogEntry, ChangeRequest, Client, Membership
from balie.clients.organisation import change_request_approve, change_request_create, change_request_reject
from balie.firms.factories import StaffMemberFactory
from balie.notifications.models import EventKind, Notification
from balie.twostep.models import StepUpChallenge

pytestmark = pytest.mark.django_db


def nl(text: str) -> str:
    """A message as the (Dutch-speaking) test users see it: translated once the catalogue has it."""
    with translation.override("nl"):
        return translation.gettext(text)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def current(client: Client) -> dict:
    return {
        "name": client.name,
        "legal_form": client.legal_form,
        "kvk_number": client.kvk_number,
        "street": client.street,
        "postal_code": client.postal_code,
        "city": client.city,
        "email": client.email,
        "phone": client.phone,
    }


@pytest.fixture
def company(personas):
    company = personas.company
    company.legal_form = "bv"
    company.kvk_number = "12345678"
    company.street = "Dorpsstraat 1"
    company.postal_code = "1234 AB"
    company.city = "Utrecht"
    company.email = "info@bakker.test"
    company.phone = "030 123 4567"
    company.save()
    return company


@pytest.fixture
def direct(company):
    company.firm.change_policy = "direct"
    company.firm.save(update_fields=["change_policy"])
    return company


@pytest.fixture
def plus(company):
    user = UserFactory(email="plus@firm-a.test", first_name="Petra", last_name="Plus")
    MembershipFactory(user=user, client=company, role=Membership.Role.EMPLOYEE_PLUS)
    return user


def edit_url(client):
    return reverse("organisation:edit", args=[client.public_id])


def detail_url(client):
    return reverse("organisation:detail", args=[client.public_id])


# -- Viewing -------------------------------------------------------------------------------------


def test_every_role_sees_the_data_but_only_a_beheerder_the_change_button(client, personas, company, plus):
    for user, may_change in ((personas.client_user, True), (plus, False), (personas.employee, False)):
        client.force_login(user)
        page = client.get(detail_url(company)).content.decode()
        for value in ("Bakker B.V.", "12345678", "Dorpsstraat 1", "1234 AB", "Utrecht", "info@bakker.test"):
            assert value in page
        assert (edit_url(company) in page) is may_change


def test_a_personal_environment_shows_no_legal_form_or_kvk_and_cannot_get_one(client, personas):
    client.force_login(personas.client_user)
    page = client.get(detail_url(personas.private))
    assert 'id="value-kvk_number"' not in page.content.decode()
    form = client.get(edit_url(personas.private)).context["form"]
    assert "kvk_number" not in form.fields and "legal_form" not in form.fields
    client.post(edit_url(personas.private), {"name": "P. Bakker", "kvk_number": "87654321", "legal_form": "bv"})
    assert ChangeRequest.objects.get(client=personas.private).new_values == {"name": "P. Bakker"}


def test_under_review_the_page_says_changes_show_after_the_firm_reviewed_them(client, personas, company):
    client.force_login(personas.client_user)
    assert 'id="review-policy"' in client.get(detail_url(company)).content.decode()
    company.change_policy = "direct"
    company.save(update_fields=["change_policy"])
    assert 'id="review-policy"' not in client.get(detail_url(company)).content.decode()


# -- Review policy: change requests -------------------------------------------------------------


def test_the_review_form_is_prefilled_and_has_send_and_reset(client, personas, company):
    client.force_login(personas.client_user)
    response = client.get(edit_url(company))
    assert response.context["form"].initial["street"] == "Dorpsstraat 1"
    page = response.content.decode()
    assert 'value="Dorpsstraat 1"' in page
    assert 'id="send-request"' in page and 'type="reset"' in page
    assert "stepup" not in page


def test_the_reset_button_of_the_change_request_form_reads_herstel(client, personas, company):
    client.force_login(personas.client_user)
    page = client.get(edit_url(company)).content.decode()
    assert '<button type="reset" class="secondary" id="reset-form">Herstel</button>' in page
    assert "Opnieuw instellen" not in page  # that is the staff's reset of two-step verification


def test_a_change_request_holds_only_the_changed_fields_and_tells_the_firm(client, personas, company):
    client.force_login(personas.client_user)
    response = client.post(edit_url(company), {**current(company), "street": "Kerkplein 2", "postal_code": "3512ab"})
    assert response.status_code == 302
    request = ChangeRequest.objects.get(client=company)
    assert request.status == ChangeRequest.Status.PENDING
    assert request.requested_by == personas.client_user
    assert request.old_values == {"street": "Dorpsstraat 1", "postal_code": "1234 AB"}
    assert request.new_values == {"street": "Kerkplein 2", "postal_code": "3512 AB"}  # normalised
    company.refresh_from_db()
    assert company.street == "Dorpsstraat 1"  # nothing applied yet
    assert flashed(response) == [
        nl(
            "Your change request has been sent. The firm reviews it; "
            "the new data shows here once the firm has approved it."
        )
    ]
    # The company's relationship manager hears of it, with a link to the review page.
    notice = Notification.objects.get(user=personas.staff.user)
    assert notice.kind == EventKind.DETAILS
    assert notice.link == reverse("organisation_staff:request", kwargs={"request": request.public_id})
    assert not ChangeLogEntry.objects.filter(client=company).exists()


def test_without_relationship_managers_the_firm_administrators_hear_of_it(client, personas):
    colleague = StaffMemberFactory(firm=personas.firm)  # not an administrator: not told
    client.force_login(personas.client_user)
    client.post(edit_url(personas.holding), {"name": "Bakker Beheer B.V."})
    assert list(Notification.objects.values_list("user", flat=True)) == [personas.staff.user.pk]
    assert not Notification.objects.filter(user=colleague.user).exists()


def test_nothing_changed_is_refused_with_a_message(client, personas, company):
    client.force_login(personas.client_user)
    response = client.post(edit_url(company), current(company))
    assert response.status_code == 400
    assert nl("Nothing has changed: change at least one field.") in response.content.decode()
    assert not ChangeRequest.objects.exists()
    assert not Notification.objects.exists()


def test_a_pending_request_is_shown_instead_of_the_form_and_a_second_is_refused(client, personas, company):
    client.force_login(personas.client_user)
    client.post(edit_url(company), {**current(company), "city": "Amersfoort"})
    response = client.get(edit_url(company))
    page = response.content.decode()
    assert response.context.get("form") is None
    assert 'id="pending-request"' in page and "Amersfoort" in page and 'id="withdraw-request"' in page

    response = client.post(edit_url(company), {**current(company), "city": "Zeist"})
    assert response.status_code == 302
    assert ChangeRequest.objects.filter(client=company).count() == 1
    assert ChangeRequest.objects.get(client=company).new_values == {"city": "Amersfoort"}
    assert nl("A change request is already waiting for review. Withdraw it first to propose other changes.") in flashed(
        response
    )


def test_the_requester_withdraws_and_may_then_send_another(client, personas, company):
    client.force_login(personas.client_user)
    client.post(edit_url(company), {**current(company), "city": "Amersfoort"})
    request = ChangeRequest.objects.get(client=company)
    detail = client.get(detail_url(company)).content.decode()
    assert 'id="withdraw-request"' in detail
    response = client.post(reverse("organisation:withdraw", args=[company.public_id, request.public_id]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.WITHDRAWN
    company.refresh_from_db()
    assert company.city == "Utrecht"
    client.post(edit_url(company), {**current(company), "city": "Zeist"})
    assert ChangeRequest.objects.get(client=company, status="pending").new_values == {"city": "Zeist"}


def test_a_requester_who_is_no_longer_beheerder_may_still_withdraw_their_own_request(client, personas, company):
    request = change_request_create(client=company, actor=personas.employee, values={**current(company), "city": "X"})
    client.force_login(personas.employee)  # a Medewerker of the company
    client.post(reverse("organisation:withdraw", args=[company.public_id, request.public_id]))
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.WITHDRAWN


def test_withdrawing_a_decided_request_changes_nothing(client, personas, company):
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "city": "X"}
    )
    change_request_reject(change_request=request, actor=personas.staff.user, note="Onbekende plaats")
    client.force_login(personas.client_user)
    response = client.post(reverse("organisation:withdraw", args=[company.public_id, request.public_id]))
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED
    assert nl("This change request has already been handled.") in flashed(response)


def test_a_request_of_another_environment_is_not_found_through_this_one(client, personas, company):
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "city": "X"}
    )
    client.force_login(personas.client_user)  # Beheerder of the holding too
    url = reverse("organisation:withdraw", args=[personas.holding.public_id, request.public_id])
    assert client.post(url).status_code == 404
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING


def test_the_outcome_and_the_rejection_note_show_on_the_detail_page(client, personas, company):
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "city": "X"}
    )
    change_request_reject(change_request=request, actor=personas.staff.user, note="Dit adres klopt niet met de KvK.")
    client.force_login(personas.client_user)
    page = client.get(detail_url(company)).content.decode()
    assert 'id="rejection-note"' in page and "Dit adres klopt niet met de KvK." in page


# -- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kvk_number", "1234567", "A KvK number has 8 digits."),
        ("kvk_number", "1234567A", "A KvK number has 8 digits."),
        ("kvk_number", "123456789", "A KvK number has 8 digits."),
        ("postal_code", "123 AB", "Enter a Dutch postcode such as 1234 AB."),
        ("postal_code", "1234 SS", "Enter a Dutch postcode such as 1234 AB."),
        ("email", "info-at-bakker.test", "Enter a valid e-mail address, such as info@example.nl."),
        ("phone", "bel me", "Enter a phone number of 10 digits, or with a country code such as +31."),
    ],
)
@pytest.mark.parametrize("policy", ["review", "direct"])
def test_bad_input_gets_its_message_and_stores_nothing(client, personas, company, field, value, message, policy):
    company.change_policy = policy
    company.save(update_fields=["change_policy"])
    client.force_login(personas.client_user)
    client.get(edit_url(company))
    data = {**current(company), field: value, "stepup_factor": "password", "stepup_code": TEST_PASSWORD}
    if policy == "direct":
        data["stepup_challenge"] = StepUpChallenge.objects.get(user=personas.client_user).public_id
    response = client.post(edit_url(company), data)
    assert response.status_code == 400
    assert nl(message) in response.context["form"].errors[field]
    assert nl(message) in response.content.decode()
    assert not ChangeRequest.objects.exists()
    company_now = Client.objects.get(pk=company.pk)
    assert current(company_now) == current(company)
    assert not ChangeLogEntry.objects.exists()


def test_kvk_with_spaces_and_a_postcode_without_space_are_accepted(client, personas, company):
    client.force_login(personas.client_user)
    client.post(edit_url(company), {**current(company), "kvk_number": "8765 4321", "postal_code": "3512ab"})
    assert ChangeRequest.objects.get().new_values == {"kvk_number": "87654321", "postal_code": "3512 AB"}


# -- Direct policy ------------------------------------------------------------------------------


def direct_post(client, user, company, values, *, code=TEST_PASSWORD, confirm=True):
    client.get(edit_url(company))
    data = {**current(company), **values}
    if confirm:
        challenge = StepUpChallenge.objects.filter(user=user, used_at__isnull=True).latest("created_at")
        data.update({"stepup_challenge": challenge.public_id, "stepup_factor": "password", "stepup_code": code})
    return client.post(edit_url(company), data)


def test_direct_form_asks_for_confirmation_and_saves(client, personas, direct):
    client.force_login(personas.client_user)
    response = client.get(edit_url(direct))
    page = response.content.decode()
    assert 'id="stepup"' in page and 'id="save-details"' in page and 'id="send-request"' not in page
    assert response.context["stepup"].factors == ["password"]  # no second factor: the password confirms


def test_direct_change_without_confirmation_changes_nothing(client, personas, direct):
    client.force_login(personas.client_user)
    response = direct_post(client, personas.client_user, direct, {"city": "Zeist"}, confirm=False)
    assert response.status_code == 400
    response = direct_post(client, personas.client_user, direct, {"city": "Zeist"}, code="fout wachtwoord")
    assert response.status_code == 400
    assert 'id="stepup-error"' in response.content.decode()
    direct.refresh_from_db()
    assert direct.city == "Utrecht"
    assert not ChangeLogEntry.objects.exists()
    assert not Notification.objects.exists()


def test_direct_change_with_the_password_applies_records_and_tells_the_firm(client, personas, direct):
    client.force_login(personas.client_user)
    response = direct_post(client, personas.client_user, direct, {"city": "Zeist", "phone": "+31 6 1234 5678"})
    assert response.status_code == 302
    direct.refresh_from_db()
    assert (direct.city, direct.phone) == ("Zeist", "+31 6 1234 5678")
    entry = ChangeLogEntry.objects.get(client=direct)
    assert entry.via == ChangeLogEntry.Via.DIRECT
    assert entry.subject == ChangeLogEntry.Subject.ORGANISATION
    assert entry.actor == personas.client_user
    assert entry.changes == [["city", "Utrecht", "Zeist"], ["phone", "030 123 4567", "+31 6 1234 5678"]]
    notice = Notification.objects.get(user=personas.staff.user)
    assert notice.kind == EventKind.DETAILS
    assert notice.link == reverse("clients:staff_detail", args=[direct.public_id])
    assert not ChangeRequest.objects.exists()
    # The confirmation was spent: posting it again does nothing more.
    assert StepUpChallenge.objects.filter(user=personas.client_user, used_at__isnull=False).count() == 1


def test_direct_nothing_changed_does_not_spend_the_confirmation(client, personas, direct):
    client.force_login(personas.client_user)
    response = direct_post(client, personas.client_user, direct, {})
    assert response.status_code == 400
    assert nl("Nothing has changed: change at least one field.") in response.content.decode()
    assert not StepUpChallenge.objects.filter(used_at__isnull=False).exists()


def test_the_environments_own_policy_wins_over_the_firms(client, personas, company):
    client.force_login(personas.client_user)
    company.firm.change_policy = "direct"
    company.firm.save(update_fields=["change_policy"])
    company.change_policy = "review"
    company.save(update_fields=["change_policy"])
    assert 'id="send-request"' in client.get(edit_url(company)).content.decode()
    company.firm.change_policy = "review"
    company.firm.save(update_fields=["change_policy"])
    company.change_policy = "direct"
    company.save(update_fields=["change_policy"])
    assert 'id="save-details"' in client.get(edit_url(company)).content.decode()


# -- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "plus"])
@pytest.mark.parametrize("policy", ["review", "direct"])
def test_medewerkers_cannot_change_or_withdraw_by_url(client, personas, company, plus, who, policy):
    company.change_policy = policy
    company.save(update_fields=["change_policy"])
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "city": "X"}
    )
    user = personas.employee if who == "employee" else plus
    client.force_login(user)
    assert client.get(edit_url(company)).status_code == 403
    assert client.post(edit_url(company), {**current(company), "name": "Overgenomen B.V."}).status_code == 403
    withdraw = reverse("organisation:withdraw", args=[company.public_id, request.public_id])
    assert client.post(withdraw).status_code == 403
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    assert Client.objects.get(pk=company.pk).name == "Bakker B.V."
    assert ChangeRequest.objects.count() == 1


def test_history_is_for_beheerder_and_medewerker_plus(client, personas, company, plus):
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "city": "X"}
    )
    change_request_approve(change_request=request, actor=personas.staff.user)
    url = reverse("organisation:history", args=[company.public_id])
    client.force_login(personas.employee)
    assert client.get(url).status_code == 403
    client.force_login(plus)
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    assert "Utrecht" in response.content.decode() and "X" in response.content.decode()


# -- History -------------------------------------------------------------------------------------


def test_history_shows_who_with_their_firm_what_how_and_old_to_new(client, personas, company):
    personas.staff.user.first_name, personas.staff.user.last_name = "Sanne", "de Vries"
    personas.staff.user.save()
    request = change_request_create(
        client=company, actor=personas.client_user, values={**current(company), "legal_form": "nv"}
    )
    change_request_approve(change_request=request, actor=personas.staff.user)
    ChangeLogEntry.objects.create(
        client=company,
        actor=personas.client_user,
        actor_name="Pieter",
        subject=ChangeLogEntry.Subject.CONTACT,
        subject_label="Carla Collega",
        via=ChangeLogEntry.Via.DIRECT,
        changes=[["job_title", "", "Controller"]],
    )
    client.force_login(personas.client_user)
    response = client.get(reverse("organisation:history", args=[company.public_id]))
    page = response.content.decode()
    rows = response.context["rows"]
    assert [row["entry"].subject for row in rows] == ["contact", "organisation"]  # newest first
    approved = rows[1]
    assert approved["who"] == "Sanne de Vries" and approved["firm"] == "Van Dijk"
    assert approved["proposer"] == personas.client_user.get_full_name()
    assert approved["changes"][0]["new"] == str(dict(Client._meta.get_field("legal_form").choices)["nv"])
    assert "Sanne de Vries (Van Dijk)" in page
    assert "Carla Collega" in page and "Controller" in page
    assert rows[0]["firm"] == ""  # a client is not shown with a firm


def test_history_keeps_a_constant_number_of_queries(client, personas, company, django_assert_max_num_queries):
    def add(count):
        for number in range(count):
            ChangeLogEntry.objects.create(
                client=company,
                actor=personas.staff.user if number % 2 else personas.client_user,
                actor_name="Iemand",
                subject=ChangeLogEntry.Subject.ORGANISATION,
                via=ChangeLogEntry.Via.FIRM,
                changes=[["city", "A", f"B{number}"]],
            )

    client.force_login(personas.client_user)
    url = reverse("organisation:history", args=[company.public_id])
    add(3)
    client.get(url)  # the session's first page sets the last environment: not counted
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    add(27)
    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 30
    assert len(many) == len(few)
