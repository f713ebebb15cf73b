"""Balie settings: one file, driven by environment variables.

Without any variable set, Balie runs in its embedded mode: SQLite in ``var/``, files on local
disk, jobs in-process and e-mail to the development outbox. ``BALIE_ENV=production`` switches
the safety net on: the process refuses to start on an insecure configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


BALIE_ENV = env_str("BALIE_ENV", "development")
if BALIE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"BALIE_ENV must be 'development' or 'production', not {BALIE_ENV!r}.")
PRODUCTION = BALIE_ENV == "production"

DATA_DIR = Path(env_str("BALIE_DATA_DIR", str(BASE_DIR / "var"))).resolve()

# -- Core ---------------------------------------------------------------------------------------
_DEV_SECRET = "django-insecure-balie-development-only-key-never-use-this-in-production"
SECRET_KEY = env_str("SECRET_KEY") or ("" if PRODUCTION else _DEV_SECRET)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    problems = []
    if not SECRET_KEY:
        problems.append("SECRET_KEY is not set (use a random value of at least 50 characters)")
    elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        problems.append("SECRET_KEY is too weak (use a random value of at least 50 characters)")
    if DEBUG:
        problems.append("DEBUG is on (set DEBUG=false)")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS is empty (list the host names Balie is served on)")
    # A wildcard lets any Host header through, and Django then trusts it for every absolute URL.
    if any(host == "*" or host.startswith(".") or "*" in host for host in ALLOWED_HOSTS):
        problems.append("ALLOWED_HOSTS has a wildcard (list the exact host names Balie is served on)")
    if not env_list("BALIE_ENCRYPTION_KEYS"):
        problems.append("BALIE_ENCRYPTION_KEYS is not set (a Fernet key encrypts two-step verification secrets)")
    if problems:
        raise ImproperlyConfigured(
            "Balie refuses to start with BALIE_ENV=production on an insecure configuration:\n  - "
            + "\n  - ".join(problems)
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "balie.core",
    "balie.accounts",
    "balie.firms",
    "balie.clients",
    "balie.notifications",
    "balie.audit",
    "balie.todos",
    "balie.twostep",
    "balie.dossiers",
    "balie.approvals",
    "balie.signing",
    "balie.messaging",
    "balie.home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "balie.audit.middleware.AuditRequestMiddleware",  # the request id, and where events come from
    "balie.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "balie.core.middleware.BodyLimitMiddleware",  # before anything reads the body (see the class)
    "django.contrib.messages.middleware.MessageMiddleware",
    "balie.accounts.middleware.SessionLifetimeMiddleware",
    "balie.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "balie.twostep.middleware.TwoStepRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "balie.urls"
WSGI_APPLICATION = "balie.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "balie.home.context_processors.layout",
            ],
        },
    },
]

# -- Database -----------------------------------------------------------------------------------
# SQLite in WAL mode with IMMEDIATE transactions: readers never block the writer, and a writer
# waits for the lock at BEGIN (busy_timeout) instead of failing halfway with "database is locked".
_SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
    ),
    "transaction_mode": "IMMEDIATE",
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "balie.sqlite3",
            "OPTIONS": _SQLITE_OPTIONS,
            # Tests use a file too: the in-memory database is shared between the live server's
            # threads through SQLite's shared cache, whose table locks ignore busy_timeout.
            "TEST": {"NAME": str(DATA_DIR / "test-balie.sqlite3")},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Cache (throttling counters live here, so production shares them through Redis) -------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "balie"}}
if PRODUCTION and not REDIS_URL and not env_bool("BALIE_ALLOW_LOCAL_CACHE", False):
    raise ImproperlyConfigured(
        "Balie refuses to start with BALIE_ENV=production without REDIS_URL: sign-in throttling must be "
        "shared by all web processes. Set REDIS_URL, or BALIE_ALLOW_LOCAL_CACHE=true for one single process."
    )

# -- Background jobs (balie/core/jobs.py) ------------------------------------------------------
BALIE_JOBS_BACKEND = env_str("BALIE_JOBS_BACKEND", "celery" if PRODUCTION else "inprocess")
if BALIE_JOBS_BACKEND not in {"inprocess", "celery", "immediate"}:
    raise ImproperlyConfigured(
        f"BALIE_JOBS_BACKEND must be inprocess, celery or immediate, not {BALIE_JOBS_BACKEND!r}."
    )
if BALIE_JOBS_BACKEND == "celery" and not REDIS_URL:
    raise ImproperlyConfigured("BALIE_JOBS_BACKEND=celery needs REDIS_URL (the broker).")
BALIE_JOB_MAX_RETRIES = env_int("BALIE_JOB_MAX_RETRIES", 5)
# Periodic jobs, in seconds: the relay picks up outbox rows whose trigger was lost (a broker
# outage, a process killed right after commit) and retries failed deliveries when they are due.
BALIE_PERIODIC_JOBS = {
    "notifications.relay_outbox": env_int("BALIE_OUTBOX_RELAY_SECONDS", 30),
    "todos.send_reminders": env_int("BALIE_REMINDER_RUN_SECONDS", 3600),  # reminders per firm policy
    "notifications.send_bundles": 60,
    "notifications.send_digests": 3600,
    "clients.end_expired_memberships": 3600,  # access with an end date ends by itself (BEY-4)
    "approvals.deliver_submissions": 5,  # filings due for an attempt (the retry schedule starts at 5 s)
    "approvals.digipoort_receipts": 5,  # receipts from Digipoort (the simulator's answers)
    "signing.seal_stale": 60,  # signatures whose sealing job was lost
    "core.remove_stale_uploads": 3600,  # temporary files of uploads whose process was killed
    "audit.verify_chains": 24 * 3600,  # every chain walked; a broken one alerts the firm and operator
    "audit.write_checkpoints": 3600,  # each finished day's sealed checkpoint (once per firm and day)
    "audit.prune": 24 * 3600,  # events past the firm's retention, by whole days before a checkpoint
    "audit.check_alerts": 15 * 60,  # many downloads outside one's environments, repeated sign-in locks
}
# Audit alerts (SEC-2): a staff member downloading more than this many documents of environments
# they do not manage within an hour; an account locked by the sign-in throttle this often in a day.
BALIE_AUDIT_DOWNLOAD_ALERT = env_int("BALIE_AUDIT_DOWNLOAD_ALERT", 50)
BALIE_AUDIT_SIGNIN_ALERT_LOCKS = env_int("BALIE_AUDIT_SIGNIN_ALERT_LOCKS", 2)
# Notifications for one person within this window arrive as one e-mail (NOT-1).
BALIE_NOTIFY_WINDOW_MINUTES = env_int("BALIE_NOTIFY_WINDOW_MINUTES", 10)
BALIE_DIGEST_HOUR = env_int("BALIE_DIGEST_HOUR", 7)  # local time of the daily digest
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Amsterdam"

# -- Outbox: every e-mail and SMS is a row first, delivered by a job -------------------------
# A message that keeps failing for a temporary reason (the server is down, a 4xx answer) is tried
# again and again, the delay doubling from RETRY_SECONDS up to RETRY_MAX_SECONDS, until GIVE_UP_HOURS
# after it was queued: an SMTP outage over a weekend night loses nothing. (BALIE_OUTBOX_MAX_ATTEMPTS,
# a fixed number of attempts, is no longer read; `balie check` warns when it is still set.)
BALIE_OUTBOX_GIVE_UP_HOURS = env_int("BALIE_OUTBOX_GIVE_UP_HOURS", 48)
BALIE_OUTBOX_RETRY_SECONDS = env_int("BALIE_OUTBOX_RETRY_SECONDS", 30)  # first retry; doubles each time
BALIE_OUTBOX_RETRY_MAX_SECONDS = env_int("BALIE_OUTBOX_RETRY_MAX_SECONDS", 30 * 60)
# /health says "degraded" (and staff see a warning) once an e-mail has waited this long.
BALIE_OUTBOX_ALERT_MINUTES = env_int("BALIE_OUTBOX_ALERT_MINUTES", 15)
if BALIE_OUTBOX_GIVE_UP_HOURS < 1:
    raise ImproperlyConfigured("BALIE_OUTBOX_GIVE_UP_HOURS must be at least 1 (the default is 48).")
if not 1 <= BALIE_OUTBOX_RETRY_SECONDS <= BALIE_OUTBOX_RETRY_MAX_SECONDS:
    raise ImproperlyConfigured(
        "BALIE_OUTBOX_RETRY_SECONDS must be at least 1 and at most BALIE_OUTBOX_RETRY_MAX_SECONDS."
    )
BALIE_OUTBOX_LEASE_SECONDS = 300  # a row claimed by a worker that died is retried after this

# -- Filing with receivers (balie/approvals/filing.py, APR-8) -----------------------------------
# Webhooks to the firm's software may reach loopback/private/link-local addresses only when this is
# on: the embedded default (software on the same machine or network), never by accident in production.
BALIE_WEBHOOK_ALLOW_PRIVATE = env_bool("BALIE_WEBHOOK_ALLOW_PRIVATE", not PRODUCTION)
BALIE_WEBHOOK_TIMEOUT_SECONDS = 10  # per delivery attempt, all of it: name lookup, connection, answer
# Digipoort: the built-in local simulator, or off (a real connection needs a PKIoverheid certificate).
BALIE_DIGIPOORT = env_str("BALIE_DIGIPOORT", "off" if PRODUCTION else "simulator")
if BALIE_DIGIPOORT not in {"simulator", "off"}:
    raise ImproperlyConfigured(
        f"BALIE_DIGIPOORT must be simulator or off, not {BALIE_DIGIPOORT!r} "
        "(a real Digipoort connection needs a PKIoverheid certificate and is not included)."
    )
if PRODUCTION and BALIE_DIGIPOORT == "simulator":
    raise ImproperlyConfigured(
        "BALIE_DIGIPOORT=simulator cannot be used with BALIE_ENV=production: it reports filings as "
        "accepted that were never filed."
    )
BALIE_DIGIPOORT_DELAY_SECONDS = env_int("BALIE_DIGIPOORT_DELAY_SECONDS", 20)  # the simulator's answer time

# -- Signing (balie/signing, APR-6) ------------------------------------------------------------
# The certificate signed PDFs and evidence are sealed with: one for the whole installation (PEM
# files), else each firm's own (uploaded, or generated self-signed on first use).
BALIE_SEAL_CERT_FILE = env_str("BALIE_SEAL_CERT_FILE", "")
BALIE_SEAL_KEY_FILE = env_str("BALIE_SEAL_KEY_FILE", "")
BALIE_SEAL_KEY_PASSWORD = env_str("BALIE_SEAL_KEY_PASSWORD", "")
if bool(BALIE_SEAL_CERT_FILE) != bool(BALIE_SEAL_KEY_FILE):
    raise ImproperlyConfigured("Set BALIE_SEAL_CERT_FILE and BALIE_SEAL_KEY_FILE together.")
BALIE_SEAL_TRUST_FILE = env_str("BALIE_SEAL_TRUST_FILE", "")  # more certificates the verifier trusts (PEM)
BALIE_TSA_URL = env_str("BALIE_TSA_URL", "")  # RFC 3161 timestamp authority: PAdES B-T; without it B-B

# -- Accounts and sessions ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "balie.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home:index"
LOGOUT_REDIRECT_URL = "account_login"

SESSION_COOKIE_AGE = env_int("BALIE_SESSION_IDLE_SECONDS", 30 * 60)  # idle timeout
# The idle deadline moves forward with activity: SessionLifetimeMiddleware re-saves the session at
# most once a minute (not on every request, which would cost a database write per page).
BALIE_SESSION_TOUCH_SECONDS = 60
BALIE_SESSION_MAX_SECONDS = env_int("BALIE_SESSION_MAX_SECONDS", 12 * 60 * 60)  # absolute lifetime
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
BALIE_INVITATION_HOURS = env_int("BALIE_INVITATION_HOURS", 72)
PASSWORD_RESET_TIMEOUT = env_int("BALIE_PASSWORD_RESET_SECONDS", 60 * 60)

ACCOUNT_ADAPTER = "balie.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # no mail to addresses without an account (no sign-up to offer)
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # the password change keeps this session, ends the others
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Password sign-in has Balie's own throttle (below); allauth's "login_failed" limit is left for its
# own second-factor and passkey forms, where it counts per person.
# A Beheerder or staff member asking for a new sign-in address of someone else: each request
# mails the new address, so at most this many an hour per requester.
BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR = env_int("BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR", 5)
if BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR < 1:
    raise ImproperlyConfigured("BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR must be 1 or more.")
# One's own sign-in address: at most this many requests an hour (each mails the current address).
BALIE_EMAIL_CHANGES_PER_HOUR = env_int("BALIE_EMAIL_CHANGES_PER_HOUR", 5)
if BALIE_EMAIL_CHANGES_PER_HOUR < 1:
    raise ImproperlyConfigured("BALIE_EMAIL_CHANGES_PER_HOUR must be 1 or more.")
# Requests by others (Beheerders, the firm) to change one person's sign-in address: at most this
# many an hour per person, whoever asks.
BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR = env_int("BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR", 3)
if BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR < 1:
    raise ImproperlyConfigured("BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR must be 1 or more.")
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "invitation_new_link": "10/m/ip,3/h/key",
    "contact_email_change": f"{BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR}/h/user",
    "email_change": f"{BALIE_EMAIL_CHANGES_PER_HOUR}/h/user",
}

# -- Sign-in throttling (balie/accounts/throttle.py) -------------------------------------------
# A browser someone signed in with gets a signed device cookie and its own failure count; other
# browsers are throttled per account and per IP address, with locks that double up to a cap.
BALIE_DEVICE_COOKIE_NAME = "__Host-balie_device" if PRODUCTION else "balie_device"
BALIE_DEVICE_COOKIE_DAYS = env_int("BALIE_DEVICE_COOKIE_DAYS", 365)
BALIE_SIGNIN_WINDOW_SECONDS = 15 * 60  # failures count within this window
BALIE_SIGNIN_ACCOUNT_FAILURES = 5  # per account from unknown browsers; the next attempt locks
BALIE_SIGNIN_ACCOUNT_LOCK_SECONDS = 5 * 60  # first lock; each next one twice as long
BALIE_SIGNIN_IP_FAILURES = 10  # per IP address from unknown browsers
BALIE_SIGNIN_IP_LOCK_SECONDS = 60
BALIE_SIGNIN_MAX_LOCK_SECONDS = 60 * 60
BALIE_SIGNIN_DEVICE_FAILURES = 10  # per device cookie; then that browser counts as unknown for a window
# At most one "someone is guessing your password" e-mail a day per address (a reset starts afresh):
# an attack that goes on locks again and again, and the first mail has said what to do.
BALIE_SIGNIN_WARNING_SECONDS = 24 * 3600

# -- Two-step verification (ACC-4, ACC-5, ACC-7) ------------------------------------------------
# Second-factor secrets are encrypted with these Fernet keys: the first encrypts, all decrypt (so a
# new key can be put in front and the old one removed after re-encryption). Without it, a
# development key is derived from SECRET_KEY; production refuses to start without one.
BALIE_ENCRYPTION_KEYS = env_list("BALIE_ENCRYPTION_KEYS")
MFA_ADAPTER = "balie.twostep.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Balie"
MFA_TOTP_TOLERANCE = 1  # the previous and next 30-second window count too (clock drift), each code once
MFA_RECOVERY_CODE_COUNT = 10
MFA_TRUST_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
BALIE_TWOSTEP_MAX_FAILURES = 10  # consecutive wrong codes before a factor locks
BALIE_TWOSTEP_LOCK_SECONDS = 15 * 60
BALIE_STEPUP_SECONDS = 5 * 60  # a confirmation code is valid this long
BALIE_SMS_CODE_SECONDS = 5 * 60
BALIE_SMS_CODE_ATTEMPTS = 3
# Per person: at most one code per interval and this many per hour (signing in plus several
# confirmations at year end must fit in one hour).
BALIE_SMS_CODE_INTERVAL_SECONDS = env_int("BALIE_SMS_CODE_INTERVAL_SECONDS", 30)
BALIE_SMS_CODES_PER_HOUR = env_int("BALIE_SMS_CODES_PER_HOUR", 12)
if BALIE_SMS_CODE_INTERVAL_SECONDS < 0 or BALIE_SMS_CODES_PER_HOUR < 1:
    raise ImproperlyConfigured(
        "BALIE_SMS_CODE_INTERVAL_SECONDS must be 0 or more and BALIE_SMS_CODES_PER_HOUR 1 or more."
    )
BALIE_PIN_LETTER_DAYS = 30
BALIE_PIN_ATTEMPTS = 5

# -- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "balie_language"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# -- Files --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("BALIE_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("BALIE_MEDIA_ROOT", str(DATA_DIR / "media")))
# Documents live on local disk by default, or in S3-compatible object storage (BALIE_STORAGE=s3).
BALIE_STORAGE = env_str("BALIE_STORAGE", "local")
if BALIE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured(f"BALIE_STORAGE must be 'local' or 's3', not {BALIE_STORAGE!r}.")


def s3_storage_options() -> dict:
    """django-storages' S3 options from the BALIE_S3_* variables (path-style for self-hosted S3)."""
    return {
        "bucket_name": env_str("BALIE_S3_BUCKET"),
        "endpoint_url": env_str("BALIE_S3_ENDPOINT_URL") or None,
        "access_key": env_str("BALIE_S3_ACCESS_KEY"),
        "secret_key": env_str("BALIE_S3_SECRET_KEY"),
        "region_name": env_str("BALIE_S3_REGION", "eu-central-1"),
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,  # presigned download links live five minutes
    }


STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_storage_options()}
        if BALIE_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Large uploads go to a temporary file and are hashed on the way in (see balie/dossiers/files.py).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "balie.dossiers.files.HashingUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = env_str("BALIE_UPLOAD_TEMP_DIR") or None  # same disk as the media: a move
# Every stored file is scanned by ClamAV's daemon when BALIE_CLAMAV_SOCKET is set (a UNIX socket
# path or tcp://host:port). When clamd cannot be reached or cannot scan, a file is refused (refuse)
# or stored anyway (accept); both are logged.
BALIE_CLAMAV_SOCKET = env_str("BALIE_CLAMAV_SOCKET", "")
BALIE_CLAMAV_ON_ERROR = env_str("BALIE_CLAMAV_ON_ERROR", "refuse").lower()
if BALIE_CLAMAV_ON_ERROR not in {"refuse", "accept"}:
    raise ImproperlyConfigured("BALIE_CLAMAV_ON_ERROR must be 'refuse' or 'accept'.")
# Request bodies (balie/core/limits.py): every URL takes at most BALIE_MAX_BODY_BYTES; upload URLs,
# for signed-in people, their files at the firm's per-file limit (upload_max_bytes) times the number
# of files the form takes, at most BALIE_MAX_UPLOAD_BYTES per request (plus BALIE_MAX_BODY_BYTES).
BALIE_MAX_BODY_BYTES = env_int("BALIE_MAX_BODY_BYTES", 1024 * 1024)
BALIE_MAX_UPLOAD_BYTES = env_int("BALIE_MAX_UPLOAD_BYTES", 2 * 1024 * 1024 * 1024)
# How files reach the browser: streamed by Balie (django), by nginx (x-accel) or, for S3 downloads,
# a presigned URL (s3-redirect). See balie/dossiers/delivery.py.
BALIE_FILE_DELIVERY = env_str("BALIE_FILE_DELIVERY", "django")
if BALIE_FILE_DELIVERY not in {"django", "x-accel", "s3-redirect"}:
    raise ImproperlyConfigured("BALIE_FILE_DELIVERY must be 'django', 'x-accel' or 's3-redirect'.")
if BALIE_FILE_DELIVERY == "s3-redirect" and BALIE_STORAGE != "s3":
    raise ImproperlyConfigured("BALIE_FILE_DELIVERY=s3-redirect needs BALIE_STORAGE=s3.")
BALIE_X_ACCEL_PREFIX = env_str("BALIE_X_ACCEL_PREFIX", "/_protected")
if BALIE_STORAGE == "s3" and not (env_str("BALIE_S3_BUCKET") and env_str("BALIE_S3_ACCESS_KEY")):
    raise ImproperlyConfigured("BALIE_STORAGE=s3 needs BALIE_S3_BUCKET, BALIE_S3_ACCESS_KEY and BALIE_S3_SECRET_KEY.")

# -- E-mail -------------------------------------------------------------------------------------
# The development outbox stores every message in the database, readable at /dev/outbox/.
BALIE_DEV_OUTBOX = env_bool("BALIE_DEV_OUTBOX", not PRODUCTION)
if PRODUCTION and BALIE_DEV_OUTBOX:
    raise ImproperlyConfigured("BALIE_DEV_OUTBOX cannot be on with BALIE_ENV=production.")
# The outbox shows sign-in codes and invitation links: only to this machine (127.0.0.1, ::1) unless
# this is on, e.g. for a demo served to a trusted network with `balie demo --host 0.0.0.0`.
BALIE_DEV_OUTBOX_ALLOW_REMOTE = env_bool("BALIE_DEV_OUTBOX_ALLOW_REMOTE", False)
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Balie <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The operator: told by e-mail of a broken audit chain (BALIE_OPERATOR_EMAIL, addresses separated by commas).
ADMINS = [
    ("Balie operator", address.strip()) for address in env_str("BALIE_OPERATOR_EMAIL").split(",") if address.strip()
]
if BALIE_DEV_OUTBOX:
    EMAIL_BACKEND = "balie.notifications.backends.DevOutboxEmailBackend"
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    raise ImproperlyConfigured("Set EMAIL_HOST (SMTP) for production: Balie sends invitations by e-mail.")
# SMS through a gateway; the development outbox by default.
BALIE_SMS_BACKEND = env_str("BALIE_SMS_BACKEND", "devoutbox" if BALIE_DEV_OUTBOX else "http")
BALIE_SMS_HTTP_URL = env_str("BALIE_SMS_HTTP_URL")
BALIE_SMS_HTTP_USER = env_str("BALIE_SMS_HTTP_USER")
BALIE_SMS_HTTP_PASSWORD = env_str("BALIE_SMS_HTTP_PASSWORD")
BALIE_SMS_HTTP_TIMEOUT = env_int("BALIE_SMS_HTTP_TIMEOUT", 10)
BALIE_SMS_SENDER = env_str("BALIE_SMS_SENDER", "Balie")
# The outbox's own limit per number; lower than the codes per hour it would refuse codes the
# person may have.
BALIE_SMS_PER_RECIPIENT_PER_HOUR = env_int("BALIE_SMS_PER_RECIPIENT_PER_HOUR", BALIE_SMS_CODES_PER_HOUR)
if BALIE_SMS_PER_RECIPIENT_PER_HOUR < BALIE_SMS_CODES_PER_HOUR:
    raise ImproperlyConfigured(
        f"BALIE_SMS_PER_RECIPIENT_PER_HOUR ({BALIE_SMS_PER_RECIPIENT_PER_HOUR}) must not be lower than "
        f"BALIE_SMS_CODES_PER_HOUR ({BALIE_SMS_CODES_PER_HOUR}): raise it or leave it empty."
    )
if BALIE_SMS_BACKEND not in {"devoutbox", "http"}:
    raise ImproperlyConfigured(f"BALIE_SMS_BACKEND must be devoutbox or http, not {BALIE_SMS_BACKEND!r}.")
if BALIE_SMS_HTTP_URL and not BALIE_SMS_HTTP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("BALIE_SMS_HTTP_URL must be an http(s) URL.")
if PRODUCTION and BALIE_SMS_BACKEND == "devoutbox":
    raise ImproperlyConfigured("BALIE_SMS_BACKEND=devoutbox cannot be used with BALIE_ENV=production.")
BALIE_SITE_URL = env_str("BALIE_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not BALIE_SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "Balie refuses to start with BALIE_ENV=production without BALIE_SITE_URL=https://...: "
        "links in e-mails must point to the portal's public https address."
    )
_SITE_HOST = (urlsplit(BALIE_SITE_URL).hostname or "").lower()
if PRODUCTION and _SITE_HOST not in {host.lower() for host in ALLOWED_HOSTS}:
    raise ImproperlyConfigured(
        f"Balie refuses to start with BALIE_ENV=production: BALIE_SITE_URL's host {_SITE_HOST} is not in "
        "ALLOWED_HOSTS (the links in e-mails would lead to a site that does not answer)."
    )

# -- Security headers ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# worker-src: PDF.js parses previewed PDFs in a worker, a module from static/vendor/pdfjs/.
BALIE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
# Browser features no page of Balie uses are switched off, for its pages and anything they embed.
# Kept: passkeys (WebAuthn, sign-in and confirmations), fullscreen (the PDF preview) and writing to
# the clipboard (copying recovery codes), each for Balie's own origin only.
_FEATURES_KEPT = ["clipboard-write", "fullscreen", "publickey-credentials-create", "publickey-credentials-get"]
_FEATURES_OFF = [
    "accelerometer", "autoplay", "browsing-topics", "camera", "clipboard-read", "compute-pressure",
    "display-capture", "encrypted-media", "gamepad", "geolocation", "gyroscope", "hid",
    "identity-credentials-get", "idle-detection", "interest-cohort", "local-fonts", "magnetometer",
    "microphone", "midi", "otp-credentials", "payment", "picture-in-picture", "screen-wake-lock", "serial",
    "storage-access", "usb", "window-management", "xr-spatial-tracking",
]  # fmt: skip
BALIE_PERMISSIONS_POLICY = ", ".join(
    [f"{feature}=()" for feature in _FEATURES_OFF] + [f"{feature}=(self)" for feature in _FEATURES_KEPT]
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("BALIE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("BALIE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("BALIE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-balie_session"
    CSRF_COOKIE_NAME = "__Host-balie_csrf"
    LANGUAGE_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^health$"]  # load balancers probe over plain http
if env_bool("BALIE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address comes from X-Forwarded-For, so throttling per IP counts people, not the proxy.
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("BALIE_TRUSTED_PROXY_COUNT", 1)
CSRF_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("BALIE_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
