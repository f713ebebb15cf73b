"""The flow a document type follows (APR-1, BEY-2): the firm's own choice, else Balie's default.

spec = flow_for(firm=client.firm, doc_type="vat_return")
spec.mode == "approve"; spec.audience == "directors"; spec.after == "firm_software"
"""

from __future__ import annotations

from dataclasses import dataclass

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
