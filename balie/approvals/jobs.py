"""Jobs of the approvals app: thin wrappers around the filing services (balie/approvals/filing.py)."""

from balie.approvals.filing import DELIVER_JOB, RECEIPTS_JOB, filing_deliver_due, filing_process_receipts
from balie.core import jobs


@jobs.job(DELIVER_JOB)
def deliver_submissions() -> int:
    """After a commit and periodically: attempts every filing that is due, on the retry schedule."""
    return filing_deliver_due()


@jobs.job(RECEIPTS_JOB)
def digipoort_receipts() -> int:
    """Periodic: settles delivered Digipoort filings whose receipt is due (akkoord or an error)."""
    return filing_process_receipts()
