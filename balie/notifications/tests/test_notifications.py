from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from balie.core.testing import later
from balie.notifications.jobs import send_bundles
from balie.notifications.models import EventKind, Frequency, Notification, OutboxMessage
from balie.notifications.services import notifications_send_digests, notify, preferences_save

pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]


def publish(personas, n=1, *, users=None, urgent=False, kind=EventKind.DOCUMENT):
    for i in range(n):
        notify(
            users=users or [personas.client_user],
            client=personas.company,
            kind=kind,
            title=f"Nieuw document: Jaarrekening {2000 + i}",
            link=f"/o/{personas.company.public_id}/",
            urgent=urgent,
        )


def test_a_bulk_publish_of_12_documents_is_one_email_per_person(personas):
    publish(personas, 12, users=[personas.client_user, personas.employee])
    assert send_bundles() == 0  # still within the 10-minute window
    with time_machine.travel(later(minutes=11)):
        assert send_bundles() == 2
    mails = OutboxMessage.objects.order_by("recipient")
    assert [m.recipient for m in mails] == sorted([personas.client_user.email, personas.employee.email])
    assert mails[0].subject == "Nieuw document: Jaarrekening 2011 (+11 andere meldingen)"  # the newest first
    assert mails[0].body_text.count("Nieuw document: Jaarrekening") == 12
    assert mails[0].queue == "bulk"
    with time_machine.travel(later(minutes=30)):
        assert send_bundles() == 0  # nothing twice


def test_what_arrives_later_in_the_window_joins_the_same_email(personas):
    publish(personas, 1)
    with time_machine.travel(later(minutes=5)):
        publish(personas, 1)
    with time_machine.travel(later(minutes=11)):
        assert send_bundles() == 1
    assert OutboxMessage.objects.get().body_text.count("Nieuw document") == 2


def test_a_deadline_today_goes_at_once(personas, django_capture_on_commit_callbacks, settings):
    settings.BALIE_JOBS_BACKEND = "immediate"
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, 1, urgent=True, kind=EventKind.REQUEST)
    mail = OutboxMessage.objects.get()
    assert mail.subject == "Nieuw document: Jaarrekening 2000"  # one item: its title is the subject


def test_preferences_off_and_daily_digest(personas, settings):
    preferences_save(user=personas.client_user, choices={EventKind.DOCUMENT: Frequency.OFF})
    preferences_save(user=personas.employee, choices={EventKind.DOCUMENT: Frequency.DAILY})
    publish(personas, 3, users=[personas.client_user, personas.employee])
    with time_machine.travel(later(minutes=11)):
        assert send_bundles() == 0
    assert Notification.objects.filter(user=personas.client_user, email="skipped").count() == 3
    tomorrow_after_hour = timezone.localtime() + timedelta(days=1)
    tomorrow_after_hour = tomorrow_after_hour.replace(hour=settings.BALIE_DIGEST_HOUR, minute=30)
    assert notifications_send_digests(now=tomorrow_after_hour) == 1
    digest = OutboxMessage.objects.get()
    assert digest.recipient == personas.employee.email
    assert digest.subject == "Uw dagelijkse overzicht: 3 nieuwe meldingen"
    assert notifications_send_digests(now=tomorrow_after_hour + timedelta(minutes=20)) == 0
    # Off means no e-mail, but the bell still shows it.
    assert Notification.objects.filter(user=personas.client_user, read_at=None).count() == 3


def test_digest_goes_once_a_day_after_its_hour_and_catches_up(personas, settings):
    settings.BALIE_DIGEST_HOUR = 7
    preferences_save(user=personas.employee, choices={EventKind.DOCUMENT: Frequency.DAILY})
    day = timezone.localtime().replace(hour=5, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(day):  # 05:00: something happens
        publish(personas, 1, users=[personas.employee])
    assert notifications_send_digests(now=day.replace(hour=6)) == 0  # before the hour
    assert notifications_send_digests(now=day.replace(hour=9)) == 1  # the 07:00 run was missed: caught up
    with time_machine.travel(day.replace(hour=10)):  # after today's cut-off: waits for tomorrow
        publish(personas, 1, users=[personas.employee])
    assert notifications_send_digests(now=day.replace(hour=11)) == 0
    assert notifications_send_digests(now=day.replace(hour=7) + timedelta(days=1)) == 1
    assert OutboxMessage.objects.count() == 2


def test_one_email_per_firm_in_each_firms_branding(personas):
    from balie.clients.factories import MembershipFactory

    MembershipFactory(user=personas.client_user, client=personas.outsider_client)
    publish(personas, 1)
    notify(users=[personas.client_user], client=personas.outsider_client, kind=EventKind.DOCUMENT, title="B", link="/")
    with time_machine.travel(later(minutes=11)):
        send_bundles()
    senders = sorted(OutboxMessage.objects.values_list("firm__name", flat=True))
    assert senders == sorted([personas.firm.name, personas.other_firm.name])


def test_bell_counts_lists_and_marks_read(client, personas):
    publish(personas, 3)
    client.force_login(personas.client_user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'id="bell-count">3<' in page
    item = Notification.objects.filter(user=personas.client_user).first()
    response = client.get(reverse("notifications:open", args=[item.public_id]))
    assert response.url == f"/o/{personas.company.public_id}/"
    item.refresh_from_db()
    assert item.read_at is not None
    assert 'id="bell-count">2<' in client.get(reverse("notifications:list")).content.decode()
    client.post(reverse("notifications:read_all"))
    assert 'id="bell-count"' not in client.get(reverse("notifications:list")).content.decode()


def test_bell_list_uses_constant_queries(client, personas, django_assert_max_num_queries):
    publish(personas, 60)
    client.force_login(personas.client_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notifications:list"), {"page": 2})
    assert len(response.context["page"]) == 25


def test_preferences_page_saves_choices(client, personas):
    client.force_login(personas.client_user)
    data = dict.fromkeys(EventKind.values, Frequency.IMMEDIATE)
    data[EventKind.TICKET] = Frequency.OFF
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    form = client.get(reverse("notifications:preferences")).context["form"]
    assert form.initial[EventKind.TICKET] == Frequency.OFF
    response = client.post(reverse("notifications:preferences"), {**data, EventKind.TICKET: "sometimes"})
    assert EventKind.TICKET in response.context["form"].errors


def test_someone_elses_notification_is_404(client, personas):
    publish(personas, 1)
    item = Notification.objects.get()
    client.force_login(personas.employee)
    assert client.get(reverse("notifications:open", args=[item.public_id])).status_code == 404
    assert Notification.objects.get().read_at is None


def test_fan_out_is_one_job_per_chunk_of_people(personas, monkeypatch):
    from balie.accounts.factories import UserFactory
    from balie.core import jobs
    from balie.notifications import services

    monkeypatch.setattr(services, "CHUNK", 3)
    people = UserFactory.create_batch(7)
    notify(users=people, client=personas.company, kind=EventKind.DOCUMENT, title="Nieuw", link="/", urgent=True)
    queued = []
    real = jobs.enqueue
    monkeypatch.setattr(
        jobs, "enqueue", lambda job, **kw: (queued.append((job.name, len(kw["user_ids"]))), real(job, **kw))
    )
    assert send_bundles() == 7
    assert queued == [("notifications.send_chunk", 3), ("notifications.send_chunk", 3), ("notifications.send_chunk", 1)]
    assert OutboxMessage.objects.filter(queue="bulk").count() == 7
