"""Template tags of the environment's data changes, for the staff client detail panel."""

from __future__ import annotations

from django import template

from balie.clients.organisation import pending_change_request, recent_changes

register = template.Library()


@register.simple_tag
def organisation_changes(client, limit: int = 3) -> dict:
    """``{% organisation_changes client as changes %}``: the pending request and the latest history
    rows of one environment (two queries)."""
    return {"pending": pending_change_request(client=client), "recent": recent_changes(client=client, limit=limit)}
