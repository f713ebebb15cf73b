"""The firm's logo and its staff members' photos: the only uploaded files Balie serves by name.

Stored documents are never served from ``MEDIA_URL``; these images are, through their own views
(``firms:logo``, ``home:manager_photo``), which send nothing but an image of a known type.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def image_response(field_file) -> FileResponse:
    """The stored image as an inline response, or 404 when there is none or it is not a known image type."""
    if not field_file:
        raise Http404
    extension = field_file.name.rsplit(".", 1)[-1].lower() if "." in field_file.name else ""
    content_type = IMAGE_TYPES.get(extension)
    if content_type is None:
        raise Http404
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except OSError:  # missing from the storage
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
