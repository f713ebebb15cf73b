"""Absolute links for e-mails, SMS and letters.

Every link that leaves the site is built here from ``BALIE_SITE_URL``, never from the request: the
Host header is chosen by whoever sends the request, so a link built from it (a password-reset link,
say) can point a victim at the sender's own server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """``BALIE_SITE_URL`` followed by ``path``, which must be a path on this site (``/...``)."""
    if not path.startswith("/") or path.startswith(("//", "/\\")) or urlsplit(path).netloc:
        raise ValueError(f"Not a path on this site: {path!r}")
    return f"{settings.BALIE_SITE_URL}{path}"


def site_host() -> str:
    """The host name of ``BALIE_SITE_URL`` (without port), e.g. for Message-IDs and greetings."""
    return urlsplit(settings.BALIE_SITE_URL).hostname or ""
