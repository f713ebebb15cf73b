"""Sign requests (APR-6): creating them, signing, declining, sealing each signature into the PDF,
and what follows the last signature. Status changes go through the approvals' status machine.

    approval = sign_request_create(document=doc, actor=staff, signers=[pieter, anna], in_order=True)
    signature_add(approval=approval, user=pieter, image_png=png, method="drawn", confirmation=c, ...)
    # a job seals it into the PDF (``seal_pending``); then Anna's turn comes; after hers the signed
    # PDF becomes the document's new version, the request SIGNED, and the steps waiting for it open.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel
from balie.approvals.certificate import factor_label
from balie.approvals.models import After, Audience, Decision, Kind, Request, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.core.jobs import enqueue
from balie.dossiers.models import Document, DocumentType, DocumentVersion
from balie.firms.models import StaffMember
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.signing import pdf
from balie.signing.models import Signature, SignedFile, Signer
from balie.todos.models import Todo
from balie.todos.services import todo_create, todo_remind, todos_close_for_target, todos_handle_for_target

logger = logging.getLogger(__name__)
Outcome = Decision.Outcome
SEAL_JOB = "signing.seal"
LEASE = timedelta(minutes=5)
# The documents whose signed PDF belongs in the Jaarrekening folder (APR-1, seed 002).
ANNUAL_TYPES = (DocumentType.ANNUAL_ACCOUNTS, DocumentType.REPRESENTATION_LETTER)
ANNUAL_FOLDER = "Jaarrekening"


def _name(user) -> str:
    return user.get_full_name() or user.email


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# -- reading the files -----------------------------------------------------------------------------


def read_version(version: DocumentVersion) -> bytes:
    with default_storage.open(version.file.name, "rb") as handle:
        return handle.read()


def read_signed(signed: SignedFile) -> bytes:
    with default_storage.open(signed.key, "rb") as handle:
        return handle.read()


def check_version_signable(version: DocumentVersion) -> int:
    """The pages of a stored version that can be signed, else a clear ValidationError."""
    if version.content_type != "application/pdf":
        raise ValidationError(_("Only a PDF can be signed."), code="not_pdf")
    return pdf.check_signable(read_version(version))


# -- creating --------------------------------------------------------------------------------------


def _check_signers(*, client, signers: list, firm_signer) -> None:
    if not signers:
        raise ValidationError(_("Choose at least one person who must sign."), code="no_signers")
    if len({user.pk for user in signers}) != len(signers):
        raise ValidationError(_("Each person signs once: choose everyone only once."), code="twice")
    if len(signers) + (1 if firm_signer else 0) > pdf.MAX_SIGNERS:
        raise ValidationError(
            _("At most %(count)s people can sign one document.") % {"count": pdf.MAX_SIGNERS}, code="too_many"
        )
    if not kernel.all_active_members(client=client, users=signers):
        raise ValidationError(_("Only active members of the environment can be asked to sign."), code="not_member")
    if (
        firm_signer is not None
        and not StaffMember.objects.filter(firm_id=client.firm_id, user=firm_signer, user__is_active=True).exists()
    ):
        raise ValidationError(_("The firm's signature must be given by someone of the firm."), code="not_staff")


def _check_places(places: dict, *, pages: int) -> None:
    for page, box in places.values():
        if page is not None and not 1 <= page <= pages:
            raise ValidationError(
                _("The document has %(pages)s pages; choose a page from 1 to %(pages)s.") % {"pages": pages},
                code="page",
            )
        if box is not None and (len(box) != 4 or box[0] >= box[2] or box[1] >= box[3]):
            raise ValidationError(_("Choose a valid place for the signature."), code="box")


@transaction.atomic
def sign_request_create(
    *,
    document: Document,
    actor,
    signers: Iterable,
    in_order: bool = True,
    firm_signer=None,
    due_date: date | None = None,
    waits_for: Request | None = None,
    places: dict | None = None,
) -> Request:
    """Asks ``signers`` (members of the environment) to sign the document's current version, one
    after the other in the given order (``in_order``) or all at once; ``firm_signer`` (someone of the
    firm) signs first. ``places`` maps a user's pk to (page, box), either None for the default: the
    last page, beside the signature before it. Refuses a file that is not a PDF that can be signed."""
    document = Document.objects.select_for_update(of=("self",)).select_related("client__firm").get(pk=document.pk)
    if document.is_withdrawn:
        raise ValidationError(_("This document has been withdrawn."), code="withdrawn")
    version = document.current_version
    if version is None:
        raise ValidationError(_("This document has no file."), code="no_version")
    pages = check_version_signable(version)
    client = document.client
    signers = list(signers)
    _check_signers(client=client, signers=signers, firm_signer=firm_signer)
    places = places or {}
    _check_places(places, pages=pages)
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."), code="due_date")
    if waits_for is not None:
        waits_for = kernel.check_waits_for(waits_for, client=client)
    waiting = waits_for is not None and not kernel.is_done(waits_for)
    approval = Request.objects.create(
        client=client,
        document=document,
        version=version,
        kind=Kind.SIGN,
        audience=Audience.NAMED,
        required=Required.ALL,
        after=After.NOTHING,
        due_date=due_date,
        status=Status.WAITING if waiting else Status.OPEN,
        waits_for=waits_for,
        created_by=actor,
    )
    approval.named.set(signers)
    rows, slot = [], 1
    if firm_signer is not None:
        rows.append(Signer(request=approval, user=firm_signer, position=0, slot=slot, is_firm=True))
        slot += 1
    for index, user in enumerate(signers):
        page, box = places.get(user.pk, (None, None))
        rows.append(
            Signer(request=approval, user=user, position=index + 1 if in_order else 1, slot=slot, page=page, box=box)
        )
        slot += 1
    if firm_signer is not None and firm_signer.pk in places:
        rows[0].page, rows[0].box = places[firm_signer.pk]
    Signer.objects.bulk_create(rows)
    if not waiting:
        open_turn(approval, actor=actor)
    return approval


def copy_signers(*, old: Request, new: Request) -> None:
    """The kernel's restart of a sign request: restarted on a new version, it keeps its signers, turns and
    places; nobody has signed the new version yet."""
    Signer.objects.bulk_create(
        Signer(
            request=new,
            user_id=signer.user_id,
            position=signer.position,
            slot=signer.slot,
            is_firm=signer.is_firm,
            page=signer.page,
            box=signer.box,
            spot=signer.spot,
        )
        for signer in Signer.objects.filter(request=old).order_by("slot")
    )


# -- turns -----------------------------------------------------------------------------------------


def current_position(approval: Request) -> int | None:
    """The turn now: the lowest position with a signer who has not signed; None when all have."""
    return (
        Signer.objects.filter(request=approval, signature__isnull=True)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )


def _before_is_sealed(approval: Request, position: int) -> bool:
    """Whether every signature of the turns before ``position`` is in the PDF."""
    return (
        not Signature.objects.filter(request=approval, signer__position__lt=position)
        .exclude(state=Signature.State.SEALED)
        .exists()
    )


def open_turn(approval: Request, *, actor) -> None:
    """Asks the signers whose turn it is (their task and a notification; the firm's signer is told
    in the back office). Called when the request opens and after each turn is sealed."""
    position = current_position(approval)
    if position is None:
        return
    now = timezone.now()
    turn = list(
        Signer.objects.filter(request=approval, position=position, signature__isnull=True, asked_at__isnull=True)
        .select_related("user")
        .order_by("slot")
    )
    if not turn:
        return
    Signer.objects.filter(pk__in=[signer.pk for signer in turn]).update(asked_at=now)
    title = approval.document.title
    for signer in turn:
        if signer.is_firm:
            notify(
                users=[signer.user],
                client=approval.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("Please sign for the firm: %(title)s (%(client)s)"),
                params={"title": title, "client": approval.client.name},
                link=kernel.staff_link(approval),
                needs_action=True,
                due_date=approval.due_date,
            )
            continue
        todo_create(
            client=approval.client,
            kind=Todo.Kind.SIGN,
            title=title,
            target=approval,
            due_date=approval.due_date,
            audience=Todo.Audience.NAMED,
            assignees=[signer.user],
            created_by=actor,
        )
        if actor is None or signer.user_id != actor.pk:
            notify(
                users=[signer.user],
                client=approval.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("Please sign: %(title)s"),
                params={"title": title},
                link=approval.get_absolute_url(),
                message=approval.document.message,
                needs_action=True,
                due_date=approval.due_date,
            )


def open_for_signing(approval: Request, *, actor, strict: bool) -> None:
    """The kernel's opener of sign requests (``kernel.register_kind``): the first turn is asked. A sign
    request always has its signers, so ``strict`` changes nothing."""
    open_turn(approval, actor=actor)


# -- signing ---------------------------------------------------------------------------------------


def why_not_signable(*, approval: Request, user) -> str | None:
    """Why ``user`` cannot sign ``approval`` now, as a message; None when they can."""
    if approval.kind != Kind.SIGN:
        return _("This document is not to be signed.")
    signer = Signer.objects.filter(request=approval, user=user).select_related("signature__decision").first()
    if signer is None:
        return _("You have not been asked to sign this document.")
    signature = getattr(signer, "signature", None)
    if signature is not None:
        return _("You signed this document on %(when)s.") % {"when": _when(signature.decision.decided_at)}
    if approval.status == Status.WAITING:
        return _("This document cannot be signed yet: it waits for an earlier step.")
    if approval.status != Status.OPEN:
        return _("This request is %(status)s: it can no longer be signed.") % {
            "status": Status(approval.status).label.lower()
        }
    position = current_position(approval)
    if position is not None and signer.position > position:
        waiting_for = ", ".join(
            _name(each.user)
            for each in Signer.objects.filter(request=approval, position__lt=signer.position, signature__isnull=True)
            .select_related("user")
            .order_by("slot")
        )
        return _("It is not your turn yet: %(names)s signs first.") % {"names": waiting_for}
    if signer.asked_at is None:  # the turn before is signed but not sealed into the PDF yet
        return _("It is not your turn yet: the signature before yours is still being sealed into the document.")
    if approval.document.current_version_id != approval.version_id:
        return _("A new version of this document has been published; sign that one.")
    return None


def signature_add(
    *,
    approval: Request,
    user,
    image_png: bytes,
    method: str,
    typed_name: str = "",
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """Records ``user``'s signature on the request's exact version (the Decision "signed" is the
    evidence: who, when, IP, browser, factor, SHA-256) and queues it to be sealed into the PDF."""
    if confirmation is None:
        raise ValidationError(_("Confirm your signature."), code="confirmation")
    if method not in Signature.Method.values or not image_png:
        raise ValidationError(_("Draw your signature in the box first, or type your name."), code="empty")
    with transaction.atomic():
        locked = kernel.lock(approval)
        refusal = why_not_signable(approval=locked, user=user)
        if refusal:
            raise ValidationError(refusal, code="not_signable")
        signer = Signer.objects.select_for_update().get(request=locked, user=user)
        decision = kernel.record_decision(
            locked,
            user=user,
            outcome=Outcome.SIGNED,
            comment="",
            factor=confirmation.factor,
            challenge_id=confirmation.challenge_id,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        signature = Signature.objects.create(
            request=locked,
            signer=signer,
            decision=decision,
            method=method,
            typed_name=typed_name.strip()[:120],
            image=image_png,
            image_sha256=hashlib.sha256(image_png).hexdigest(),
        )
        SignedFile.objects.get_or_create(request=locked)
        todos_handle_for_target(target=locked, user=user)
        notify(
            users=kernel.firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s signed %(title)s (%(client)s)"),
            params={"who": _name(user), "title": locked.document.title, "client": locked.client.name},
            link=kernel.staff_link(locked),
        )
        request_id = locked.pk
        transaction.on_commit(lambda: enqueue(SEAL_JOB, request_id=request_id))
    approval.status = locked.status
    return signature


def signatures_add_batch(
    *,
    items: Iterable[tuple[Request, str]],
    user,
    image_png: bytes,
    method: str,
    typed_name: str = "",
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[Signature]:
    """One signature, one confirmation, several documents: ``items`` pairs each sign request with
    the SHA-256 of the version the person was shown. All or nothing, in one transaction: each goes
    through ``signature_add`` (its own Decision bound to its own version, the same image), and one
    that cannot be signed now (not their turn, withdrawn, a changed version) refuses them all, its
    message prefixed with the document's title. Each is sealed by its own job after the commit."""
    if confirmation is None:
        raise ValidationError(_("Confirm your signature."), code="confirmation")
    signatures = []
    with transaction.atomic():
        for approval, sha256 in sorted(items, key=lambda item: item[0].pk):  # one lock order: no deadlocks
            try:
                kernel.check_chosen_version(approval, sha256)
                signatures.append(
                    signature_add(
                        approval=approval,
                        user=user,
                        image_png=image_png,
                        method=method,
                        typed_name=typed_name,
                        confirmation=confirmation,
                        ip_address=ip_address,
                        user_agent=user_agent,
                    )
                )
            except ValidationError as error:
                raise ValidationError(
                    _("%(title)s: %(reason)s") % {"title": approval.document.title, "reason": " ".join(error.messages)},
                    code=getattr(error, "code", None) or "refused",
                ) from None
    return signatures


def signature_decline(*, approval: Request, user, reason: str) -> Decision:
    """``user`` will not sign: the request is REJECTED with the reason, the firm told, the tasks
    closed, and the steps waiting for it withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason why you do not sign."), code="reason")
    with transaction.atomic():
        locked = kernel.lock(approval)
        refusal = why_not_signable(approval=locked, user=user)
        if refusal:
            raise ValidationError(refusal, code="not_signable")
        decision = kernel.record_decision(locked, user=user, outcome=Outcome.REJECTED, comment=reason, factor="")
        kernel.set_status(locked, Status.REJECTED, settled_by=user)
        kernel.close_tasks(locked, done_by=user)
        values = {"who": _name(user), "title": locked.document.title, "client": locked.client.name}
        notify(
            users=kernel.firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s will not sign %(title)s (%(client)s): %(reason)s"),
            params={**values, "reason": kernel.short(reason)},
            link=kernel.staff_link(locked),
        )
        others = [signer.user for signer in Signer.objects.filter(request=locked, is_firm=False).exclude(user=user)]
        notify(
            users=others,
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s will not sign %(title)s; the request has stopped."),
            params=values,
            link=locked.get_absolute_url(),
        )
        kernel.withdraw_followers(locked)
    approval.status = locked.status
    return decision


def signers_remind(*, approval: Request, actor) -> int:
    """Reminds the signers whose turn it is (through their task's reminder, at most daily); the
    firm's signer by a notification. Returns how many people were reminded."""
    if approval.kind != Kind.SIGN or approval.status != Status.OPEN:
        raise ValidationError(_("Only an open sign request can be reminded of."), code="not_open")
    reminded = 0
    todos = Todo.objects.filter(
        status=Todo.Status.OPEN,
        target_type__model="request",
        target_type__app_label="approvals",
        target_id=str(approval.pk),
    )
    errors = []
    for todo in todos:
        try:
            reminded += todo_remind(todo=todo)
        except ValidationError as error:
            errors.extend(error.messages)
    position = current_position(approval)
    for signer in Signer.objects.filter(request=approval, is_firm=True, position=position, signature__isnull=True):
        notify(
            users=[signer.user],
            client=approval.client,
            kind=EventKind.REMINDER,
            title=gettext_noop("Reminder: please sign for the firm: %(title)s"),
            params={"title": approval.document.title},
            link=kernel.staff_link(approval),
        )
        reminded += 1
    if not reminded:
        raise ValidationError(errors[0] if errors else _("Nobody is waiting to sign now."), code="nobody")
    Signer.objects.filter(request=approval, position=position, signature__isnull=True).update(
        reminded_at=timezone.now()
    )
    return reminded


# -- sealing ---------------------------------------------------------------------------------------


def _audit_language() -> str:
    from django.conf import settings

    return settings.LANGUAGE_CODE


def _places(approval: Request, original: bytes) -> list[pdf.Place]:
    signers = list(Signer.objects.filter(request=approval).select_related("user").order_by("slot"))
    reader_pages = pdf.check_signable(original)
    places, used = [], {}
    for signer in signers:
        page = signer.page or reader_pages
        if signer.box:
            box = tuple(float(value) for value in signer.box)
        else:
            index = used.get(page, 0)
            used[page] = index + 1
            box = pdf.default_box(index, pdf.page_size(original, page))
        label = f"{signer.slot}. {_name(signer.user)}"
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
        "who": _name(decision.user),
        "when": _when(decision.decided_at),
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
    values = {"progress": value}
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
                current = pdf.prepare(original, audit=_audit_page(approval), places=_places(approval, original))
            _progress(signature, 40)
            from balie.signing.seals import sealer_for_firm

            sealer = sealer_for_firm(approval.client.firm)
            signer = signature.signer
            decision = signature.decision
            field = _field_box(current, signer.slot)
            when = _when(decision.decided_at)
            appearance = pdf.signature_appearance(
                image_png=bytes(signature.image),
                name=_name(decision.user),
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
                name=_name(decision.user),
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
            current = Signature.objects.get(pk=signature.pk).state
            if signed.sealed != base or current != Signature.State.SEALING:
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
        if _before_is_sealed(locked, position):
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
    transaction.on_commit(lambda: enqueue(SEAL_JOB, request_id=request_id))
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
        enqueue(SEAL_JOB, request_id=request_id)
    return len(ids)


def signers_for_audience(*, client, audience: str, named: Iterable = ()) -> list:
    """Who signs for an audience, in order: the named people as given; directors with portal access
    or everyone who may handle documents, in the order they were given access."""
    if audience == Audience.NAMED:
        return list(named)
    members = Membership.objects.active().filter(client=client, user__is_active=True)
    if audience == Audience.DIRECTORS:
        members = members.filter(is_director=True)
    else:
        members = members.filter(may_handle_documents=True)
    return [membership.user for membership in members.select_related("user").order_by("pk")]


def sign_request_create_for_published(*, document: Document, actor, settings: dict | None = None) -> Request:
    """The sign request a published document asks for (DOS-7, APR-1): the flow of its type decides
    who signs (the directors with portal access for annual accounts and the LOR) unless
    ``settings`` say otherwise: audience, named (in signing order), in_order, firm_signer, due_date,
    waits_for."""
    from balie.approvals.flows import Mode, flow_for

    spec = flow_for(firm=document.client.firm, doc_type=document.doc_type)
    values = {"audience": spec.audience if spec.mode == Mode.SIGN else Audience.DIRECTORS, "in_order": True}
    if spec.mode == Mode.SIGN and spec.due_days:
        values["due_date"] = timezone.localdate() + timedelta(days=spec.due_days)
    values.update(settings or {})
    audience = values.pop("audience")
    named = values.pop("named", ())
    values.pop("required", None)
    values.pop("after", None)
    signers = signers_for_audience(client=document.client, audience=audience, named=named)
    if not signers:
        raise kernel.nobody_error(client=document.client, audience=audience)
    return sign_request_create(document=document, actor=actor, signers=signers, **values)


# -- the firm moves a signature ----------------------------------------------------------------------


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def signer_place_update(*, approval: Request, signer: Signer, page: int | None, box, actor, spot: str = "") -> Signer:
    """Moves ``signer``'s signature to ``page`` (None: the last page) and ``box`` ([x1, y1, x2, y2]
    in points; None: the default place there). Only until the first signature (the PDF's fields are
    fixed then), on a page of the document, inside it, and not over another signature. ``spot`` is
    the name the box was chosen as (``forms_staff.SPOTS``), kept with it so that the pages name the
    place without reading the PDF; a name that is not this box on this page is not kept."""
    from balie.signing.forms_staff import spot_of

    with transaction.atomic():
        locked = kernel.lock(approval)
        if locked.kind != Kind.SIGN or signer.request_id != locked.pk:
            raise ValidationError(_("This person does not sign this document."), code="not_signer")
        if locked.status not in (Status.OPEN, Status.WAITING):
            raise ValidationError(
                _("This request is %(status)s: the signatures can no longer be moved.")
                % {"status": Status(locked.status).label.lower()},
                code="not_open",
            )
        if Signature.objects.filter(request=locked).exists():
            raise ValidationError(
                _("Someone has signed already: the places of the signatures can no longer change."), code="signed"
            )
        original = read_version(locked.version)
        pages = pdf.check_signable(original)
        box = [float(value) for value in box] if box else None
        _check_places({signer.user_id: (page, box)}, pages=pages)
        if box is not None:
            width, height = pdf.page_size(original, page or pages)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                raise ValidationError(_("The signature must lie within the page."), code="box")
            spot = spot if spot and spot_of(box, (width, height)) == spot else ""
        else:
            spot = ""
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        signer.page, signer.box, signer.spot = page, box, spot
        signer.save(update_fields=["page", "box", "spot"])
        places = _places(locked, original)
        for index, place in enumerate(places):
            for other in places[index + 1 :]:
                if place.page == other.page and _overlap(place.box, other.box):
                    raise ValidationError(
                        _("Another signature is placed there already; choose another place."), code="overlap"
                    )
        logger.info("sign request %s: signer %s placed by %s", locked.public_id, signer.slot, actor.pk)
    return signer
