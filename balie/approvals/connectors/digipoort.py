"""The Digipoort connector: filing with the government's gateway (tax returns, KvK publication).

Built in is a local simulator only (BALIE_DIGIPOORT=simulator, the embedded default). Like the
real gateway it takes the message at once and answers later: a reference now, then a receipt
("akkoord digipoort") or an error after BALIE_DIGIPOORT_DELAY_SECONDS, fetched by the job
``approvals.digipoort_receipts``. Its outcome is predictable, for tests and demonstrations: a
document whose title contains "FOUT" is refused with a validation error, anything else accepted.

A real connection needs a PKIoverheid services certificate and the gateway's SOAP/WUS
interface; it is not included. With BALIE_DIGIPOORT=off (the production default) a Digipoort
filing fails at once with a message saying so, instead of pretending to file.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from balie.approvals.connectors import Delivered, PermanentFailure, Receipt, register

SIMULATED_REFUSAL = "Het bericht voldoet niet aan de specificaties (XBRL-validatie)"
REFUSE_MARKER = "FOUT"


class DigipoortSimulator:
    name = "digipoort"
    # Filing again is a second message to the gateway: after an interrupted attempt the outcome
    # is flagged for the firm instead of sent again.
    idempotent = False

    def deliver(self, submission) -> Delivered:
        reference = "SIM-" + submission.event_id.hex[:20].upper()  # the gateway's "kenmerk"
        return Delivered(reference=reference, final=False, receipt_after=settings.BALIE_DIGIPOORT_DELAY_SECONDS)

    def receipt(self, submission) -> Receipt | None:
        if REFUSE_MARKER in submission.request.document.title:
            return Receipt(accepted=False, error=SIMULATED_REFUSAL)
        return Receipt(accepted=True)


class DigipoortOff:
    name = "digipoort"
    idempotent = False

    def deliver(self, submission) -> Delivered:
        raise PermanentFailure(
            _("Digipoort is not connected on this installation (it needs a PKIoverheid certificate).")
        )

    def receipt(self, submission) -> Receipt | None:
        return None


@register("digipoort")
def digipoort_connector():
    return DigipoortSimulator() if settings.BALIE_DIGIPOORT == "simulator" else DigipoortOff()
