import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import TooManyFilesSent
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from balie.core import health as health_checks
from balie.core.addresses import is_local_request

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"balie-health-{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _check_storage() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            if handle.read() != b"ok":
                raise RuntimeError("storage did not return what was stored")
    finally:
        default_storage.delete(name)


CHECKS = {"database": _check_database, "cache": _check_cache, "storage": _check_storage}


@never_cache
@require_GET
def health(request):
    """For load balancers: 200 when database, cache and storage work, else 503 naming the failing part.

    A part that works but needs attention (e-mail waiting too long) is "degraded": still 200. The
    figures behind a degraded part (how long mail has waited, over all firms) are given only to a
    request from this machine; anyone else sees the parts' states alone.
    """
    report = {}
    details = {}
    for name, check in {**CHECKS, **health_checks.registered_checks()}.items():
        try:
            result = check()
        except Exception:
            logger.exception("health check %s failed", name)
            report[name] = "error"
            continue
        if isinstance(result, health_checks.Degraded):
            report[name] = "degraded"
            details.update(result.details)
        else:
            report[name] = "ok"
    if "error" in report.values():
        status = "error"
    elif "degraded" in report.values():
        status = "degraded"
    else:
        status = "ok"
    if not is_local_request(request):
        details = {}
    return JsonResponse({"status": status, **report, **details}, status=503 if status == "error" else 200)


def bad_request(request, exception):
    """The 400 page (``handler400``), with a clear message when a form carried too many files.

    Django refuses more than DATA_UPLOAD_MAX_NUMBER_FILES (100) files in one request while parsing
    the form, and in production the CSRF check parses it before any view runs: without this the
    person would see a bare "Bad Request (400)".
    """
    if not isinstance(exception, TooManyFilesSent):
        return defaults.bad_request(request, exception)
    message = _("More than %(limit)s files were sent at once; nothing has been stored. Please send them in parts.") % {
        "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
    }
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": False, "errors": [message]}, status=400)
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    return render(request, "core/too_many_files.html", {"message": message, "back": back}, status=400)
