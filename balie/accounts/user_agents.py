"""A short, readable description of a browser's User-Agent header ("Chrome on Windows").

Only good enough to help a person recognise their own devices in the list of sessions; it is never
used for decisions. Browsers copy each other's tokens, so the order of the checks matters: Edge and
Opera say "Chrome", Chrome says "Safari", and an iPhone says "like Mac OS X".
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# (token in the header, name shown). The first match wins.
BROWSERS = [
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]


def _first(user_agent: str, table: list[tuple[str, str]]) -> str | None:
    return next((name for token, name in table if token in user_agent), None)


def parse_user_agent(user_agent: str) -> tuple[str | None, str | None]:
    """(browser, operating system or device), each None when not recognised."""
    user_agent = user_agent or ""
    browser = _first(user_agent, BROWSERS)
    if browser == "Safari" and "Version/" not in user_agent:
        browser = None  # an app's web view or a bot that borrows the token, not Safari itself
    return browser, _first(user_agent, SYSTEMS)


def describe_user_agent(user_agent: str) -> str:
    """ "Chrome on Windows", "Safari on iPhone"; in the active language."""
    browser, system = parse_user_agent(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return _("Browser on %(system)s") % {"system": system}
    return _("Unknown device")
