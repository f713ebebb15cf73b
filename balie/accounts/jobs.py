"""Jobs of accounts."""

from balie.accounts import services
from balie.core import jobs

WARN_JOB = services.WARN_PASSWORD_GUESSING_JOB


@jobs.job(WARN_JOB, queue="transactional")
def warn_password_guessing(*, email: str, known_browser: bool = False) -> bool:
    """A sign-in lock started for ``email``: warns its owner, if it is an active person's."""
    return services.user_warn_password_guessing(email=email, known_browser=known_browser)
