"""Sending a stored file to the browser (DOS-5, issue point 9).

``BALIE_FILE_DELIVERY`` chooses how the bytes travel:

- ``django`` (default): streamed by the Python process in 256 kB blocks, never read whole;
- ``x-accel``: the web server (nginx) sends the file itself after Balie checked access, named by
  an ``X-Accel-Redirect`` to ``BALIE_X_ACCEL_PREFIX`` + the storage key (an ``internal`` location
  that aliases the media directory); Balie's headers go with it;
- ``s3-redirect``: downloads are a redirect to a presigned S3 URL valid one minute, with the
  original name and the sniffed type forced by the signed parameters; previews stay streamed, as
  they must come from Balie's own origin.

Whatever the route, the answer is an attachment (RFC 6266 ``filename*``) or an allowed preview,
with ``nosniff``, a sandboxing Content-Security-Policy and no caching. The bytes behind a PDF
preview (``preview_data_response``) are an opaque attachment too: Balie's own page draws them with
PDF.js, so the browser's PDF viewer never opens them and a PDF's JavaScript never runs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

# Never served with their own type, even if one were ever stored: the browser would run them.
UNSAFE_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml")
BLOCK_SIZE = 256 * 1024
# Opened directly, the preview bytes are a download of no known type in a sandbox: no browser shows
# them with its PDF viewer (Firefox also opens *.pdf attachments in its own viewer, not octet-streams).
PREVIEW_DATA_TYPE = "application/octet-stream"
PREVIEW_DATA_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def safe_content_type(content_type: str) -> str:
    if not content_type or content_type.startswith(UNSAFE_TYPES):
        return "application/octet-stream"
    return content_type


def file_response(version, *, inline: bool, csp: str):
    """The response that delivers ``version`` (access was checked and logged by the caller)."""
    return _deliver(
        version, inline=inline, content_type=safe_content_type(version.content_type), csp=csp, may_redirect=not inline
    )


def preview_data_response(version):
    """The bytes of ``version`` for the page's PDF.js preview (access was checked and logged by the
    caller): always from Balie's own origin, as an attachment nothing renders."""
    return _deliver(version, inline=False, content_type=PREVIEW_DATA_TYPE, csp=PREVIEW_DATA_CSP, may_redirect=False)


def _deliver(version, *, inline: bool, content_type: str, csp: str, may_redirect: bool):
    mode = settings.BALIE_FILE_DELIVERY
    if mode == "s3-redirect" and may_redirect:
        url = default_storage.url(
            version.file.name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, version.original_name),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
            expire=60,
        )
        response = HttpResponseRedirect(url)
    elif mode == "x-accel":
        response = HttpResponse(content_type=content_type)
        response.headers["X-Accel-Redirect"] = f"{settings.BALIE_X_ACCEL_PREFIX.rstrip('/')}/{version.file.name}"
        response.headers["Content-Disposition"] = content_disposition_header(not inline, version.original_name)
    else:
        response = FileResponse(
            default_storage.open(version.file.name, "rb"),
            as_attachment=not inline,
            filename=version.original_name,
            content_type=content_type,
        )
        response.block_size = BLOCK_SIZE
    response.headers["Content-Security-Policy"] = csp
    # Only an inline image may sit in a page of Balie's own; nothing else may frame any file.
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    return response
