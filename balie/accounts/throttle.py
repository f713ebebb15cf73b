"""Sign-in throttling that a stranger cannot use to lock the owner out.

After OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a browser that signed in
successfully before carries a signed *device cookie*, bound to that user. Such a browser has its
own failure count and ignores the locks below. Every other browser is throttled per account and per
IP address: past a few failures the key locks, each lock twice as long as the one before, up to a
cap. The account's owner is told by e-mail, at most once a day, that someone is guessing.

Counters live in the cache (Redis in production, shared by all web processes). Every moment is
kept as a value and compared with the clock, so expiry never depends on the cache's own timeouts.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import secrets
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

DEVICE_COOKIE_SALT = "balie.accounts.device-cookie"
DEVICE_COOKIE_MAX_USERS = 5  # people sharing one browser each keep their own device cookie
_PREFIX = "balie:signin"
_LEVEL_MEMORY_SECONDS = 24 * 3600  # a lock that ended less than a day ago makes the next one longer


def _digest(text: str) -> str:
    # Addresses and IPs stay out of the cache's keys.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Throttle:
    """Failed attempts for one key within a window; past ``free`` of them the key locks. Each lock
    is twice as long as the one before (up to ``max_lock``) while the previous one ended less than
    a day ago. An attempt is counted before the password is checked and given back if it was right,
    so guesses sent in parallel are counted too."""

    key: str
    free: int
    first_lock: int
    max_lock: int
    lock_started: bool = field(default=False, init=False)
    _consumed_key: str | None = field(default=None, init=False)

    def _k(self, part: str) -> str:
        return f"{_PREFIX}:{self.key}:{part}"

    def _ttl(self) -> int:
        return settings.BALIE_SIGNIN_WINDOW_SECONDS + self.max_lock + _LEVEL_MEMORY_SECONDS

    def locked_until(self) -> float | None:
        state = cache.get(self._k("lock"))
        return state["until"] if state and state["until"] > time.time() else None

    def _count_key(self, now: float) -> str | None:
        """The counter of the window ``now`` falls in; None while a lock is on (the next window
        starts when it ends). Windows follow each other from a start kept in the cache, so
        processes that see the same start agree on the counter without a lock."""
        window = settings.BALIE_SIGNIN_WINDOW_SECONDS
        cache.add(self._k("since"), now, self._ttl())
        since = cache.get(self._k("since"), now)
        if since > now:
            return None
        if now - since >= window:
            since += window * ((now - since) // window)
            cache.set(self._k("since"), since, self._ttl())
        return self._window_key(since)

    def _window_key(self, since: float) -> str:
        # The generation changes when the counts are cleared, so a window never picks up old counts.
        return self._k(f"count:{cache.get(self._k('generation'), 0)}:{since:.6f}")

    def consume(self) -> bool:
        """Counts one attempt. False if it is one too many: the attempt is refused, and the first
        such attempt starts a lock (``self.lock_started``)."""
        now = time.time()
        key = self._count_key(now)
        if key is None:
            return False
        cache.add(key, 0, self._ttl())
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            count = 1
            cache.set(key, count, self._ttl())
        if count <= self.free:
            self._consumed_key = key
            return True
        # Of attempts sent at once, exactly one sees free + 1: one lock, one step longer.
        if count == self.free + 1:
            self._lock(now)
            self.lock_started = True
        return False

    def give_back(self) -> None:
        if self._consumed_key is not None:
            with contextlib.suppress(ValueError):  # evicted meanwhile
                cache.decr(self._consumed_key)
            self._consumed_key = None

    def _lock(self, now: float) -> None:
        previous = cache.get(self._k("lock"))
        level = previous["level"] + 1 if previous and now - previous["until"] < _LEVEL_MEMORY_SECONDS else 1
        seconds = min(self.first_lock * 2 ** (level - 1), self.max_lock)
        cache.set(self._k("lock"), {"level": level, "until": now + seconds}, self._ttl())
        # A new window starts when the lock ends, one failure short of the next lock: one more guess
        # is checked, and the attempt after a wrong one locks again, twice as long.
        cache.set(self._k("since"), now + seconds, self._ttl())
        cache.set(self._window_key(now + seconds), self.free - 1, self._ttl())

    def clear(self) -> None:
        cache.delete_many([self._k("since"), self._k("lock")])
        cache.add(self._k("generation"), 0, 2 * self._ttl())  # outlives every count it separates
        cache.incr(self._k("generation"))


def account_throttle(email: str) -> Throttle:
    return Throttle(
        key=f"account:{_digest(email.strip().lower())}",
        free=settings.BALIE_SIGNIN_ACCOUNT_FAILURES,
        first_lock=settings.BALIE_SIGNIN_ACCOUNT_LOCK_SECONDS,
        max_lock=settings.BALIE_SIGNIN_MAX_LOCK_SECONDS,
    )


def _ip_group(ip: str) -> str:
    """What one client is counted as: an IPv4 address, or the /64 of an IPv6 address (one
    subscriber usually gets a whole /64, so each of its addresses is no new bucket). An IPv4-mapped
    IPv6 address counts as its IPv4 address; anything else (``unknown``) as itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def ip_throttle(ip: str) -> Throttle:
    return Throttle(
        key=f"ip:{_digest(_ip_group(ip))}",
        free=settings.BALIE_SIGNIN_IP_FAILURES,
        first_lock=settings.BALIE_SIGNIN_IP_LOCK_SECONDS,
        max_lock=settings.BALIE_SIGNIN_MAX_LOCK_SECONDS,
    )


def device_throttle(nonce: str) -> Throttle:
    return Throttle(
        key=f"device:{nonce}",
        free=settings.BALIE_SIGNIN_DEVICE_FAILURES,
        first_lock=settings.BALIE_SIGNIN_WINDOW_SECONDS,
        max_lock=settings.BALIE_SIGNIN_WINDOW_SECONDS,
    )


# -- Device cookies ------------------------------------------------------------------------------


def _password_stamp(user) -> str:
    """A short keyed hash of the user's current password hash (Django's session auth hash idea):
    a password change or reset makes every device cookie issued before it worthless."""
    return salted_hmac(f"{DEVICE_COOKIE_SALT}.password", user.password or "").hexdigest()[:16]


def _device_entries(request) -> list[list]:
    """The cookie's [user id, nonce, issued at, password stamp] entries that are still valid; [] if forged or old."""
    raw = request.COOKIES.get(settings.BALIE_DEVICE_COOKIE_NAME)
    if not raw:
        return []
    lifetime = settings.BALIE_DEVICE_COOKIE_DAYS * 24 * 3600
    try:
        entries = signing.loads(raw, salt=DEVICE_COOKIE_SALT, max_age=lifetime)
    except signing.BadSignature:
        return []
    now = time.time()
    return [entry for entry in entries if isinstance(entry, list) and len(entry) == 4 and now - entry[2] < lifetime]


def device_nonce(request, *, user) -> str | None:
    """The nonce of this browser's device cookie for ``user``, if it has one issued since the
    password last changed."""
    mine = [entry for entry in _device_entries(request) if user is not None and entry[0] == user.pk]
    if not mine:
        return None
    stamp = _password_stamp(user)
    return next((entry[1] for entry in mine if constant_time_compare(entry[3], stamp)), None)


def device_cookie_set(response, *, request, user) -> None:
    """Marks the browser as one ``user`` signed in with: a fresh nonce, so a fresh failure count,
    valid until the password changes."""
    others = [entry for entry in _device_entries(request) if entry[0] != user.pk]
    entry = [user.pk, secrets.token_urlsafe(16), int(time.time()), _password_stamp(user)]
    entries = [entry, *others][:DEVICE_COOKIE_MAX_USERS]
    response.set_cookie(
        settings.BALIE_DEVICE_COOKIE_NAME,
        signing.dumps(entries, salt=DEVICE_COOKIE_SALT),
        max_age=settings.BALIE_DEVICE_COOKIE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


_RESET_BY = "_balie_password_reset_by"


def device_cookie_promise(request, *, user) -> None:
    """Notes that this request reset ``user``'s password from the mailed link, so that its response
    gets a device cookie (``device_cookie_keep_promise``)."""
    setattr(request, _RESET_BY, user)


def device_cookie_keep_promise(response, *, request) -> None:
    user = getattr(request, _RESET_BY, None)
    if user is not None:
        device_cookie_set(response, request=request, user=user)


# -- One attempt ---------------------------------------------------------------------------------


@dataclass
class SignInAttempt:
    """The throttles that apply to one password attempt, checked before the password is."""

    throttles: list[Throttle]

    def succeeded(self) -> None:
        for throttle in self.throttles:
            throttle.give_back()


def signin_attempt_start(*, request, email: str, user, ip: str) -> tuple[SignInAttempt | None, str | None]:
    """Counts a password attempt for ``email`` (``user``, None for an unknown address) from this
    browser.

    Returns ``(attempt, lock_started)``; ``attempt`` is None when the attempt is refused (without
    checking the password); ``lock_started`` is ``"account"`` or ``"device"`` when this attempt
    locked the account for unknown browsers or this browser's device cookie (the owner is warned of
    either), else None. A browser with a valid device cookie
    for the account counts against its cookie only; once the cookie is locked it is an unknown
    browser like any other.
    """
    nonce = device_nonce(request, user=user)
    if nonce is not None:
        device = device_throttle(nonce)
        if device.locked_until() is None:
            if device.consume():
                return SignInAttempt(throttles=[device]), None
            return None, "device" if device.lock_started else None
    account, address = account_throttle(email), ip_throttle(ip)
    if account.locked_until() is not None or address.locked_until() is not None:
        return None, None
    consumed = []
    for throttle in (account, address):
        if not throttle.consume():
            for other in consumed:
                other.give_back()
            return None, "account" if throttle is account and throttle.lock_started else None
        consumed.append(throttle)
    return SignInAttempt(throttles=consumed), None


def signin_failures_clear(*, email: str) -> None:
    """Forgets the unknown-browser failures for ``email`` (after a password reset by its owner),
    and that its owner was warned: guessing after the reset is news again."""
    account_throttle(email).clear()
    cache.delete(_warned_key(email))


def _warned_key(email: str) -> str:
    return f"{_PREFIX}:warned:{_digest(email.strip().lower())}"


def signin_warning_due(*, email: str) -> bool:
    """True at most once per BALIE_SIGNIN_WARNING_SECONDS per sign-in address."""
    key, now = _warned_key(email), time.time()
    period = settings.BALIE_SIGNIN_WARNING_SECONDS
    if cache.add(key, now, period + _LEVEL_MEMORY_SECONDS):
        return True
    last = cache.get(key)
    if last is not None and now - last < period:
        return False
    cache.set(key, now, period + _LEVEL_MEMORY_SECONDS)
    return True
