"""What other apps show on the firm's page of an environment (``clients:staff_detail``).

The clients app sits below the apps that own an environment's dossiers and tasks, so it does not
ask them itself: each of them registers a *section* from its ``AppConfig.ready``, a function that
returns the template variables it adds to the page (``templates/clients/staff/client_detail.html``)::

    staff_page.register_section("dossiers", lambda *, staff, client: {"dossiers": [...]})

The page calls every registered section with the staff member and the environment. Registering the
same name again replaces the section (so a reloaded app does not add it twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Section = Callable[..., dict[str, Any]]  # section(*, staff, client) -> template variables

_SECTIONS: dict[str, Section] = {}


def register_section(name: str, section: Section) -> None:
    """Adds (or replaces) the section ``name`` of the firm's page of an environment."""
    _SECTIONS[name] = section


def registered_sections() -> list[str]:
    """The names of the registered sections, in the order they were registered."""
    return list(_SECTIONS)


def section_context(*, staff, client) -> dict[str, Any]:
    """The template variables all registered sections add for ``client``, seen by ``staff``."""
    context: dict[str, Any] = {}
    for section in _SECTIONS.values():
        context.update(section(staff=staff, client=client))
    return context
