"""The notification e-mail: the most important item in the subject and first, the firm's own
message, links from BALIE_SITE_URL, and every person in their own language."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_noop

from balie.accounts.factories import UserFactory
from balie.approvals.services import request_create
from balie.approvals.tests.client_support import document
from balie.clients.factories import MembershipFactory
from balie.core.testing import later
from balie.notifications.jobs import send_bundles
from balie.notifications.models import EventKind, Notification, OutboxMessage
from balie.notifications.services import notifications_by_importance, notifications_send_chunk, notify

pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]

SITE = "https://portaal.vandijk.test:8443"
FIRM_MESSAGE = 'Graag vóór vrijdag. <script>alert("x")</script> & dank'


def vat_request(p, *, title="Btw-aangifte Q3 2026", due_date=None):
    doc = document(p.company, actor=p.staff.user, title=title)
    doc.message = FIRM_MESSAGE
    doc.save(update_fields=["message"])
    # As publishing does: the document is announced, and its request asks for the decision.
    notify(
        users=[p.client_user],
        client=p.company,
        kind=EventKind.DOCUMENT,
        title=gettext_noop("New document: %(title)s"),
        params={"title": doc.title},
        link=doc.get_absolute_url(),
        message=doc.message,
    )
    return request_create(document=doc, actor=p.staff.user, audience="directors", due_date=due_date)


def new_message(p, subject="Vraag over de loonstrook"):
    notify(
        users=[p.client_user],
        client=p.company,
        kind=EventKind.MESSAGE,
        title=gettext_noop("New message from %(firm)s: %(subject)s"),
        params={"firm": p.firm.name, "subject": subject},
        link="/",
    )


def the_email(user) -> OutboxMessage:
    with time_machine.travel(later(minutes=11)):
        send_bundles()
    return OutboxMessage.objects.get(recipient=user.email)


def test_subject_names_the_request_awaiting_action_and_counts_the_others(personas):
    vat_request(personas)
    mail = the_email(personas.client_user)
    assert mail.subject == "Graag uw akkoord: Btw-aangifte Q3 2026 (+1 andere melding)"


def test_subject_counts_several_others_in_the_plural(personas):
    new_message(personas)
    vat_request(personas)
    mail = the_email(personas.client_user)
    assert mail.subject == "Graag uw akkoord: Btw-aangifte Q3 2026 (+2 andere meldingen)"


def test_a_single_item_is_the_subject_alone(personas):
    new_message(personas)
    assert the_email(personas.client_user).subject == "Nieuw bericht van Van Dijk: Vraag over de loonstrook"


def test_the_firms_message_is_in_the_email_once_and_escaped_in_html(personas):
    vat_request(personas)
    mail = the_email(personas.client_user)
    assert "Bericht van Van Dijk:" in mail.body_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; dank" in mail.body_html
    assert "<script>" not in mail.body_html
    assert mail.body_html.count("Graag vóór vrijdag") == 1  # the document and its request share it
    assert FIRM_MESSAGE in mail.body_text


def test_the_first_link_is_the_request_page_on_the_configured_site(personas, settings):
    settings.BALIE_SITE_URL = SITE
    approval = vat_request(personas)
    mail = the_email(personas.client_user)
    links = re.findall(r'<a href="([^"]+)"', mail.body_html)
    assert links[0] == SITE + approval.get_absolute_url()
    assert links[1] == SITE + approval.document.get_absolute_url()
    assert all(link.startswith(SITE + "/") for link in links)
    text_links = re.findall(r"https?://\S+", mail.body_text)
    assert text_links[0] == SITE + approval.get_absolute_url()
    assert all(link.startswith(SITE + "/") for link in text_links)


def test_requests_come_first_by_due_date_then_messages_then_documents(personas):
    today = date(2026, 10, 1)
    new_message(personas)
    late = vat_request(personas, title="Btw-aangifte Q4 2026", due_date=today + timedelta(days=30))
    soon = vat_request(personas, title="Btw-aangifte Q3 2026", due_date=today + timedelta(days=3))
    ordered = notifications_by_importance(Notification.objects.filter(user=personas.client_user))
    assert [(item.kind, item.link) for item in ordered[:2]] == [
        (EventKind.REQUEST, soon.get_absolute_url()),
        (EventKind.REQUEST, late.get_absolute_url()),
    ]
    assert [item.kind for item in ordered[2:]] == [EventKind.MESSAGE, EventKind.DOCUMENT, EventKind.DOCUMENT]


def test_a_dutch_and_an_english_recipient_each_read_their_own_language(client, personas):
    english = UserFactory(email="director@firm-a.test", first_name="John", language="en")
    MembershipFactory(user=english, client=personas.company, role="admin", is_director=True)
    doc = document(personas.company, actor=personas.staff.user, title="Btw-aangifte Q3 2026")
    request_create(document=doc, actor=personas.staff.user, audience="directors")

    client.force_login(personas.client_user)
    assert "Graag uw akkoord: Btw-aangifte Q3 2026" in client.get(reverse("notifications:list")).content.decode()
    client.force_login(english)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Please approve: Btw-aangifte Q3 2026" in page
    assert "Graag uw akkoord" not in page

    assert the_email(personas.client_user).subject == "Graag uw akkoord: Btw-aangifte Q3 2026"
    english_mail = OutboxMessage.objects.get(recipient=english.email)
    assert english_mail.subject == "Please approve: Btw-aangifte Q3 2026"
    assert "Dear John," in english_mail.body_text
    assert "Take action in the client portal" in english_mail.body_html


def test_the_title_follows_a_later_change_of_language(client, personas):
    doc = document(personas.company, actor=personas.staff.user, title="Jaarrekening 2025")
    request_create(document=doc, actor=personas.staff.user, audience="directors")
    personas.client_user.language = "en"
    personas.client_user.save(update_fields=["language"])
    client.force_login(personas.client_user)
    assert "Please approve: Jaarrekening 2025" in client.get(reverse("notifications:list")).content.decode()


def test_rows_stored_before_titles_were_translatable_show_their_title(client, personas):
    Notification.objects.create(
        user=personas.client_user, client=personas.company, kind=EventKind.DOCUMENT, title="Oude melding", link="/"
    )
    client.force_login(personas.client_user)
    assert "Oude melding" in client.get(reverse("notifications:list")).content.decode()


def test_a_bundle_takes_the_same_number_of_queries_however_many_items(personas):
    def queries_for(count: int) -> int:
        Notification.objects.all().delete()
        for number in range(count):
            kind = [EventKind.REQUEST, EventKind.MESSAGE, EventKind.DOCUMENT][number % 3]
            notify(
                users=[personas.client_user],
                client=personas.company,
                kind=kind,
                title=gettext_noop("Please approve: %(title)s"),
                params={"title": f"Document {number}"},
                link=f"/d/{number}/",
                message=f"Bericht {number}",
                needs_action=kind == EventKind.REQUEST,
                due_date=date(2026, 12, 1) + timedelta(days=number),
            )
        with CaptureQueriesContext(connection) as queries:
            assert (
                notifications_send_chunk(
                    user_ids=[personas.client_user.pk], status="pending", template="notification_bundle"
                )
                == 1
            )
        return len(queries)

    assert queries_for(2) == queries_for(12)
