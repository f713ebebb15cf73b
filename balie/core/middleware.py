from django.conf import settings
from django.utils.cache import add_never_cache_headers

from balie.core import limits


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response; pages are not cached unless a
    view says otherwise (sign-in, invitation and reset pages carry tokens and form keys; signed-in
    pages carry data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.BALIE_CSP)
        response.headers.setdefault("Permissions-Policy", settings.BALIE_PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        declared = response.headers.get("Cache-Control", "")
        if "public" in declared:
            return response  # shared on purpose (the firm's colours)
        if signed_in or not declared:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, private"
        return response


class BodyLimitMiddleware:
    """Refuses a request whose body is larger than its URL allows (``balie.core.limits``) with 413,
    before anything reads the body: it runs in ``__call__``, so before the CSRF check reads the
    form (in ``process_view``). Placed after AuthenticationMiddleware: large bodies are for people
    who are signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = limits.declared_length(request)
        if length > settings.BALIE_MAX_BODY_BYTES:  # the common case costs no URL resolving
            limit = limits.body_limit(request)
            if length > limit:
                return limits.body_too_large(request, limit=limit)
        return self.get_response(request)
