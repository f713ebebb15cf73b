"""The firm's own default flows per document type (APR-1, BEY-2): the write behind its settings page.

A document type whose chosen flow equals Balie's default keeps no row, so it keeps following the
default; any other choice is stored as the firm's ``Flow`` row for that type.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from balie.approvals.flows import FlowSpec, default_flow
from balie.approvals.models import After, Audience, Flow, Required
from balie.audit.services import record
from balie.dossiers.models import DocumentType


def _check(doc_type: str, spec: FlowSpec) -> None:
    if doc_type not in DocumentType.values:
        raise ValidationError(_("Choose a valid document type."), code="doc_type")
    if (
        spec.mode not in Flow.Mode.values
        or spec.audience not in (Audience.DIRECTORS, Audience.HANDLERS)
        or spec.required not in Required.values
        or spec.after not in After.values
    ):
        raise ValidationError(_("Choose a valid flow."), code="invalid")
    if spec.after != After.NOTHING and spec.mode != Flow.Mode.APPROVE:
        raise ValidationError(
            _("Only an approval can be followed by a filing or a notice to your software."), code="after"
        )


@transaction.atomic
def firm_flows_update(*, firm, actor, flows: dict[str, FlowSpec]) -> int:
    """Stores the firm's flow for each given document type; returns how many types differ from
    Balie's default afterwards. All or nothing: one invalid flow changes none."""
    for doc_type, spec in flows.items():
        _check(doc_type, spec)
    existing = {flow.doc_type: flow for flow in Flow.objects.select_for_update().filter(firm=firm)}
    changed = []
    for doc_type, spec in flows.items():
        row = existing.get(doc_type)
        if spec == default_flow(doc_type):
            if row is not None:
                row.delete()
                changed.append(doc_type)
            continue
        values = {
            "mode": spec.mode,
            "audience": spec.audience,
            "required": spec.required,
            "after": spec.after,
            "due_days": spec.due_days,
        }
        if row is None:
            Flow.objects.create(firm=firm, doc_type=doc_type, **values)
            changed.append(doc_type)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=list(values))
            changed.append(doc_type)
    if changed:
        record("settings.changed", firm=firm, actor=actor, details={"setting": "flows", "doc_types": changed})
    return Flow.objects.filter(firm=firm).count()
