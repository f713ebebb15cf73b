"""Wie heeft mijn gegevens bekeken: which of the firm's staff opened which document, conversation or
data of an environment, and when (names, never addresses); for the environment's Beheerder only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.audit.models import ActorKind, AuditEvent
from balie.clients.models import Membership
from balie.firms.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def sanne(personas):
    return StaffMemberFactory(firm=personas.firm, user__first_name="Sanne", user__last_name="de Vries").user


@pytest.fixture
def document(personas):
    from balie.dossiers.services import document_add, dossier_create

    dossier = dossier_create(client=personas.company, description="Doorlopend dossier")
    upload = SimpleUploadedFile("jaarrekening.pdf", PDF, content_type="application/pdf")
    return document_add(dossier=dossier, upload=upload, direction="firm", actor=personas.staff.user)


def url(environment):
    return reverse("organisation:viewers", kwargs={"client": environment.public_id})


def sanne_opens(client, sanne, personas, document=None):
    client.force_login(sanne)
    assert client.get(reverse("clients:staff_detail", kwargs={"client": personas.company.public_id})).status_code == 200
    if document is not None:
        kwargs = {
            "client": personas.company.public_id,
            "dossier": document.dossier.public_id,
            "document": document.public_id,
        }
        assert client.get(reverse("dossiers_staff:document", kwargs=kwargs)).status_code == 200


def test_staff_opening_an_environment_and_a_document_is_recorded(client, personas, sanne, document):
    sanne_opens(client, sanne, personas, document)
    viewed = AuditEvent.objects.filter(actor_user=sanne).exclude(action="auth.signin").order_by("seq")
    assert [(event.action, event.actor_kind) for event in viewed] == [
        ("staff.environment_viewed", ActorKind.STAFF),
        ("document.viewed", ActorKind.STAFF),
    ]
    assert {event.environment_id for event in viewed} == {personas.company.public_id}
    assert viewed[1].object_id == str(document.public_id)
    assert viewed[0].actor_name == "Sanne de Vries"


def test_a_client_downloading_a_document_is_recorded(client, personas, document):
    client.force_login(personas.client_user)
    kwargs = {"client": personas.company.public_id, "document": document.public_id}
    client.get(reverse("dossiers:document", kwargs=kwargs))
    response = client.get(reverse("dossiers:download", kwargs=kwargs))
    assert response.status_code == 200
    actions = list(
        AuditEvent.objects.filter(actor_user=personas.client_user, object_id=str(document.public_id))
        .order_by("seq")
        .values_list("action", "actor_kind")
    )
    assert actions == [("document.viewed", ActorKind.USER), ("document.downloaded", ActorKind.USER)]
    from balie.dossiers.models import DocumentAccess

    assert DocumentAccess.objects.filter(document=document, user=personas.client_user).count() == 2  # kept too


def test_staff_opening_a_thread_is_recorded(client, personas, sanne):
    from balie.messaging.services import thread_start

    thread = thread_start(
        client=personas.company, user=personas.client_user, kind="question", subject="Btw", body="<p>Vraag</p>"
    )
    client.force_login(sanne)
    client.get(reverse("messaging_staff:thread", kwargs={"thread": thread.public_id}))
    event = AuditEvent.objects.get(action="staff.thread_viewed")
    assert (event.actor_user_id, event.object_id, event.environment_id) == (
        sanne.pk,
        str(thread.public_id),
        personas.company.public_id,
    )


def test_the_beheerder_sees_who_at_the_firm_opened_what(client, personas, sanne, document):
    sanne_opens(client, sanne, personas, document)
    client.force_login(personas.client_user)
    response = client.get(url(personas.company))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["event"].action for row in rows] == ["document.viewed", "staff.environment_viewed"]
    assert [row["title"] for row in rows] == [document.title, "Bakker B.V."]
    html = response.content.decode()
    assert "Sanne de Vries" in html
    assert "127.0.0.1" not in html  # names, never addresses
    assert 'id="tab-viewers"' in html


def test_the_page_shows_the_firm_only_not_the_clients_own_views(client, personas, document):
    client.force_login(personas.client_user)
    client.get(
        reverse("dossiers:document", kwargs={"client": personas.company.public_id, "document": document.public_id})
    )
    assert client.get(url(personas.company)).context["rows"] == []


def test_another_environments_views_are_not_shown(client, personas, sanne):
    sanne_opens(client, sanne, personas)
    client.force_login(personas.client_user)
    assert client.get(url(personas.private)).context["rows"] == []


@pytest.mark.parametrize("role", [Membership.Role.EMPLOYEE_PLUS, Membership.Role.EMPLOYEE])
def test_other_roles_may_not_see_it(client, personas, role):
    Membership.objects.filter(user=personas.employee, client=personas.company).update(role=role)
    client.force_login(personas.employee)
    assert client.get(url(personas.company)).status_code == 403
    assert (
        'id="tab-viewers"'
        not in client.get(
            reverse("organisation:detail", kwargs={"client": personas.company.public_id})
        ).content.decode()
    )


def test_the_page_pages_by_keyset_at_constant_queries(
    client, personas, sanne, django_assert_num_queries, django_assert_max_num_queries
):
    from balie.audit.services import record

    record(
        "staff.environment_viewed", firm=personas.firm, actor=sanne, environment=personas.company, obj=personas.company
    )
    client.force_login(personas.client_user)
    client.get(url(personas.company))  # the session's first request does a little more
    with django_assert_max_num_queries(40) as one:
        assert len(client.get(url(personas.company)).context["rows"]) == 1
    for _ in range(60):
        record(
            "staff.environment_viewed",
            firm=personas.firm,
            actor=sanne,
            environment=personas.company,
            obj=personas.company,
        )
    with django_assert_num_queries(len(one.captured_queries)):
        first = client.get(url(personas.company))
    assert len(first.context["rows"]) == 50
    second = client.get(url(personas.company), {"na": first.context["next_cursor"]})
    assert len(second.context["rows"]) == 11
    ids = [row["event"].pk for row in first.context["rows"] + second.context["rows"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 61
