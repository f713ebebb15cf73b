"""Checking and storing uploaded files (DOS-6, DOS-8).

A file is checked before anything is stored: its name, its size, its extension against the firm's
list, and its content (sniffed with libmagic) against the extension, so an executable renamed to
``.pdf`` is refused. It is then streamed to the storage under a random key while its SHA-256 and
size are computed on the way: no second full copy in memory.

With ``BALIE_CLAMAV_SOCKET`` set, the content is also scanned by ClamAV's daemon (SEC-3) as the
last check, streamed to it in chunks; ``store`` scans any file that was not checked that way yet,
so nothing reaches the storage unscanned.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from balie.core import clamav

logger = logging.getLogger(__name__)
SNIFF_BYTES = 8192
MAX_NAME_LENGTH = 200
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

OOXML = ("application/vnd.openxmlformats-officedocument", "application/zip", "application/octet-stream")
OLE = ("application/msword", "application/vnd.ms-", "application/x-ole-storage", "application/CDFV2")
ODF = ("application/vnd.oasis.opendocument", "application/zip")
# What the content of a file with this extension may be (prefixes of the sniffed type).
CONTENT_FOR_EXTENSION: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "heic": ("image/heic", "image/heif"),
    "tif": ("image/tiff",),
    "tiff": ("image/tiff",),
    "docx": OOXML,
    "xlsx": OOXML,
    "pptx": OOXML,
    "doc": OLE,
    "xls": OLE,
    "ppt": OLE,
    "msg": OLE,
    "odt": ODF,
    "ods": ODF,
    "txt": ("text/plain",),
    "csv": ("text/plain", "text/csv", "application/csv"),
    "xml": ("text/xml", "application/xml"),
    "xbrl": ("text/xml", "application/xml"),
    "eml": ("message/rfc822", "text/plain"),
    "zip": ("application/zip",),
}
# Never stored, whatever the name says.
REFUSED_CONTENT = (
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-mach-binary",
    "application/x-msdownload",
    "application/x-shellscript",
    "text/x-shellscript",
    "text/html",
    "image/svg+xml",
    "application/javascript",
    "text/javascript",
)
DEFAULT_EXTENSIONS = (
    "pdf,jpg,jpeg,png,gif,webp,heic,tif,tiff,doc,docx,xls,xlsx,ppt,pptx,odt,ods,txt,csv,xml,xbrl,eml,msg,zip"
)


@dataclass(frozen=True)
class StoredFile:
    key: str
    original_name: str
    size: int
    sha256: str
    content_type: str


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def allowed_extensions(firm) -> list[str]:
    raw = getattr(firm, "upload_extensions", "") or DEFAULT_EXTENSIONS
    return sorted({part.strip().lower().lstrip(".") for part in raw.split(",") if part.strip()})


def check_name(name: str) -> str:
    """The uploaded name as given; refused when it carries a path, control characters or is too long."""
    if not name or not name.strip():
        raise ValidationError(_("The file has no name."), code="name")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ValidationError(_("“%(name)s”: a file name cannot contain a folder path.") % {"name": name}, code="name")
    if CONTROL_CHARACTERS.search(name):
        raise ValidationError(_("The file name contains characters that are not allowed."), code="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file name is longer than %(count)s characters. Please shorten it.") % {"count": MAX_NAME_LENGTH},
            code="name",
        )
    return name.strip()


def sniff(head: bytes) -> str:
    return magic.from_buffer(head, mime=True) if head else "application/x-empty"


def check_upload(upload, *, firm) -> tuple[str, str]:
    """Checks an uploaded file (name, size, extension, content); returns (name, sniffed type)."""
    name = check_name(upload.name)
    limit = firm.upload_max_bytes
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; the most is %(limit)s per file.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    extension = extension_of(name)
    if extension not in allowed_extensions(firm) or extension not in CONTENT_FOR_EXTENSION:
        raise ValidationError(
            _("“%(name)s”: this type of file is not allowed. Allowed: %(types)s.")
            % {"name": name, "types": ", ".join(allowed_extensions(firm))},
            code="type",
        )
    upload.seek(0)
    content_type = sniff(upload.read(SNIFF_BYTES))
    upload.seek(0)
    if content_type.startswith(REFUSED_CONTENT) or not content_type.startswith(CONTENT_FOR_EXTENSION[extension]):
        raise ValidationError(
            _("“%(name)s” is not really a .%(extension)s file. Save it again as .%(extension)s and retry.")
            % {"name": name, "extension": extension},
            code="content",
        )
    scan(upload, name=name)
    return name, content_type


SCANNED = "_balie_scanned"  # set on an upload once ClamAV (or the on-error setting) let it through


def scan(upload, *, name: str) -> None:
    """Has ClamAV's daemon scan the upload (when BALIE_CLAMAV_SOCKET is set); refuses an infected
    file, and, with BALIE_CLAMAV_ON_ERROR=refuse, one that could not be scanned. Logged either way.
    An upload that passed is not sent again (it is checked more than once on its way to storage)."""
    address = settings.BALIE_CLAMAV_SOCKET
    if not address or getattr(upload, SCANNED, False):
        return
    upload.seek(0)
    try:
        result = clamav.scan_stream(upload, address=address)
    except clamav.StreamTooLarge as error:
        # Whoever sends the file decides its size: never a reason to store it unscanned.
        logger.warning("file too large for the virus scan, refused: %r: %s", name, error)
        raise ValidationError(
            _("“%(name)s” is too large to be checked for viruses and has not been stored.") % {"name": name},
            code="scan_too_large",
        ) from None
    except clamav.ScannerError as error:
        if settings.BALIE_CLAMAV_ON_ERROR == "accept":
            logger.warning(
                "virus scan failed, file accepted unscanned (BALIE_CLAMAV_ON_ERROR=accept): %r: %s", name, error
            )
            setattr(upload, SCANNED, True)
            return
        logger.error("virus scan failed, file refused (BALIE_CLAMAV_ON_ERROR=refuse): %r: %s", name, error)
        raise ValidationError(
            _("“%(name)s” could not be checked for viruses just now and has not been stored. Please try again later.")
            % {"name": name},
            code="scan_failed",
        ) from None
    finally:
        upload.seek(0)
    if result.infected:
        logger.warning("virus found, file refused: %r: %s", name, result.virus)
        raise ValidationError(
            _("The file “%(name)s” contains a virus (%(virus)s) and has not been stored.")
            % {"name": name, "virus": result.virus},
            code="virus",
        )
    setattr(upload, SCANNED, True)


class _HashingReader:
    """A file-like view of ``source`` that hashes and counts what is read from it."""

    def __init__(self, source):
        self.source = source
        self.hash = hashlib.sha256()
        self.size = 0

    closed = False

    def read(self, size=-1):
        data = self.source.read(size)
        self.hash.update(data)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False  # read once, front to back: every byte is hashed exactly once

    def close(self) -> None:
        pass  # the upload is closed by Django when the request ends


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Writes a large upload to a temporary file as Django does, and hashes it on the way in, so
    that storing it on local disk is a move of that file rather than a second full copy."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.hash = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self.hash.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.sha256 = self.hash.hexdigest()
        return upload


def store(upload, *, original_name: str, content_type: str, storage=None) -> StoredFile:
    """Puts the file into the storage under a random key, with its SHA-256 and size.

    A large upload already hashed on arrival is moved into a local storage; anything else is
    streamed into the storage (local or S3) while it is hashed.
    """
    storage = storage or default_storage
    scan(upload, name=original_name)  # a no-op for an upload check_upload has scanned already
    key = f"documents/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}"
    if (
        getattr(upload, "sha256", None)
        and hasattr(upload, "temporary_file_path")
        and isinstance(storage, FileSystemStorage)
    ):
        size = upload.size
        saved = storage.save(key, upload)  # Django moves the temporary file into place
        return StoredFile(
            key=saved, original_name=original_name, size=size, sha256=upload.sha256, content_type=content_type
        )
    upload.seek(0)
    reader = _HashingReader(upload)
    saved = storage.save(key, File(reader, name=key))
    return StoredFile(
        key=saved,
        original_name=original_name,
        size=reader.size,
        sha256=reader.hash.hexdigest(),
        content_type=content_type,
    )


def file_sha256(storage, key: str) -> tuple[int, str]:
    """Size and SHA-256 of a stored file, read in chunks (for the sanity check)."""
    digest = hashlib.sha256()
    size = 0
    with storage.open(key, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
