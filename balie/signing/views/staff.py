"""The firm's side of signing (APR-6, issue 8 point 8): the signers' progress on the request's page
(``signing_context``, polled while a signature is being sealed), reminding the signers whose turn
it is, retrying a failed seal, the signed PDF so far, moving a signature before anyone signed, and
the page where the firm's own signer signs first.

Every request is reached through ``approvals.selectors.get_request_for_staff`` (a request of the
staff member's own firm, else 404), and must be a sign request.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.approvals import selectors as approval_selectors
from balie.approvals.models import Kind, Request
from balie.approvals.states import Status
from balie.core.actions import service_refusal
from balie.dossiers.delivery import preview_data_response
from balie.dossiers.views.client import DOWNLOAD_CSP
from balie.firms.access import staff_required
from balie.signing import pdf, sealing, selectors, services, signatures
from balie.signing.forms import SignatureForm
from balie.signing.forms_staff import SPOTS, PlaceForm, spot_of
from balie.signing.models import Signer
from balie.signing.pad import signature_from_pad
from balie.twostep.stepup import register_action

SIGN_FOR_FIRM = "document_sign_firm"
register_action(SIGN_FOR_FIRM, gettext_lazy("signing a document for the firm"))
POLL_SECONDS = 2


def sign_key(approval: Request, image_png: bytes) -> str:
    """The step-up object of the firm's signature: this image on this request on this exact version."""
    image = hashlib.sha256(image_png).hexdigest()
    return f"sign-firm:{approval.public_id}:{approval.version.sha256}:{image}"


def _get(request, approval) -> Request:
    approval = approval_selectors.get_request_for_staff(staff=request.staff, public_id=approval)
    if approval.kind != Kind.SIGN:
        raise Http404
    return approval


def _back(approval: Request):
    return redirect("approvals_staff:detail", approval=approval.public_id)


def signing_context(request, approval: Request) -> dict:
    """What the firm's request page shows of a sign request: the signers in turn and what the
    firm can do now (remind, retry a seal, move places, sign for the firm, the signed PDF)."""
    rows = selectors.signer_rows(approval=approval)
    in_progress = selectors.sealing_in_progress(rows)
    return {
        "sign_rows": rows,
        "spots": SPOTS,
        "signed_file": selectors.signed_file(approval=approval),
        "sealing": in_progress,
        "poll_seconds": POLL_SECONDS,
        "may_remind": approval.status == Status.OPEN and any(row.is_turn for row in rows),
        "may_retry_seal": any(row.state == selectors.FAILED for row in rows),
        "may_move": selectors.may_move_places(approval=approval),
        "may_sign": any(row.is_turn and row.signer.user_id == request.user.pk for row in rows)
        and signatures.why_not_signable(approval=approval, user=request.user) is None,
        "signers_signed": sum(1 for row in rows if row.signed_at),
        "sign_order": _order(rows),
    }


def _order(rows) -> str:
    """How the client's signers sign: "order" (one after the other), "parallel", or "" for one."""
    turns = [row.turn for row in rows if not row.signer.is_firm]
    if len(turns) < 2:
        return ""
    return "order" if len(set(turns)) == len(turns) else "parallel"


# -- the request page's signing panel -----------------------------------------------------------------


@staff_required
@require_GET
def progress(request, approval):
    """The signing panel alone (htmx): polled while a signature is being sealed."""
    approval = _get(request, approval)
    context = {"approval": approval, **signing_context(request, approval)}
    return render(request, "approvals/staff/partials/_signing.html", context)


@staff_required
@require_POST
def remind(request, approval):
    """Herinnering sturen: the signers whose turn it is, at most once a day."""
    approval = _get(request, approval)
    with service_refusal(request, first_only=True) as outcome:
        count = services.signers_remind(approval=approval, actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            ngettext("%(count)s person has been reminded.", "%(count)s people have been reminded.", count)
            % {"count": count},
        )
    return _back(approval)


@staff_required
@require_POST
def seal_retry(request, approval):
    """Opnieuw verzegelen: the signatures whose sealing failed go to the job again, in turn."""
    approval = _get(request, approval)
    with service_refusal(
        request, first_only=True, success=_("The signature is being sealed again. This page shows the progress.")
    ):
        sealing.seal_retry(approval=approval, actor=request.user)
    return _back(approval)


@staff_required
@require_GET
def signed_download(request, approval):
    """The signed PDF as far as it has come (the final one once everyone has signed)."""
    approval = _get(request, approval)
    signed = selectors.signed_file(approval=approval)
    if signed is None:
        raise Http404
    stem = approval.version.original_name.rsplit(".", 1)[0]
    if approval.status == Status.SIGNED:
        filename = _("%(name)s (signed).pdf") % {"name": stem}
    else:
        filename = _("%(name)s (%(count)s of %(total)s signed).pdf") % {
            "name": stem,
            "count": signed.sealed,
            "total": Signer.objects.filter(request=approval).count(),
        }
    response = FileResponse(
        default_storage.open(signed.key, "rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_GET
def preview(request, approval):
    """The bytes of the version being signed for the PDF.js previews of the signing and place pages."""
    approval = _get(request, approval)
    if approval.version.content_type != "application/pdf":
        raise Http404
    return preview_data_response(approval.version)


@staff_required
@require_http_methods(["GET", "POST"])
def place(request, approval, slot):
    """Plaats wijzigen: one signer's page and spot, until the first signature."""
    approval = _get(request, approval)
    signer = selectors.get_signer(approval=approval, slot=slot)
    if not selectors.may_move_places(approval=approval):
        messages.error(request, _("Someone has signed already: the places of the signatures can no longer change."))
        return _back(approval)
    with service_refusal(request, first_only=True) as outcome:
        original = sealing.read_version(approval.version)
        form = PlaceForm(request.POST or None, data_pdf=original, initial={"page": signer.page})
    if not outcome.ok:
        return _back(approval)
    form.fields["spot"].initial = spot_of(signer.box, _page_size(original, signer.page, form.pages)) or None
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form, as_text=True) as outcome:
            services.signer_place_update(
                approval=approval,
                signer=signer,
                page=form.cleaned_data["page"],
                box=form.box,
                spot=form.cleaned_data["spot"],
                actor=request.user,
            )
        if outcome.ok:
            name = signer.user.get_full_name() or signer.user.email
            messages.success(request, _("The place of %(name)s's signature has been changed.") % {"name": name})
            return _back(approval)
    context = {"approval": approval, "client": approval.client, "document": approval.document, "signer": signer}
    context["form"] = form
    return render(request, "approvals/staff/signer_place.html", context, status=400 if form.errors else 200)


def _page_size(original: bytes, page: int | None, pages: int) -> tuple[float, float]:
    return pdf.page_size(original, page if page and page <= pages else pages)


# -- the firm signs first ---------------------------------------------------------------------------


def _sign_page(request, approval: Request, form: SignatureForm, *, stepup=None, status=200):
    context = {
        "approval": approval,
        "client": approval.client,
        "document": approval.document,
        "version": approval.version,
        "signature_form": form,
        "statement": sealing.statement(),
        "stepup": stepup,
        "image_data": base64.b64encode(form.image_png).decode() if stepup else "",
    }
    return render(request, "approvals/staff/sign.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def sign(request, approval):
    """Ondertekenen for the firm: the signature pad; the first send checks the signature and shows
    it with the confirmation box (the firm's factors; the password only for someone without any
    second factor), the second, with the code, signs. The clients are asked once it is sealed."""
    approval = _get(request, approval)
    refusal = signatures.why_not_signable(approval=approval, user=request.user)
    if refusal:
        messages.error(request, refusal)
        return _back(approval)
    name = request.user.get_full_name()
    if request.method == "GET":
        return _sign_page(request, approval, SignatureForm(name=name))
    result = signature_from_pad(
        request,
        approval,
        action=SIGN_FOR_FIRM,
        key=lambda image: sign_key(approval, image),
        firm=request.staff.firm,
        show=lambda form, **options: _sign_page(request, approval, form, **options),
    )
    if result.page is not None:
        return result.page
    if result.refusal:
        messages.error(request, result.refusal)
    else:
        messages.success(request, _("You have signed for the firm. The signature is being sealed into the PDF."))
    return _back(approval)
