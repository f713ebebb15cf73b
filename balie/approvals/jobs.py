"""Jobs of the approvals app: thin wrappers around the filing services (balie/approvals/filing.py).

Both run on their own queue (``filing``): a receiver that is slow to answer holds up filings only,
never sign-in codes or e-mail.
"""

from balie.approvals.filing import (
    DELIVER_JOB,
    JOB_QUEUE,
    RECEIPTS_JOB,
    filing_deliver_due,
    filing_process_receipts,
)
from balie.core import jobs


@jobs.job(DELIVER_JOB, queue=JOB_QUEUE)
def deliver_submissions() -> int:
    """After a commit and periodically: attempts every filing that is due, on the retry schedule
    (claiming no new one after ``filing.RUN_SECONDS``; the next run goes on)."""
    return filing_deliver_due()


@jobs.job(RECEIPTS_JOB, queue=JOB_QUEUE)
def digipoort_receipts() -> int:
    """Periodic: settles delivered Digipoort filings whose receipt is due (akkoord or an error)."""
    return filing_process_receipts()
