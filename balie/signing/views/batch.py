"""Signing several documents at once (APR-6): the person chooses from the sign requests where it is
their turn, draws or types the signature once, and confirms once with one code.

The step-up is bound to the exact set (every request with the SHA-256 of the version shown) and to
the signature image. ``signatures_add_batch`` signs each through ``signature_add`` in one
transaction: all or nothing. Each signature is then sealed by its own job, as when signing one.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from balie.approvals.views.batch import chosen_items, chosen_refusals, items_digest
from balie.clients.access import client_required
from balie.core.actions import service_refusal
from balie.signing import sealing, selectors
from balie.signing.forms import SignatureForm
from balie.signing.models import Signature
from balie.signing.pad import pad_evidence
from balie.signing.signatures import signatures_add_batch, why_not_signable
from balie.twostep.stepup import StepUp, register_action

SIGN_BATCH = "document_sign_batch"
register_action(SIGN_BATCH, gettext_lazy("signing the documents listed"))


def batch_sign_key(client, items, image_png: bytes) -> str:
    """The step-up object: this image on these requests on these exact versions, in this environment."""
    image = hashlib.sha256(image_png).hexdigest()
    return f"sign-batch:{client.public_id}:{items_digest(items)}:{image}"


def _page(request, *, items=(), chosen=(), form=None, stepup=None, errors=(), status=200):
    context = {
        "items": items,
        "chosen": chosen,
        "signature_form": form,
        "statement": sealing.statement(),
        "stepup": stepup,
        "image_data": base64.b64encode(form.image_png).decode() if stepup else "",
        "errors": errors,
        "batch_url": reverse("signing:batch", args=[request.client.public_id]),
    }
    return render(request, "signing/batch.html", context, status=status)


def _choose_again(request, errors, status=400):
    items = list(selectors.signable_for_user(user=request.user, client=request.client))
    return _page(request, items=items, errors=errors, status=status)


@client_required
@require_http_methods(["GET", "POST"])
def batch(request):
    """Choose (GET), sign once on the pad (first POST), see the signature with the confirmation box
    (second POST, with the signature), confirm with one code (third POST, with the challenge)."""
    client = request.client
    if request.method == "GET":
        return _page(request, items=list(selectors.signable_for_user(user=request.user, client=client)))
    items = chosen_items(
        request,
        lambda ids: selectors.sign_requests_chosen_by_user(user=request.user, client=client, public_ids=ids),
    )
    if not items:
        return _choose_again(request, [_("Choose at least one document to sign.")])
    name = request.user.get_full_name()
    confirming = "stepup_challenge" in request.POST
    ids = [approval.pk for approval, _sha in items]
    if confirming and Signature.objects.filter(request_id__in=ids, signer__user=request.user).count() == len(ids):
        # a second click on Bevestigen: every one is signed already
        messages.info(request, _("You have already signed these documents."))
        return redirect("approvals:history", client=client.public_id)
    reasons = chosen_refusals(items, lambda approval: why_not_signable(approval=approval, user=request.user))
    if reasons:
        return _choose_again(request, [*reasons, _("Nothing has been signed. Choose again.")])
    if "method" not in request.POST:  # chosen: the pad
        return _page(request, chosen=items, form=SignatureForm(name=name))
    form = SignatureForm(request.POST, name=name)
    if not form.is_valid():
        return _page(request, chosen=items, form=form, status=400)
    stepup = StepUp(
        request,
        action=SIGN_BATCH,
        object_key=batch_sign_key(client, items, form.image_png),
        firm=client.firm,
        allow_password=True,  # only for someone without any second factor (see StepUp)
    )
    if not confirming:
        return _page(request, chosen=items, form=form, stepup=stepup)
    confirmation = stepup.confirm()  # outside any transaction: a used code stays used
    if confirmation is None:
        return _page(request, chosen=items, form=form, stepup=stepup, status=400)
    with service_refusal(request, closing=_("Nothing has been signed. Choose again.")) as outcome:
        signatures = signatures_add_batch(
            items=items, user=request.user, confirmation=confirmation, **pad_evidence(request, form)
        )
    if not outcome.ok:
        return redirect("signing:batch", client=client.public_id)
    count = len(signatures)
    messages.success(
        request,
        ngettext(
            "%(count)d document has been signed. Your signature is being sealed into it.",
            "%(count)d documents have been signed. Your signature is being sealed into each of them.",
            count,
        )
        % {"count": count},
    )
    return redirect("approvals:history", client=client.public_id)
