"""The registries through which the apps above dossiers react to it (publication hooks, dossier
tabs) and fill the firm's page of an environment: filled by those apps, strict about names."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from balie.approvals import services as approval_services
from balie.clients import staff_page
from balie.dossiers import publication, tabs
from balie.signing import pdf

pytestmark = pytest.mark.once


def test_approvals_and_signing_fill_every_publication_hook():
    assert publication.hook("published") is approval_services.request_create_for_published
    assert publication.hook("withdrawn") is approval_services.requests_withdraw_for_document
    assert publication.hook("check_signable") is pdf.check_signable
    for name in publication.HOOK_NAMES:
        assert callable(publication.hook(name))


def test_an_unknown_publication_hook_is_refused():
    with pytest.raises(TypeError):
        publication.register_publication_hooks(publishd=lambda **kwargs: None)
    with pytest.raises(KeyError):
        publication.hook("publishd")


def test_a_hook_that_nobody_registered_says_so(monkeypatch):
    monkeypatch.setattr(publication, "_HOOKS", {})
    with pytest.raises(ImproperlyConfigured):
        publication.hook("published")


def test_messaging_adds_the_berichten_tab_and_dossiers_and_todos_their_sections():
    assert [tab.slug for tab in tabs.registered_tabs()] == ["berichten"]
    assert tabs.get_tab("correspondence") is None
    assert set(staff_page.registered_sections()) == {"dossiers", "open_todos"}
