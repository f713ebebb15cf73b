from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import Membership
from balie.core.testing import later
from balie.firms.factories import FirmFactory
from balie.notifications.models import DevOutboxMessage, Notification
from balie.todos.models import Todo
from balie.todos.selectors import todo_list_for_user
from balie.todos.services import (
    todo_create,
    todo_handle,
    todo_remind,
    todos_close_for_target,
    todos_handle_for_target,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def todo_setup(personas):
    # In the company: the client user may handle documents, the employee may not.
    Membership.objects.filter(user=personas.client_user).update(may_handle_documents=True)
    return personas


def folder_of(client):
    """The Fiscaal folder of the environment's dossier: something a task can be about (an upload)."""
    from balie.dossiers.models import Dossier
    from balie.dossiers.services import dossier_create

    dossier = Dossier.objects.filter(client=client).first() or dossier_create(client=client, description="Dossier")
    return dossier.folders.get(name="Fiscaal")


def approve(personas, client=None, **kwargs):
    """A task for the environment's handlers: supplying documents into a folder."""
    client = client or personas.company
    kwargs.setdefault("target", folder_of(client))
    kwargs.setdefault("title", "Btw-aangifte Q3 goedkeuren")
    return todo_create(client=client, kind=Todo.Kind.UPLOAD, **kwargs)


def test_handlers_see_the_task_and_others_do_not(todo_setup):
    p = todo_setup
    todo = approve(p)
    assert list(todo_list_for_user(user=p.client_user)) == [todo]
    assert list(todo_list_for_user(user=p.employee)) == []  # member without the flag
    assert list(todo_list_for_user(user=p.outsider)) == []
    assert list(todo_list_for_user(user=p.staff.user)) == []


def test_member_tasks_and_named_tasks(todo_setup):
    p = todo_setup
    everyone = approve(p, audience=Todo.Audience.MEMBERS)
    named = approve(p, audience=Todo.Audience.NAMED, assignees=[p.employee])
    assert set(todo_list_for_user(user=p.employee)) == {everyone, named}
    assert set(todo_list_for_user(user=p.client_user)) == {everyone}
    with pytest.raises(ValidationError):
        approve(p, audience=Todo.Audience.NAMED, assignees=[p.outsider])  # not a member


def test_one_list_across_all_environments(todo_setup):
    p = todo_setup
    tasks = {approve(p, client=c) for c in (p.company, p.holding, p.private)}
    assert set(todo_list_for_user(user=p.client_user)) == tasks


def test_a_task_disappears_for_everyone_once_one_entitled_person_handles_it(todo_setup):
    p = todo_setup
    second = UserFactory()
    MembershipFactory(user=second, client=p.company, may_handle_documents=True)
    todo = approve(p)
    assert todos_handle_for_target(target=folder_of(p.company), user=second) == 1
    todo.refresh_from_db()
    assert (todo.status, todo.handled_by) == ("done", second)
    assert list(todo_list_for_user(user=p.client_user)) == []
    todo_handle(todo=todo, user=p.client_user)  # a late second click changes nothing
    todo.refresh_from_db()
    assert todo.handled_by == second


def test_someone_not_entitled_cannot_handle(todo_setup):
    todo = approve(todo_setup)
    with pytest.raises(ValidationError):
        todo_handle(todo=todo, user=todo_setup.employee)
    assert Todo.objects.get(pk=todo.pk).is_open


def test_task_list_page_and_menu_count(client, todo_setup):
    p = todo_setup
    approve(p, due_date=timezone.localdate() - timedelta(days=1))
    approve(p, client=p.holding)
    client.force_login(p.client_user)
    response = client.get(reverse("todos:list"))
    body = response.content.decode()
    assert len(response.context["page"]) == 2
    assert 'id="menu-todo-count">2<' in body
    assert "Btw-aangifte Q3 goedkeuren" in body
    start = client.get(reverse("home:client", args=[p.private.public_id])).content.decode()
    assert start.count("Btw-aangifte Q3 goedkeuren") == 2  # the start page panel lists both


def test_task_list_and_counts_use_constant_queries(still_clock, client):
    firm = FirmFactory()
    user = UserFactory()
    clients = ClientFactory.create_batch(50, firm=firm)
    for c in clients:
        MembershipFactory(user=user, client=c, may_handle_documents=True)
    counts = []
    for total in (1, 500):
        existing = Todo.objects.count()
        Todo.objects.bulk_create(
            Todo(client=clients[i % 50], kind="approve", title=f"Taak {i}") for i in range(existing, total)
        )
        client.force_login(user)
        for url in (reverse("todos:list"), reverse("home:client", args=[clients[0].public_id])):
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(len(ctx.captured_queries))
        assert response.context["open_todo_count"] == total
    assert counts[0] == counts[2] and counts[1] <= counts[3] <= counts[1] + 1  # panel: +1 count once > 5
    assert max(counts) <= 14  # the start page also has the dossier, recent-document and tile panels


def test_opening_a_task_goes_to_its_object_in_the_right_environment(client, todo_setup):
    p = todo_setup
    todo = approve(p, client=p.holding)
    client.force_login(p.client_user)
    response = client.get(reverse("todos:open", args=[p.holding.public_id, todo.public_id]))
    folder = folder_of(p.holding)
    upload = reverse("dossiers:upload", args=[p.holding.public_id, folder.dossier.public_id])
    assert response.url == f"{upload}?map={folder.public_id}"


def test_old_link_to_a_handled_task_says_who_handled_it(client, todo_setup):
    p = todo_setup
    todo = approve(p)
    todo_handle(todo=todo, user=p.client_user)
    client.force_login(p.employee)
    response = client.get(reverse("todos:open", args=[p.company.public_id, todo.public_id]))
    assert response.status_code == 200
    assert "Deze taak is al afgehandeld door Pieter" in response.content.decode()


def test_a_task_whose_object_was_withdrawn_closes_itself(client, todo_setup, monkeypatch):
    from balie.dossiers.models import Folder

    p = todo_setup
    todo = approve(p)
    monkeypatch.setattr(Folder, "is_withdrawn", True, raising=False)
    client.force_login(p.client_user)
    response = client.get(reverse("todos:open", args=[p.company.public_id, todo.public_id]))
    assert response.status_code == 200
    assert "niet meer nodig" in response.content.decode()
    assert Todo.objects.get(pk=todo.pk).status == "closed"
    assert list(todo_list_for_user(user=p.client_user)) == []


def test_a_task_whose_object_is_gone_closes_itself(client, todo_setup):
    p = todo_setup
    gone = folder_of(p.company)
    todo = approve(p, target=gone)
    gone.delete()
    client.force_login(p.client_user)
    response = client.get(reverse("todos:open", args=[p.company.public_id, todo.public_id]))
    assert response.status_code == 200
    assert Todo.objects.get(pk=todo.pk).status == "closed"


def test_withdrawing_an_object_closes_its_tasks(todo_setup):
    todo = approve(todo_setup)
    assert todos_close_for_target(target=folder_of(todo_setup.company)) == 1
    assert Todo.objects.get(pk=todo.pk).status == "closed"


def test_task_of_another_environment_is_404(client, todo_setup):
    p = todo_setup
    todo = approve(p, client=p.holding)
    client.force_login(p.client_user)
    # The user's own environment in the URL, with a task of another of their environments.
    assert client.get(reverse("todos:open", args=[p.company.public_id, todo.public_id])).status_code == 404
    client.force_login(p.outsider)
    assert client.get(reverse("todos:open", args=[p.holding.public_id, todo.public_id])).status_code == 404


def test_staff_see_open_and_overdue_tasks_of_their_firm_only(client, todo_setup):
    p = todo_setup
    late = approve(p, due_date=timezone.localdate() - timedelta(days=3))
    approve(p, due_date=timezone.localdate() + timedelta(days=3))
    other = approve(p, client=p.outsider_client, title="Elders", audience=Todo.Audience.MEMBERS)
    client.force_login(p.staff.user)
    response = client.get(reverse("todos:staff_list"))
    assert len(response.context["page"]) == 2
    assert other not in response.context["page"]
    response = client.get(reverse("todos:staff_list"), {"overdue": "1"})
    assert list(response.context["page"]) == [late]


def test_staff_nudge_mails_everyone_who_may_handle_it_once_a_day(still_clock, client, todo_setup):
    p = todo_setup
    todo = approve(p, due_date=timezone.localdate())
    client.force_login(p.staff.user)
    url = reverse("todos:staff_remind", args=[todo.public_id])
    client.post(url)
    mails = DevOutboxMessage.objects.all()
    assert [m.recipients for m in mails] == [p.client_user.email]
    assert mails[0].subject == "Herinnering: Btw-aangifte Q3 goedkeuren"
    assert f"/o/{p.company.public_id}/taken/{todo.public_id}/" in mails[0].body_text
    response = client.post(url, follow=True)
    assert "al een herinnering" in response.content.decode()
    assert DevOutboxMessage.objects.count() == 1
    with time_machine.travel(later(days=1, minutes=1)):
        assert todo_remind(todo=todo) == 1


def test_staff_cannot_nudge_another_firms_task(client, todo_setup):
    p = todo_setup
    other = approve(p, client=p.outsider_client, title="Elders", audience=Todo.Audience.MEMBERS)
    client.force_login(p.staff.user)
    assert client.post(reverse("todos:staff_remind", args=[other.public_id])).status_code == 404
    assert not DevOutboxMessage.objects.exists()


def test_automatic_reminders_follow_the_firms_days_and_come_once(todo_setup):
    from balie.todos.services import todos_send_due_reminders

    p = todo_setup
    p.firm.reminder_days = "7,14"
    p.firm.save()
    todo = approve(p)
    handled = approve(p, client=p.holding)
    todo_handle(todo=handled, user=p.client_user)

    def run_at(**delta):
        with time_machine.travel(later(**delta)):
            return todos_send_due_reminders()

    assert run_at(days=6) == 0
    assert run_at(days=7, hours=1) == 1
    assert run_at(days=7, hours=2) == 0  # not twice for the same policy day
    assert run_at(days=10) == 0
    assert run_at(days=14, hours=1) == 1
    assert run_at(days=30) == 0  # the policy has no later day
    reminders = Notification.objects.filter(user=p.client_user, kind="reminder")
    assert reminders.count() == 2  # under the bell, and e-mailed per the person's choice
    assert reminders.first().title == "Herinnering: Btw-aangifte Q3 goedkeuren"
    assert Todo.objects.get(pk=todo.pk).last_reminded_at is not None


def test_reminders_follow_the_persons_choice_for_reminders(client, todo_setup):
    from balie.notifications.models import Frequency
    from balie.notifications.services import preferences_save

    p = todo_setup
    preferences_save(user=p.client_user, choices={"reminder": Frequency.OFF})
    todo = approve(p)
    client.force_login(p.staff.user)
    client.post(reverse("todos:staff_remind", args=[todo.public_id]))
    assert not DevOutboxMessage.objects.exists()  # no e-mail ...
    assert Notification.objects.filter(user=p.client_user, kind="reminder").count() == 1  # ... but the bell


def test_no_reminders_for_a_withdrawn_object(todo_setup, monkeypatch):
    from balie.dossiers.models import Folder
    from balie.todos.services import todos_send_due_reminders

    todo = approve(todo_setup)
    monkeypatch.setattr(Folder, "is_withdrawn", True, raising=False)
    with time_machine.travel(later(days=8)):
        assert todos_send_due_reminders() == 0
    assert Todo.objects.get(pk=todo.pk).status == "closed"
    assert not Notification.objects.exists()


def test_a_member_who_may_not_handle_an_open_task_cannot_open_it(client, todo_setup):
    p = todo_setup
    todo = approve(p)  # for those who may handle documents; the employee may not
    client.force_login(p.employee)
    assert client.get(reverse("todos:open", args=[p.company.public_id, todo.public_id])).status_code == 404


def test_a_task_cannot_point_at_another_environments_object(todo_setup):
    class Foreign:
        pk = 1
        client_id = todo_setup.outsider_client.pk

        def todo_kinds(self):
            return ("review",)

        def todo_url(self, kind):
            return "/elders/"

    with pytest.raises(ValidationError) as refused:
        todo_create(client=todo_setup.company, kind="review", title="X", target=Foreign())
    assert refused.value.code == "other_client"


def test_a_firm_without_reminder_days_sends_none(todo_setup):
    from balie.todos.services import todos_send_due_reminders

    todo_setup.firm.reminder_days = ""
    todo_setup.firm.save()
    approve(todo_setup)
    with time_machine.travel(later(days=30)):
        assert todos_send_due_reminders() == 0


def test_staff_see_the_open_tasks_of_one_environment(client, todo_setup):
    p = todo_setup
    here = approve(p)
    approve(p, client=p.holding)
    client.force_login(p.staff.user)
    detail = client.get(reverse("clients:staff_detail", args=[p.company.public_id])).content.decode()
    assert 'id="client-open-tasks">1<' in detail
    response = client.get(reverse("todos:staff_list"), {"omgeving": str(p.company.public_id)})
    assert list(response.context["page"]) == [here]
    # Another firm's environment, or nonsense, in the filter: 404.
    assert client.get(reverse("todos:staff_list"), {"omgeving": str(p.outsider_client.public_id)}).status_code == 404
    assert client.get(reverse("todos:staff_list"), {"omgeving": "niets"}).status_code == 404
