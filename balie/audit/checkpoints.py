"""Daily checkpoints of the chains: each finished day's last number and hash per firm, written
into a small PDF sealed with the firm's seal (PAdES, by the sealer ``signing`` registers in
``balie.audit.hooks``) and stored with the documents, and into an ``AuditCheckpoint`` row.

A day is a day in Balie's time zone. ``write_checkpoints`` (the job ``audit.write_checkpoints``)
writes the checkpoint of every finished day with events that has none yet; it may run any
number of times. Without a sealer, or when sealing fails, the PDF is stored unsealed, says so,
and the row records it (``sealed=False``); its SHA-256 is kept either way.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from balie.audit import chain, hooks
from balie.audit.models import AuditCheckpoint, AuditEvent

logger = logging.getLogger(__name__)


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in Balie's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def local_day(at: datetime.datetime) -> datetime.date:
    return timezone.localtime(at).date()


def checkpoint_digest(checkpoint: AuditCheckpoint, firm_public_id: str) -> str:
    """The SHA-256 of a checkpoint's canonical text: the next checkpoint of the firm writes it down
    (``prev_hash``), so the checkpoints form a chain of their own and one removed or changed breaks it."""
    text = "|".join(
        [
            "balie-checkpoint",
            firm_public_id,
            checkpoint.day.isoformat(),
            str(checkpoint.last_seq),
            checkpoint.last_hash,
            str(checkpoint.events),
            checkpoint.prev_hash,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _lines(
    firm: Any,
    day: datetime.date,
    last_seq: int,
    last_hash: str,
    events: int,
    sealed: bool,
    prev_hash: str = chain.GENESIS,
) -> list[str]:
    when = formats.date_format(day, "DATE_FORMAT")
    lines = [
        _("Audit trail checkpoint %(firm)s %(date)s") % {"firm": firm.name, "date": day.isoformat()},
        "",
        _("Firm: %(firm)s (%(id)s)") % {"firm": firm.name, "id": firm.public_id},
        _("Day: %(date)s") % {"date": when},
        _("Events that day: %(count)s") % {"count": events},
        _("Last event of the day: number %(seq)s") % {"seq": last_seq},
        _("Its hash (SHA-256):"),
        last_hash,
        "",
        _("Whoever changes, removes or rewrites events up to this number changes this hash:"),
        _("`balie audit verify` compares the chain with it."),
        "",
        _("The checkpoint before this one (SHA-256):"),
        prev_hash,
    ]
    if sealed:
        lines.append(_("This document is sealed with the firm's seal."))
    else:
        lines.append(_("Not sealed: no seal was available. Its SHA-256 is recorded with the checkpoint."))
    return lines


def checkpoint_pdf(
    firm: Any,
    day: datetime.date,
    last_seq: int,
    last_hash: str,
    events: int,
    *,
    sealed: bool,
    prev_hash: str = chain.GENESIS,
) -> bytes:
    """The checkpoint as a one-page PDF (not yet sealed), in the installation's language."""
    buffer = io.BytesIO()
    with translation.override(settings.LANGUAGE_CODE):
        lines = _lines(firm, day, last_seq, last_hash, events, sealed, prev_hash)
        page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
        page.setTitle(lines[0])
        page.setAuthor(firm.name)
        page.setSubject(f"{firm.public_id} {day.isoformat()} {last_seq} {last_hash} {prev_hash}")
        y = A4[1] - 30 * mm
        for number, line in enumerate(lines):
            hashes = (last_hash, prev_hash)
            page.setFont("Helvetica-Bold" if number == 0 else "Courier" if line in hashes else "Helvetica", 11)
            page.drawString(20 * mm, y, line)
            y -= 7 * mm
        page.showPage()
        page.save()
    return buffer.getvalue()


def _sealed_pdf(
    firm: Any, day: datetime.date, last_seq: int, last_hash: str, events: int, prev_hash: str
) -> tuple[bytes, bool]:
    seal = hooks.checkpoint_sealer()
    if seal is not None:
        data = checkpoint_pdf(firm, day, last_seq, last_hash, events, sealed=True, prev_hash=prev_hash)
        try:
            return seal(data, firm=firm, reason=f"Audit checkpoint {day.isoformat()}"), True
        except Exception:
            logger.exception("sealing the audit checkpoint of firm %s for %s failed; stored unsealed", firm.pk, day)
    return checkpoint_pdf(firm, day, last_seq, last_hash, events, sealed=False, prev_hash=prev_hash), False


def folder(firm: Any) -> str:
    """Where the firm's checkpoint PDFs are stored (a key starting with it)."""
    return f"audit/checkpoints/{firm.public_id}/"


def checkpoint_write(*, firm: Any, day: datetime.date, last_seq: int, last_hash: str, events: int) -> AuditCheckpoint:
    """Writes one day's checkpoint (its PDF in the storage and its row); an existing one is kept."""
    found = AuditCheckpoint.objects.filter(firm=firm, day=day).first()
    if found is not None:
        return found
    previous = AuditCheckpoint.objects.filter(firm=firm).order_by("-last_seq").first()
    prev_hash = chain.GENESIS if previous is None else checkpoint_digest(previous, str(firm.public_id))
    data, sealed = _sealed_pdf(firm, day, last_seq, last_hash, events, prev_hash)
    key = default_storage.save(f"{folder(firm)}{day.isoformat()}.pdf", ContentFile(data))
    try:
        with transaction.atomic():
            return AuditCheckpoint.objects.create(
                firm=firm,
                day=day,
                last_seq=last_seq,
                last_hash=last_hash,
                events=events,
                file_key=key,
                file_sha256=hashlib.sha256(data).hexdigest(),
                sealed=sealed,
                prev_hash=prev_hash,
            )
    except IntegrityError:  # written by another run at the same moment: keep that one
        default_storage.delete(key)
        return AuditCheckpoint.objects.get(firm=firm, day=day)


def _days(firm: Any, after_seq: int, before: datetime.datetime) -> Iterator[tuple[datetime.date, int, str, int]]:
    """(day, last seq, last hash, events) of each day with events after ``after_seq`` and before
    ``before``, in order."""
    rows = (
        AuditEvent.objects.filter(firm=firm, seq__gt=after_seq, at__lt=before)
        .order_by("seq")
        .values_list("seq", "at", "hash")
        .iterator(chunk_size=2000)
    )
    current: tuple[datetime.date, int, str, int] | None = None
    for seq, at, digest in rows:
        day = local_day(at)
        if current is not None and current[0] != day:
            yield current
            current = None
        current = (day, seq, digest, 1 if current is None else current[3] + 1)
    if current is not None:
        yield current


def write_checkpoints(*, now: datetime.datetime | None = None) -> int:
    """The checkpoints of every finished day with events, per firm; returns how many were written."""
    from balie.firms.models import Firm

    before = day_start(local_day(now or timezone.now()))
    written = 0
    firm_ids = AuditEvent.objects.filter(firm__isnull=False, at__lt=before).order_by().values("firm_id").distinct()
    for firm in Firm.objects.filter(pk__in=firm_ids).order_by("pk"):
        last = AuditCheckpoint.objects.filter(firm=firm).order_by("-last_seq").first()
        for day, last_seq, last_hash, events in _days(firm, 0 if last is None else last.last_seq, before):
            if last is not None and day <= last.day:
                continue  # a late event of a day already checkpointed: the next day's checkpoint covers it
            checkpoint_write(firm=firm, day=day, last_seq=last_seq, last_hash=last_hash, events=events)
            written += 1
    return written


def check_files(firm: Any) -> list[str]:
    """What is wrong with the firm's checkpoints: one not naming the checkpoint before it
    (``prev_hash``: a checkpoint removed or changed), and their stored PDFs: outside the firm's folder,
    missing, changed since written (their SHA-256), or not naming the number and hash their row
    has (a row rewritten with the chain); and a PDF in the firm's folder no row names (a checkpoint
    removed, and perhaps written anew: a new PDF never replaces a stored one). Empty when all is
    well."""
    problems = []
    named = set()
    prev_hash = chain.GENESIS
    for found in AuditCheckpoint.objects.filter(firm=firm).order_by("last_seq"):
        named.add(found.file_key)
        if found.prev_hash != prev_hash:
            problems.append(
                f"checkpoint {found.day}: it does not follow the checkpoint before it: one was removed or changed"
            )
        prev_hash = checkpoint_digest(found, str(firm.public_id))
        if not found.file_key.startswith(folder(firm)):
            problems.append(f"checkpoint {found.day}: its PDF {found.file_key} is not in the firm's own folder")
            continue
        try:
            with default_storage.open(found.file_key, "rb") as handle:
                data = handle.read()
        except OSError:
            problems.append(f"checkpoint {found.day}: its PDF {found.file_key} is missing")
            continue
        if hashlib.sha256(data).hexdigest() != found.file_sha256:
            problems.append(f"checkpoint {found.day}: its PDF was changed after it was written")
        elif f"{found.last_seq} {found.last_hash} {found.prev_hash}".encode() not in data:
            problems.append(f"checkpoint {found.day}: its PDF names another event or hash than its record")
    for key in sorted(set(_stored(firm)) - named):
        problems.append(f"the checkpoint PDF {key} has no record: a checkpoint was removed")
    return problems


def _stored(firm: Any) -> list[str]:
    try:
        _folders, files = default_storage.listdir(folder(firm))
    except (OSError, NotImplementedError):  # nothing stored yet (a file system without the folder)
        return []
    return [folder(firm) + name for name in files]
