"""The flow a document type follows (APR-1, BEY-2): the firm's own choice, else Balie's default.

spec = flow_for(firm=client.firm, doc_type="vat_return")
spec.mode == "approve"; spec.audience == "directors"; spec.after == "firm_software"
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from balie.approvals.models import After, Audience, Flow, Required
from balie.dossiers.models import DocumentType

Mode = Flow.Mode


@dataclass(frozen=True)
class FlowSpec:
    mode: str
    audience: str
    required: str = Required.ONE
    after: str = After.NOTHING
    due_days: int | None = None

    @property
    def asks_for_a_request(self) -> bool:
        """Approve and review flows become requests; sign belongs to signing, info asks nothing."""
        return self.mode in (Mode.APPROVE, Mode.REVIEW)


T = DocumentType
# Balie's defaults, exactly as APR-1 lists them.
DEFAULTS: dict[str, FlowSpec] = {
    T.VAT_RETURN: FlowSpec(Mode.APPROVE, Audience.DIRECTORS, Required.ONE, After.FIRM_SOFTWARE),
    T.INCOME_TAX_RETURN: FlowSpec(Mode.APPROVE, Audience.HANDLERS, Required.ONE, After.DIGIPOORT),
    T.CORPORATE_TAX_RETURN: FlowSpec(Mode.APPROVE, Audience.HANDLERS, Required.ONE, After.DIGIPOORT),
    T.CONCEPT_RETURN: FlowSpec(Mode.INFO, Audience.HANDLERS),
    T.CONCEPT_ANNUAL_ACCOUNTS: FlowSpec(Mode.REVIEW, Audience.HANDLERS),
    T.REPRESENTATION_LETTER: FlowSpec(Mode.SIGN, Audience.DIRECTORS),
    T.ANNUAL_ACCOUNTS: FlowSpec(Mode.SIGN, Audience.DIRECTORS),
    T.PUBLICATION: FlowSpec(Mode.APPROVE, Audience.DIRECTORS, Required.ONE, After.DIGIPOORT),
    T.CREDIT_REPORT: FlowSpec(Mode.APPROVE, Audience.HANDLERS),
    T.ENGAGEMENT_LETTER: FlowSpec(Mode.APPROVE, Audience.HANDLERS),
    T.LETTER: FlowSpec(Mode.APPROVE, Audience.HANDLERS),
    T.OTHER: FlowSpec(Mode.APPROVE, Audience.HANDLERS),
}
FALLBACK = FlowSpec(Mode.APPROVE, Audience.HANDLERS)


def default_flow(doc_type: str) -> FlowSpec:
    return DEFAULTS.get(doc_type, FALLBACK)


def flow_for(*, firm, doc_type: str) -> FlowSpec:
    """The firm's flow for ``doc_type`` (its Flow row), else Balie's default of APR-1."""
    row = Flow.objects.filter(firm=firm, doc_type=doc_type).first() if firm is not None else None
    if row is None:
        return default_flow(doc_type)
    return FlowSpec(mode=row.mode, audience=row.audience, required=row.required, after=row.after, due_days=row.due_days)


def after_unavailable(*, firm, after: str) -> str:
    """Why ``after`` cannot follow an approval of ``firm`` in this installation now, as a message for
    the forms; "" when it can. Filing through Digipoort needs BALIE_DIGIPOORT on, notifying the
    firm's software a webhook with an address and a secret (Settings › Firm software)."""
    from balie.approvals.receivers import receiver_for_firm

    if after == After.DIGIPOORT and settings.BALIE_DIGIPOORT == "off":
        return _("Filing through Digipoort is not available in this installation; choose another step after approval.")
    if after == After.FIRM_SOFTWARE:
        receiver = receiver_for_firm(firm=firm) if firm is not None else None
        if receiver is None or not receiver.webhook_url or not receiver.has_secret:
            return _(
                "Your firm's software is not connected: set up its webhook under Settings › Firm software, "
                "or choose another step after approval."
            )
    return ""


def after_unavailable_note(after: str) -> str:
    """The short note shown where a flow's step after approval cannot happen now, so that the
    publish forms propose "nothing" instead."""
    if after == After.DIGIPOORT:
        return _(
            "Filing through Digipoort is not available in this installation, so publishing proposes "
            "“Nothing” after approval."
        )
    return _(
        "Your firm's software is not connected (Settings › Firm software), so publishing proposes "
        "“Nothing” after approval."
    )
