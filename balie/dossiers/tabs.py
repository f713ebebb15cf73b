"""Tabs that other apps add to a dossier's page on the client side, after the document tabs.

The dossiers app sits below the apps that attach things to a dossier (the dossier's threads live in
``messaging``), so it does not ask them itself: such an app registers a tab from its
``AppConfig.ready``::

    tabs.register_tab("berichten", label=_("Messages"), unread=unread_count, items=threads_of)

``unread(*, user, client, dossier)`` is the number shown on the tab, ``items(*, user, client,
dossier)`` what the tab lists (paged by the page; ``templates/dossiers/detail.html`` renders it
under the tab's slug). Tabs appear in the order they were registered; registering a slug again
replaces its tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DossierTab:
    slug: str  # in the URL as ?tab=<slug>
    label: str  # may be lazy
    unread: Callable[..., int]  # unread(*, user, client, dossier)
    items: Callable[..., object]  # items(*, user, client, dossier): a queryset or list to page


_TABS: dict[str, DossierTab] = {}


def register_tab(slug: str, *, label, unread: Callable[..., int], items: Callable[..., object]) -> None:
    """Adds (or replaces) the tab ``slug`` of a dossier's page."""
    _TABS[slug] = DossierTab(slug=slug, label=label, unread=unread, items=items)


def registered_tabs() -> list[DossierTab]:
    """The registered tabs, in the order they were registered."""
    return list(_TABS.values())


def get_tab(slug: str) -> DossierTab | None:
    """The registered tab ``slug``, or None."""
    return _TABS.get(slug)
