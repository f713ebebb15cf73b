"""Jobs of the approvals app: thin wrappers around the filing services (balie/approvals/filing.py,
imported when a job runs: it enqueues these jobs).

Both run on their own queue (``filing``): a receiver that is slow to answer holds up filings only,
never sign-in codes or e-mail.
"""

from balie.core import jobs


@jobs.job("approvals.deliver_submissions", queue="filing")
def deliver_submissions() -> int:
    """After a commit and periodically: attempts every filing that is due, on the retry schedule
    (claiming no new one after ``filing.RUN_SECONDS``; the next run goes on)."""
    from balie.approvals.filing import filing_deliver_due

    return filing_deliver_due()


@jobs.job("approvals.digipoort_receipts", queue="filing")
def digipoort_receipts() -> int:
    """Periodic: settles delivered Digipoort filings whose receipt is due (akkoord or an error)."""
    from balie.approvals.filing import filing_process_receipts

    return filing_process_receipts()
