"""Sealing each signature into the PDF (one incremental revision each, in turn order), and what
follows: the next turn, or after the last one the signed PDF as the document's new version and the
request SIGNED, with the steps waiting for it opened (through the request kernel).

One worker seals a request at a time (a lease on its ``SignedFile``); ``seal_stale`` is the
periodic safety net for a lost job.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from datetime import timedelta
from typing import cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel
from balie.approvals.certificate import factor_label
from balie.approvals.models import Request
from balie.approvals.states import Status
from balie.dossiers.models import Document, DocumentType, DocumentVersion
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.signing import pdf
from balie.signing.jobs import seal as seal_job
from balie.signing.models import Signature, SignedFile, Signer
from balie.signing.turns import before_is_sealed, current_position, display_name, display_when, open_turn
from balie.todos.services import todos_close_for_target

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
# The documents whose signed PDF belongs in the Jaarrekening folder (APR-1, seed 002).
ANNUAL_TYPES = (DocumentType.ANNUAL_ACCOUNTS, DocumentType.REPRESENTATION_LETTER)
ANNUAL_FOLDER = "Jaarrekening"


# -- reading the files -----------------------------------------------------------------------------


def read_version(version: DocumentVersion) -> bytes:
    name = version.file.name
    assert name, "a stored version has a file"
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def read_signed(signed: SignedFile) -> bytes:
    with default_storage.open(signed.key, "rb") as handle:
        return handle.read()


def check_version_signable(version: DocumentVersion) -> int:
    """The pages of a stored version that can be signed, else a clear ValidationError."""
    if version.content_type != "application/pdf":
        raise ValidationError(_("Only a PDF can be signed."), code="not_pdf")
    return pdf.check_signable(read_version(version))


def _audit_language() -> str:
    from django.conf import settings

    return settings.LANGUAGE_CODE


def places_of(approval: Request, original: bytes) -> list[pdf.Place]:
    signers = list(Signer.objects.filter(request=approval).select_related("user").order_by("slot"))
    reader_pages = pdf.check_signable(original)
    places: list[pdf.Place] = []
    used: dict[int, int] = {}  # page -> marks placed there by default
    for signer in signers:
        page = signer.page or reader_pages
        if signer.box:
            box = cast(tuple[float, float, float, float], tuple(float(value) for value in signer.box))
        else:
            index = used.get(page, 0)
            used[page] = index + 1
            box = pdf.default_box(index, pdf.page_size(original, page))
        label = f"{signer.slot}. {display_name(signer.user)}"
        if signer.is_firm:
            label += " — " + _("for %(firm)s") % {"firm": approval.client.firm.name}
        places.append(pdf.Place(slot=signer.slot, page=page, box=box, label=label))
    return places


def statement() -> str:
    return _(
        "Each signature in this document is the electronic signature of the person named, given in "
        "Balie after signing in, confirmed with two-step verification (or with the password by someone "
        "who has no second factor; the signing record names how), and sealed by the firm with its "
        "certificate. It is not a qualified electronic signature."
    )


def _audit_page(approval: Request) -> pdf.AuditPage:
    version = approval.version
    return pdf.AuditPage(
        heading=_("Signing record"),
        rows=[
            (_("Document"), approval.document.title),
            (_("File"), f"{version.original_name} (v{version.number})"),
            (_("SHA-256 of the original"), version.sha256),
            (_("Environment"), approval.client.name),
            (_("Firm"), approval.client.firm.name),
            (_("Request"), str(approval.public_id)),
        ],
        statement=statement(),
        signers_heading=_("Signers"),
        colour=approval.client.firm.brand_text,  # headings on the white audit page
    )


def audit_line(signature: Signature) -> str:
    decision = signature.decision
    values = {
        "who": display_name(decision.user),
        "when": display_when(decision.decided_at),
        "ip": decision.ip_address or "—",
        "factor": factor_label(decision.factor),
        "method": signature.get_method_display().lower(),
        "sha": decision.version_sha256,
    }
    return (
        _(
            "Signed by %(who)s on %(when)s from IP address %(ip)s, confirmed with %(factor)s; "
            "signature %(method)s. Document signed: SHA-256 %(sha)s."
        )
        % values
    )


def _claim(request_id: int) -> str:
    """Takes the request's sealing lease and returns its token; "" when another worker holds it
    (that worker seals this signature too, before it lets go)."""
    with transaction.atomic():
        signed = SignedFile.objects.select_for_update().filter(request_id=request_id).first()
        if signed is None:
            return ""
        now = timezone.now()
        if signed.sealing_until and signed.sealing_until > now:
            return ""
        token = uuid.uuid4().hex
        signed.sealing_until, signed.lease = now + LEASE, token
        signed.save(update_fields=["sealing_until", "lease"])
    return token


def _renew(request_id: int, token: str) -> bool:
    """Extends the lease before each signature; False when it was lost (expired and taken)."""
    return bool(
        SignedFile.objects.filter(request_id=request_id, lease=token).update(sealing_until=timezone.now() + LEASE)
    )


def _release(request_id: int, token: str) -> None:
    SignedFile.objects.filter(request_id=request_id, lease=token).update(sealing_until=None, lease="")


def _progress(signature: Signature, value: int, *, state: str | None = None) -> None:
    values: dict[str, int | str] = {"progress": value}
    if state:
        values["state"] = state
    Signature.objects.filter(pk=signature.pk).update(**values)


def _next_queued(request_id: int) -> Signature | None:
    if Signature.objects.filter(request_id=request_id, state=Signature.State.FAILED).exists():
        return None  # the firm retries the failed one first (``seal_retry``): the order stays
    return (
        Signature.objects.filter(request_id=request_id, state__in=(Signature.State.QUEUED, Signature.State.SEALING))
        .select_related("signer", "decision__user", "request__client__firm", "request__document", "request__version")
        .order_by("signer__position", "decision__decided_at", "pk")
        .first()
    )


def seal_pending(*, request_id: int) -> int:
    """Seals the request's queued signatures into its PDF, one incremental revision each, in turn
    order; then asks the next turn, or finishes the request. One worker per request at a time (a
    lease with a token on its SignedFile, renewed before each signature); returns how many were
    sealed."""
    token = _claim(request_id)
    if not token:
        return 0
    sealed = 0
    try:
        while True:
            if not _renew(request_id, token):
                return sealed  # the lease expired and another worker took it: it goes on
            signature = _next_queued(request_id)
            if signature is None:
                with transaction.atomic():  # release only when nothing new arrived meanwhile
                    SignedFile.objects.select_for_update().get(request_id=request_id)
                    if _next_queued(request_id) is not None:
                        continue
                    _release(request_id, token)
                return sealed
            if _seal_one(signature):
                sealed += 1
    except BaseException:
        _release(request_id, token)
        raise


class _Stale(Exception):
    """The signed file changed while a signature was being sealed: it is sealed again."""


def _seal_one(signature: Signature) -> bool:
    """Seals one signature into the PDF; False when there was nothing to do (sealed meanwhile) or it
    failed (then it is FAILED and the firm is told)."""
    approval = signature.request
    started = Signature.objects.filter(
        pk=signature.pk, state__in=(Signature.State.QUEUED, Signature.State.SEALING)
    ).update(state=Signature.State.SEALING, progress=5, attempts=signature.attempts + 1)
    if not started:
        return False  # sealed (or failed) by another worker meanwhile
    signed = SignedFile.objects.get(request=approval)
    base = signed.sealed  # the revision this signature is added to (checked again before storing)
    try:
        with translation.override(_audit_language()):
            if signed.key:
                current = read_signed(signed)
            else:
                original = read_version(approval.version)
                _progress(signature, 15)
                current = pdf.prepare(original, audit=_audit_page(approval), places=places_of(approval, original))
            _progress(signature, 40)
            from balie.signing.seals import sealer_for_firm

            sealer = sealer_for_firm(approval.client.firm)
            signer = signature.signer
            decision = signature.decision
            field = _field_box(current, signer.slot)
            when = display_when(decision.decided_at)
            appearance = pdf.signature_appearance(
                image_png=bytes(signature.image),
                name=display_name(decision.user),
                when=when,
                width=field[0],
                height=field[1],
                caption=_("for %(firm)s") % {"firm": approval.client.firm.name} if signer.is_firm else "",
            )
            _progress(signature, 60)
            result = pdf.sign(
                current,
                slot=signer.slot,
                appearance=appearance,
                audit_line=audit_line(signature),
                name=display_name(decision.user),
                reason=_("Signed in Balie: %(title)s") % {"title": approval.document.title},
                location=approval.client.firm.name,
                sealer=sealer,
            )
    except Exception as error:
        logger.exception("sealing signature %s failed", signature.pk)
        failed = Signature.objects.filter(pk=signature.pk, state=Signature.State.SEALING).update(
            state=Signature.State.FAILED, error=str(error)[:2000]
        )
        if not failed:
            return False  # sealed by another worker meanwhile: this attempt lost, nothing failed
        with transaction.atomic():
            notify(
                users=kernel.firm_people(approval.client),
                client=approval.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("Sealing a signature on %(title)s (%(client)s) failed"),
                params={"title": approval.document.title, "client": approval.client.name},
                link=kernel.staff_link(approval),
            )
        return False
    _progress(signature, 85)
    key = default_storage.save(f"signed/{approval.public_id.hex[:2]}/{uuid.uuid4().hex}.pdf", ContentFile(result))
    old_key = signed.key
    try:
        with transaction.atomic():
            locked = kernel.lock(approval)
            signed = SignedFile.objects.select_for_update().get(request=locked)
            state_now = Signature.objects.get(pk=signature.pk).state
            if signed.sealed != base or state_now != Signature.State.SEALING:
                raise _Stale  # another worker stored a revision (or this very signature) meanwhile
            signed.key, signed.size, signed.sha256 = key, len(result), hashlib.sha256(result).hexdigest()
            signed.sealed += 1
            signed.updated_at = timezone.now()
            signed.save(update_fields=["key", "size", "sha256", "sealed", "updated_at"])
            Signature.objects.filter(pk=signature.pk).update(
                state=Signature.State.SEALED,
                progress=100,
                sealed_at=timezone.now(),
                result_sha256=signed.sha256,
                error="",
            )
            _after_sealed(locked, signed, signature)
    except _Stale:
        default_storage.delete(key)  # still SEALING unless it was sealed: the loop seals it on top of the new one
        return False
    except BaseException:
        default_storage.delete(key)
        raise
    if old_key:
        transaction.on_commit(lambda: default_storage.delete(old_key))
    return True


def _field_box(data: bytes, slot: int) -> tuple[float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    for reference in reader.root["/AcroForm"]["/Fields"]:
        field = reference.get_object()
        if field.get("/T") == pdf.signature_field(slot):
            x1, y1, x2, y2 = (float(value) for value in field["/Rect"])
            return abs(x2 - x1), abs(y2 - y1)
    raise ValueError(f"no signature field for slot {slot}")


def _after_sealed(locked: Request, signed: SignedFile, signature: Signature) -> None:
    """After a signature is in the PDF: the next turn is asked, or, after the last one, the signed
    PDF becomes the document's new version and the request is SIGNED."""
    if locked.status != Status.OPEN:
        return  # withdrawn or replaced meanwhile: the signature stays on record, nothing follows
    position = current_position(locked)
    if position is not None:
        if before_is_sealed(locked, position):
            open_turn(locked, actor=None)
        return
    if Signature.objects.filter(request=locked).exclude(state=Signature.State.SEALED).exists():
        return
    _finish(locked, signed, last=signature)


def _finish(locked: Request, signed: SignedFile, *, last: Signature) -> None:
    document = Document.objects.select_for_update(of=("self",)).get(pk=locked.document_id)
    number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    stem = locked.version.original_name.rsplit(".", 1)[0]
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        file=signed.key,
        original_name=_("%(name)s (signed).pdf") % {"name": stem},
        size=signed.size,
        sha256=signed.sha256,
        content_type="application/pdf",
        created_by=None,
    )
    signed.version = version
    signed.save(update_fields=["version"])
    document.current_version = version
    fields = ["current_version"]
    if document.doc_type in ANNUAL_TYPES and document.folder_id is None:
        folder = _annual_folder(document)
        if folder is not None:
            document.folder = folder
            fields.append("folder")
    document.save(update_fields=fields)
    from balie.dossiers import search

    search.version_stored(version)
    kernel.set_status(locked, Status.SIGNED, settled_by=last.decision.user)
    todos_close_for_target(target=locked)
    values = {"title": document.title, "client": locked.client.name}
    notify(
        users=kernel.firm_people(locked.client),
        client=locked.client,
        kind=EventKind.REQUEST,
        title=gettext_noop("%(title)s has been signed by everyone (%(client)s)"),
        params=values,
        link=kernel.staff_link(locked),
    )
    notify(
        users=[signer.user for signer in Signer.objects.filter(request=locked, is_firm=False).select_related("user")],
        client=locked.client,
        kind=EventKind.REQUEST,
        title=gettext_noop("%(title)s has been signed by everyone: the signed PDF is in the dossier"),
        params=values,
        link=document.get_absolute_url(),
    )
    kernel.open_followers(locked, actor=None)
    kernel.record_event("request.signed", locked, actor=None, details={"version": version.number})


def _annual_folder(document: Document):
    from balie.dossiers.models import Folder

    return Folder.objects.filter(dossier_id=document.dossier_id, name=ANNUAL_FOLDER, parent__isnull=True).first()


def seal_retry(*, approval: Request, actor) -> int:
    """The firm retries signatures whose sealing failed."""
    count = Signature.objects.filter(request=approval, state=Signature.State.FAILED).update(
        state=Signature.State.QUEUED, progress=0
    )
    if not count:
        raise ValidationError(_("No signature of this request is waiting for a retry."), code="nothing")
    request_id = approval.pk
    transaction.on_commit(lambda: seal_job.enqueue(request_id=request_id))
    kernel.record_event("request.seal_retried", approval, actor=actor, details={"failed": count})
    return count


def seal_stale(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Picks up signatures left queued (a lost job, a worker that died): the periodic safety net."""
    cutoff = timezone.now() - older_than
    ids = set(
        Signature.objects.filter(state__in=(Signature.State.QUEUED, Signature.State.SEALING))
        .filter(decision__decided_at__lt=cutoff)
        .values_list("request_id", flat=True)
    )
    for request_id in ids:
        seal_job.enqueue(request_id=request_id)
    return len(ids)
