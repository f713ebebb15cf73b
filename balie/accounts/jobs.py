"""Jobs of accounts (the services are imported when a job runs: they enqueue these jobs)."""

from balie.core import jobs


@jobs.job("accounts.warn_password_guessing", queue="transactional")
def warn_password_guessing(*, email: str, known_browser: bool = False) -> bool:
    """A sign-in lock started for ``email``: warns its owner, if it is an active person's."""
    from balie.accounts import services

    return services.user_warn_password_guessing(email=email, known_browser=known_browser)
