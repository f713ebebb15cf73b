"""Reads of sign requests for the firm: each signer's turn and state on the request's page, the
signature count per request in the approvals list, and where the signatures of a new request go.

Every read here starts from a request the caller already reached through
``approvals.selectors.get_request_for_staff`` (or the firm's own list): nothing here checks access;
except the client's reads for signing several at once (at the end), which look only inside one
environment the person is a member of.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from balie.approvals.certificate import factor_label
from balie.approvals.models import Kind, Request
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import Document
from balie.signing.models import Signature, SignedFile, Signer

# What a signer's row says (the template words it).
WAITING, ASKED, SIGNED, SEALING, FAILED, NOT_SIGNED = "waiting", "asked", "signed", "sealing", "failed", "not_signed"


# -- publishing: who signs where -------------------------------------------------------------------


def places_on_page(*, client, settings: dict, page: int) -> dict:
    """The ``places`` setting that puts every signature of a new sign request on ``page`` of the
    document, each in its default spot there: the people ``settings`` ask (audience, named) and
    the firm's signer. A page the document does not have is refused when the request is made."""
    from balie.signing.services import signers_for_audience

    users = signers_for_audience(client=client, audience=settings["audience"], named=settings.get("named", ()))
    if settings.get("firm_signer") is not None:
        users.append(settings["firm_signer"])
    return {user.pk: (page, None) for user in users}


def sign_settings_for(*, client, settings: dict, publisher) -> dict:
    """A bulk publication's stored sign settings for one environment: "firm_first" becomes the
    publisher as the firm's signer, "page" the places of that environment's signers."""
    settings = dict(settings)
    if settings.pop("firm_first", False) and publisher is not None:
        settings["firm_signer"] = publisher
    page = settings.pop("page", None)
    if page:
        settings.setdefault("audience", "directors")
        settings["places"] = places_on_page(client=client, settings=settings, page=page)
    return settings


# -- the approvals list ----------------------------------------------------------------------------


def _count(queryset) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("request").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def with_sign_counts(requests: QuerySet[Request]) -> QuerySet[Request]:
    """Annotates each request with ``signers_total`` and ``signers_signed`` (0 for other kinds), in
    the list's own query: "1 of 2 signed" costs no query per row."""
    return requests.annotate(
        signers_total=_count(Signer.objects.filter(request=OuterRef("pk"))),
        signers_signed=_count(Signature.objects.filter(request=OuterRef("pk"))),
    )


# -- the certificate -------------------------------------------------------------------------------


@dataclass
class SigningEvidence:
    """What a sign request adds to its certificate: its signers in turn, each signature by its
    decision, the signed PDF."""

    signers: list
    signatures: dict  # decision id -> Signature
    signed_file: object | None


def signing_evidence(approval: Request) -> SigningEvidence:
    """The sign kind's ``evidence`` for the request kernel (``approvals.certificate``)."""
    signers = list(Signer.objects.filter(request=approval).select_related("user").order_by("position", "slot"))
    signatures = {each.decision_id: each for each in Signature.objects.filter(request=approval)}
    signed_file = SignedFile.objects.filter(request=approval).select_related("version").first()
    return SigningEvidence(signers=signers, signatures=signatures, signed_file=signed_file)


# -- one request -----------------------------------------------------------------------------------


@dataclass
class SignerRow:
    signer: Signer
    turn: int  # 1, 2, … in the order of signing (equal for people who sign at the same time)
    state: str
    is_turn: bool  # asked now and not signed yet
    signed_at: datetime | None = None
    factor: str = ""
    progress: int = 0
    error: str = ""
    spot: str = "default"  # see forms_staff.SPOTS; "" for a place of its own

    @property
    def user(self):
        return self.signer.user

    @property
    def spot_label(self) -> str:
        from balie.signing.forms_staff import SPOTS

        return str(SPOTS.get(self.spot, ""))


def signer_rows(*, approval: Request) -> list[SignerRow]:
    """The request's signers in their turn, each with where they stand: waiting for their turn,
    asked (and reminded), signed (with the factor), being sealed, sealing failed, or not signed
    (the request ended without them)."""
    signers = list(
        Signer.objects.filter(request=approval)
        .select_related("user", "signature__decision")
        .order_by("position", "slot")
    )
    positions = sorted({signer.position for signer in signers})
    unsigned = [signer.position for signer in signers if not hasattr(signer, "signature")]
    current = min(unsigned) if unsigned else None
    ended = approval.status not in (Status.OPEN, Status.WAITING)
    rows = []
    for signer in signers:
        row = SignerRow(signer=signer, turn=positions.index(signer.position) + 1, state=WAITING, is_turn=False)
        signature = getattr(signer, "signature", None)
        if signature is not None:
            row.signed_at = signature.decision.decided_at
            row.factor = factor_label(signature.decision.factor)
            row.progress = signature.progress
            row.state = {
                Signature.State.SEALED: SIGNED,
                Signature.State.FAILED: FAILED,
            }.get(signature.state, SEALING)
            row.error = signature.error if signature.state == Signature.State.FAILED else ""
        elif ended:
            row.state = NOT_SIGNED
        elif signer.asked_at and approval.status == Status.OPEN:
            row.state = ASKED
            row.is_turn = signer.position == current
        rows.append(row)
    _label_spots(rows)
    return rows


def _label_spots(rows: list[SignerRow]) -> None:
    """Names the spot of signers placed somewhere of their own, as the firm chose it
    (``Signer.spot``, stored with the box): a box without a known name is "a place of its own".
    Reads nothing but the rows: this runs on every view of the request and every poll."""
    from balie.signing.forms_staff import DEFAULT, SPOTS

    for row in rows:
        if not row.signer.box:
            row.spot = DEFAULT
        else:
            row.spot = row.signer.spot if row.signer.spot in SPOTS and row.signer.spot != DEFAULT else ""


def signed_file(*, approval: Request) -> SignedFile | None:
    """The PDF as it grows, once the first signature is in it."""
    return SignedFile.objects.filter(request=approval).exclude(key="").first()


def sealing_in_progress(rows: list[SignerRow]) -> bool:
    return any(row.state == SEALING for row in rows)


def may_move_places(*, approval: Request) -> bool:
    """Places can change until the first signature: after it the PDF's fields are fixed."""
    return approval.status in (Status.OPEN, Status.WAITING) and not Signature.objects.filter(request=approval).exists()


def get_signer(*, approval: Request, slot: int) -> Signer:
    """One signer of ``approval`` (a request the caller may see), by their slot; 404 for anything else."""
    from django.http import Http404

    signer = Signer.objects.filter(request=approval, slot=slot).select_related("user").first()
    if signer is None:
        raise Http404
    return signer


# -- signing several at once (client side) ---------------------------------------------------------


def _signed_by(*, user, client) -> QuerySet[Request]:
    """Sign requests of ``client`` where ``user`` is a signer (signed or not) and still a member."""
    if not user.is_authenticated or not user.is_active:
        return Request.objects.none()
    member = Membership.objects.active().filter(client=client, user=user)
    mine = Signer.objects.filter(request=OuterRef("pk"), user=user)
    return Request.objects.filter(Exists(member), Exists(mine), client=client, kind=Kind.SIGN)


def signable_for_user(*, user, client) -> QuerySet[Request]:
    """The sign requests ``user`` can sign now in ``client``: open, their turn has come (asked), on
    the document's current version. What they may sign together with one confirmation."""
    turn = Signer.objects.filter(request=OuterRef("pk"), user=user, signature__isnull=True, asked_at__isnull=False)
    requests = _signed_by(user=user, client=client).filter(
        Exists(turn), status=Status.OPEN, version_id=F("document__current_version_id")
    )
    return (
        requests.exclude(document__status=Document.Status.WITHDRAWN)
        .select_related("client", "document", "version")
        .order_by("due_date", "created_at", "pk")
    )


def sign_requests_chosen_by_user(*, user, client, public_ids) -> list[Request]:
    """The sign requests named by ``public_ids`` on which ``user`` is a signer in ``client`` (signed
    or not, whatever their status); malformed and foreign ids are left out."""
    ids = []
    for value in public_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not ids:
        return []
    requests = _signed_by(user=user, client=client).filter(public_id__in=ids)
    return list(requests.select_related("client", "document", "version").order_by("pk"))
