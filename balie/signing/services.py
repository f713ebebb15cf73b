"""Sign requests (APR-6): creating them, signing, declining, sealing each signature into the PDF,
and what follows the last signature. Status changes, locks, evidence and
the steps waiting for a request go through the request kernel (``approvals.kernel``); a sign request
is the kernel's kind "sign" (registered in ``apps.py``). Signing is in ``signatures``, sealing in
``sealing``, the turns in ``turns``; callers import those services from there.

    approval = sign_request_create(document=doc, actor=staff, signers=[pieter, anna], in_order=True)
    signatures.signature_add(approval=approval, user=pieter, image_png=png, method="drawn", confirmation=c, ...)
    # a job seals it into the PDF (``seal_pending``); then Anna's turn comes; after hers the signed
    # PDF becomes the document's new version, the request SIGNED, and the steps waiting for it open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel
from balie.approvals.models import After, Audience, Kind, Request, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import Document
from balie.firms.models import StaffMember
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.signing import pdf
from balie.signing.models import Signature, Signer
from balie.signing.sealing import check_version_signable, places_of, read_version
from balie.signing.turns import current_position, open_turn
from balie.todos.models import Todo
from balie.todos.services import todo_remind

logger = logging.getLogger(__name__)


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
    kernel.record_event("request.created", approval, actor=actor, details={"signers": len(rows), "in_order": in_order})
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
            reminded += todo_remind(todo=todo, actor=actor)
        except ValidationError as error:
            errors.extend(error.messages)
    position = current_position(approval)
    # A None lookup is valid (IS NULL, so no row); the stubs only accept a value.
    waiting = Signer.objects.filter(request=approval, is_firm=True, position=position, signature__isnull=True)  # type: ignore[misc]
    for signer in waiting:
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
    # As above: a None position updates no row.
    Signer.objects.filter(request=approval, position=position, signature__isnull=True).update(  # type: ignore[misc]
        reminded_at=timezone.now()
    )
    kernel.record_event("request.reminded", approval, actor=actor, details={"reminded": reminded})
    return reminded


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
    values: dict[str, Any] = {
        "audience": spec.audience if spec.mode == Mode.SIGN else Audience.DIRECTORS,
        "in_order": True,
    }
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
        before = [signer.page, signer.box]
        signer.page, signer.box, signer.spot = page, box, spot
        signer.save(update_fields=["page", "box", "spot"])
        places = places_of(locked, original)
        for index, place in enumerate(places):
            for other in places[index + 1 :]:
                if place.page == other.page and _overlap(place.box, other.box):
                    raise ValidationError(
                        _("Another signature is placed there already; choose another place."), code="overlap"
                    )
        logger.info("sign request %s: signer %s placed by %s", locked.public_id, signer.slot, actor.pk)
        kernel.record_event(
            "request.signer_moved", locked, actor=actor, details={"slot": signer.slot, "place": [before, [page, box]]}
        )
    return signer
