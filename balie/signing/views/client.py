"""The client side of signing (APR-6): a sign request's page, the signature pad with its
confirmation, the progress of sealing, declining, and the signed PDF.

As in approvals, every view starts from ``request.client`` (``client_required``: a membership, else
404) and reads the request through ``get_request_for_user``, which looks only inside that
environment. Members may look; only the signers may sign or decline (others get 403 and nothing is
recorded). A signature is confirmed with the step-up box, bound to this request, the exact
version's SHA-256 and the signature image itself.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.approvals import selectors
from balie.approvals.models import Decision, Kind, Request
from balie.approvals.states import Status
from balie.clients.access import client_required
from balie.core.actions import service_refusal
from balie.core.addresses import client_ip
from balie.dossiers.models import DocumentAccess
from balie.dossiers.services import document_record_access
from balie.dossiers.views.client import DOWNLOAD_CSP, document_withdrawn
from balie.signing import sealing, signatures, turns
from balie.signing import selectors as signing_selectors
from balie.signing.forms import DeclineForm, SignatureForm
from balie.signing.models import Signature, SignedFile, Signer
from balie.signing.pad import signature_from_pad
from balie.twostep.stepup import register_action

SIGN = "document_sign"
register_action(SIGN, gettext_lazy("signing a document"))
POLL_SECONDS = 1


def sign_key(approval: Request, image_png: bytes) -> str:
    """The step-up object of a signature: this image on this request on this exact version (its
    SHA-256). A confirmation started for one request, or for another drawing, confirms neither."""
    image = hashlib.sha256(image_png).hexdigest()
    return f"sign:{approval.public_id}:{approval.version.sha256}:{image}"


def _get(request, approval) -> Request:
    approval = selectors.get_request_for_user(user=request.user, client=request.client, public_id=approval)
    if approval.kind != Kind.SIGN:
        raise Http404
    return approval


def _signer(approval: Request, user) -> Signer | None:
    return Signer.objects.filter(request=approval, user=user).first()


def _signature(approval: Request, user) -> Signature | None:
    return Signature.objects.filter(request=approval, signer__user=user).select_related("decision").first()


def _url(name: str, approval: Request) -> str:
    return reverse(f"signing:{name}", kwargs={"client": approval.client.public_id, "approval": approval.public_id})


def _next_signers(approval: Request) -> list[str]:
    """The names of the people whose turn it is now (empty when everyone has signed)."""
    position = turns.current_position(approval)
    if position is None or approval.status != Status.OPEN:
        return []
    return [
        signer.user.get_full_name() or signer.user.email
        for signer in Signer.objects.filter(request=approval, position=position, signature__isnull=True)
        .select_related("user")
        .order_by("slot")
    ]


def _preview_version(approval: Request, signed: SignedFile | None):
    """The version the page previews: the one being signed, or the signed one it became."""
    document = approval.document
    current = document.current_version
    if document.is_withdrawn or current is None or current.content_type != "application/pdf":
        return None
    if current.pk == approval.version_id or (signed is not None and current.pk == signed.version_id):
        return current
    return None


def _detail(request, approval: Request, *, decline_form=None, status=200):
    user = request.user
    signed = signing_selectors.signed_file(approval=approval)
    signer = _signer(approval, user)
    refusal = signatures.why_not_signable(approval=approval, user=user)
    context = {
        "approval": approval,
        "document": approval.document,
        "version": approval.version,
        "rows": signing_selectors.signer_rows(approval=approval),
        "statement": sealing.statement(),
        "is_signer": signer is not None,
        "can_sign": refusal is None,
        "refusal": refusal,
        "mine": _signature(approval, user),
        "declined": [each for each in approval.decisions.all() if each.outcome == Decision.Outcome.REJECTED],
        "signed_file": signed,
        "preview": _preview_version(approval, signed),
        "decline_form": decline_form or DeclineForm(),
        "replacement": selectors.replacement_of(approval=approval),
    }
    return render(request, "signing/detail.html", context, status=status)


@client_required
@require_GET
def detail(request, approval):
    """A sign request: the whole document to read, the signers in turn, what the signature is, and
    for the signer whose turn it is Naar ondertekenen (or Niet ondertekenen, with a reason)."""
    return _detail(request, _get(request, approval))


def _refused(request, approval: Request, refusal: str):
    """Back to where the person can see why: their signature's progress, or the request."""
    if _signature(approval, request.user) is not None:
        messages.info(request, refusal)
        return redirect(_url("progress", approval))
    messages.error(request, refusal)
    return redirect(_url("detail", approval))


def _sign_page(request, approval: Request, form: SignatureForm, *, stepup=None, status=200):
    context = {
        "approval": approval,
        "document": approval.document,
        "version": approval.version,
        "signature_form": form,
        "statement": sealing.statement(),
        "stepup": stepup,
        "image_data": base64.b64encode(form.image_png).decode() if stepup else "",
    }
    return render(request, "signing/sign.html", context, status=status)


@client_required
@require_http_methods(["GET", "POST"])
def sign(request, approval):
    """The signature pad. The first send checks the signature (an empty drawing stays here, with
    the reason) and shows it with the confirmation box; the second, with the code, signs."""
    approval = _get(request, approval)
    if _signer(approval, request.user) is None:
        raise PermissionDenied
    refusal = signatures.why_not_signable(approval=approval, user=request.user)
    if refusal:
        return _refused(request, approval, refusal)
    name = request.user.get_full_name()
    if request.method == "GET":
        return _sign_page(request, approval, SignatureForm(name=name))
    result = signature_from_pad(
        request,
        approval,
        action=SIGN,
        key=lambda image: sign_key(approval, image),
        firm=request.client.firm,
        show=lambda form, **options: _sign_page(request, approval, form, **options),
    )
    if result.page is not None:
        return result.page
    if result.refusal:
        return _refused(request, approval, result.refusal)
    return redirect(_url("progress", approval))


@client_required
@require_GET
def progress(request, approval):
    """How far the sealing of the person's signature has come (polled while it runs), then the done
    message and who signs next, or that the signed PDF is in the dossier."""
    approval = _get(request, approval)
    signature = _signature(approval, request.user)
    if signature is None:
        return redirect(_url("detail", approval))
    running = signature.state in (Signature.State.QUEUED, Signature.State.SEALING)
    context = {
        "approval": approval,
        "document": approval.document,
        "signature": signature,
        "running": running,
        "poll_seconds": POLL_SECONDS,
        "next_signers": [] if running else _next_signers(approval),
        "signed_file": None if running else signing_selectors.signed_file(approval=approval),
    }
    template = "signing/partials/_progress.html" if request.htmx else "signing/progress.html"
    return render(request, template, context)


@client_required
@require_POST
def decline(request, approval):
    """Niet ondertekenen: with a reason, the request stops and the firm is told."""
    approval = _get(request, approval)
    if _signer(approval, request.user) is None:
        raise PermissionDenied
    refusal = signatures.why_not_signable(approval=approval, user=request.user)
    if refusal:
        return _refused(request, approval, refusal)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, decline_form=form, status=400)
    with service_refusal() as outcome:
        signatures.signature_decline(approval=approval, user=request.user, reason=form.cleaned_data["reason"])
    if not outcome.ok:
        return _refused(request, approval, outcome.text)
    messages.success(request, _("You have not signed the document. Your firm has been told why."))
    return redirect(_url("detail", approval))


@client_required
@require_GET
def download(request, approval):
    """The signed PDF as far as it has come (the final one once everyone has signed), for members.
    As in the dossier: a withdrawn document answers 410 Gone and gives no file, and each download
    is logged (who, when, IP) on the document."""
    approval = _get(request, approval)
    if approval.document.is_withdrawn:
        return document_withdrawn(request, approval.document)
    signed = signing_selectors.signed_file(approval=approval)
    if signed is None:
        raise Http404
    stem = approval.version.original_name.rsplit(".", 1)[0]
    if approval.status == Status.SIGNED:
        filename = _("%(name)s (signed).pdf") % {"name": stem}
    else:
        total = Signer.objects.filter(request=approval).count()
        filename = _("%(name)s (%(count)s of %(total)s signed).pdf") % {
            "name": stem,
            "count": signed.sealed,
            "total": total,
        }
    response = FileResponse(
        default_storage.open(signed.key, "rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    document_record_access(
        document=approval.document,
        user=request.user,
        action=DocumentAccess.Action.DOWNLOAD,
        ip_address=client_ip(request),
    )
    return response
