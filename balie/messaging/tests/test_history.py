"""Historie (seed 004): the client's Berichten shows what is open; every handled question and
message is under Historie, searchable, at a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from balie.messaging import services
from balie.messaging.tests.test_client import ask, firm_reply, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, personas):
    client.force_login(personas.client_user)
    return client


def subjects(response) -> list[str]:
    assert response.status_code == 200
    return [thread.subject for thread in response.context["page"]]


def handled(personas, **kwargs):
    thread = ask(personas, **kwargs)
    services.thread_handle(thread=thread, user=personas.client_user)
    return thread


def test_handled_questions_are_under_historie_and_open_ones_on_berichten(member, personas):
    ask(personas, subject="Open vraag")
    handled(personas, subject="Oude vraag")
    assert subjects(member.get(url("list", personas.company))) == ["Open vraag"]
    page = member.get(url("history", personas.company))
    assert subjects(page) == ["Oude vraag"]
    assert 'aria-current="page" id="tab-history"' in page.content.decode()
    assert url("history", personas.company) in member.get(url("list", personas.company)).content.decode()


def test_a_new_message_brings_a_handled_thread_back_to_berichten(member, personas):
    thread = handled(personas, subject="Weer open")
    firm_reply(personas, thread)
    assert subjects(member.get(url("list", personas.company))) == ["Weer open"]
    assert subjects(member.get(url("history", personas.company))) == []


def test_historie_is_searchable_like_berichten(member, personas):
    handled(personas, subject="Auto van de zaak", body="Bijtelling 2026?")
    handled(personas, subject="Loonstrook", body="Januari")
    ask(personas, subject="Open bijtelling", body="Nog open")
    handled(personas, client=personas.holding, subject="Bijtelling holding", body="Geheim")
    assert subjects(member.get(url("history", personas.company) + "?q=bijtelling")) == ["Auto van de zaak"]
    assert subjects(member.get(url("history", personas.company) + "?q=januari")) == ["Loonstrook"]


def test_a_plain_medewerker_sees_no_handled_questions_of_colleagues(client, personas):
    handled(personas, subject="Salaris directie")
    handled(personas, subject="Mijn oude vraag", user=personas.employee)
    client.force_login(personas.employee)
    assert subjects(client.get(url("history", personas.company))) == ["Mijn oude vraag"]


def _queries(client, address) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_historie_uses_a_constant_number_of_queries(member, personas, django_assert_max_num_queries):
    handled(personas, subject="Vraag 0")
    few = _queries(member, url("history", personas.company))
    for number in range(1, 8):
        thread = handled(personas, subject=f"Vraag {number}")
        firm_reply(personas, thread)
        services.thread_handle(thread=thread, user=personas.client_user)
    with django_assert_max_num_queries(few):
        response = member.get(url("history", personas.company))
    assert len(response.context["page"]) == 8


def test_the_start_page_has_a_historie_button(member, personas):
    page = member.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert f'href="{url("history", personas.company)}" id="home-history"' in page
