"""The one registry of audit actions."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from balie.audit import actions

FIRST_ACTIONS = {
    "auth.signin",
    "auth.signin_failed",
    "auth.twostep_failed",
    "document.viewed",
    "document.downloaded",
    "document.published",
    "request.decided",
    "contact.access_granted",
    "settings.changed",
    "staff.environment_viewed",
    "staff.thread_viewed",
    "export.created",
}


def test_the_first_actions_are_registered():
    assert set(actions.names()) >= FIRST_ACTIONS


def test_labels_are_translated():
    with translation.override("nl"):
        assert actions.label("document.viewed") == "Document bekeken"
    with translation.override("en"):
        assert actions.label("document.viewed") == "Document viewed"


def test_an_unknown_name_reads_as_itself():
    assert actions.label("ticket.vanished") == "ticket.vanished"


def test_registering_again_with_the_same_label_is_harmless():
    actions.register("document.viewed", _("Document viewed"))
    with translation.override("en"):
        assert actions.label("document.viewed") == "Document viewed"


def test_registering_a_name_with_another_label_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        actions.register("document.viewed", "Bekeken")


@pytest.mark.parametrize("name", ["viewed", "Document.viewed", "document..viewed", "document.viewed!", ".x"])
def test_a_name_is_dotted_and_lower_case(name):
    with pytest.raises(ValueError, match="dotted"):
        actions.register(name, "x")
    assert not actions.is_registered(name)
