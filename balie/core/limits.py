"""How large a request body may be (security finding 2.7).

Every request body is limited to ``BALIE_MAX_BODY_BYTES`` (1 MB): sign-in, forms, the signature pad.
Views that take files declare their own limit with ``@allows_large_body(limit)``; it counts only
for people who are signed in, so an anonymous request never gets more than the small limit.

``BodyLimitMiddleware`` compares the Content-Length with the limit before anything reads the body
(the CSRF check reads the form in ``process_view``, which runs after every middleware's
``__call__``), and answers 413 without reading it. Under WSGI, which is how Balie is served
(``balie/wsgi.py``), Django never reads more than the Content-Length and nothing at all without
one (a chunked body without it reads as empty), so the declared length is the whole story.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import resolve
from django.utils.translation import gettext as _

BodyLimit = int | Callable[..., int | None]
ATTRIBUTE = "balie_body_limit"
# The operator's admin takes the firm's logo and staff photos as uploads.
ADMIN_BODY_BYTES = 20 * 1024 * 1024


def allows_large_body(limit: BodyLimit):
    """Declares that a view takes uploads: ``limit`` is the most bytes its request body may have,
    or a function ``limit(request, **url_kwargs)`` giving it (None: the small default). It is
    looked up by the middleware before the view runs, for signed-in people only."""

    def decorate(view):
        setattr(view, ATTRIBUTE, limit)
        return view

    return decorate


def upload_body_limit(*, per_file: int, files: int) -> int:
    """The body of an upload request: ``files`` files of at most ``per_file`` bytes, together at
    most BALIE_MAX_UPLOAD_BYTES, plus BALIE_MAX_BODY_BYTES for the other fields and the framing."""
    return min(per_file * files, settings.BALIE_MAX_UPLOAD_BYTES) + settings.BALIE_MAX_BODY_BYTES


def declared_length(request: HttpRequest) -> int:
    """The Content-Length as Django reads it: what is missing or not a number counts as 0."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def body_limit(request: HttpRequest) -> int:
    """The most bytes this request's body may have (see the module's docstring)."""
    default = settings.BALIE_MAX_BODY_BYTES
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Http404:
        return default
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return default
    if match.app_name == "admin":
        return max(default, ADMIN_BODY_BYTES) if user.is_staff else default
    limit = getattr(match.func, ATTRIBUTE, None)
    if callable(limit):
        limit = limit(request, *match.args, **match.kwargs)
    return max(default, limit or 0)


def body_too_large(request: HttpRequest, *, limit: int):
    """413 with a short page (or JSON for the upload scripts), without reading the body."""
    message = _("What you sent is too large (at most %(limit)s at once); nothing has been stored.") % {
        "limit": filesizeformat(limit)
    }
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": False, "errors": [message]}, status=413)
    return render(request, "core/body_too_large.html", {"message": message}, status=413)
