"""What approvals adds to publishing documents in dossiers (the ``dossiers.publication`` hooks that
are not services, forms or flows of their own: see ``ApprovalsConfig.ready``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from balie.approvals.models import After, Audience, Request, Required
from balie.approvals.selectors import request_list_for_staff


def request_facts(settings: dict) -> list[tuple[str, str]]:
    """(label, value) of the approval settings a (bulk) publication chose: who must act, how many
    approvals are needed, what follows an approval. What it left out, the flow decides."""
    facts = []
    for name, label, choices in (
        ("audience", _("Who must act"), Audience),
        ("required", _("Approvals needed"), Required),
        ("after", _("After approval"), After),
    ):
        if settings.get(name):
            facts.append((label, choices(settings[name]).label))
    return facts


def document_requests(*, staff, client, document) -> QuerySet[Request]:
    """The requests on ``document``, for its page on the firm side."""
    return request_list_for_staff(staff=staff, client=client).filter(document=document)
