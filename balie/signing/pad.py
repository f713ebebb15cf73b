"""Signing from the pad, for a client and for the firm's signer alike: the first send checks the
drawn or typed signature and shows it with the step-up box; the second, with the code, signs.

    result = signature_from_pad(request, approval, action=SIGN, key=sign_key(...), firm=firm, show=page)
    if result.page: return result.page          # the pad or the confirmation step (again)
    if result.refusal: ...                      # the services refused (turn, signed already …)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpResponse

from balie.core.actions import service_refusal
from balie.core.addresses import client_ip, user_agent
from balie.signing import signatures
from balie.signing.forms import SignatureForm
from balie.twostep.stepup import StepUp


@dataclass
class PadResult:
    page: HttpResponse | None = None  # show this page: the pad, or the signature with the step-up box
    refusal: str = ""  # the services refused the signature: why (nothing was recorded)


def signature_from_pad(
    request, approval, *, action: str, key: Callable[[bytes], str], firm, show: Callable[..., HttpResponse]
) -> PadResult:
    """``key(image_png)`` is the step-up object (bound to the request, its version and this image);
    ``show(form, stepup=None, status=200)`` renders the view's page. The password counts only for
    someone without any second factor."""
    form = SignatureForm(request.POST, name=request.user.get_full_name())
    if not form.is_valid():
        return PadResult(page=show(form, status=400))
    stepup = StepUp(request, action=action, object_key=key(form.image_png), firm=firm, allow_password=True)
    if "stepup_challenge" not in request.POST:
        return PadResult(page=show(form, stepup=stepup))
    confirmation = stepup.confirm()  # outside any transaction: a used code stays used
    if confirmation is None:
        return PadResult(page=show(form, stepup=stepup, status=400))
    with service_refusal() as outcome:
        signatures.signature_add(
            approval=approval, user=request.user, confirmation=confirmation, **pad_evidence(request, form)
        )
    return PadResult(refusal=outcome.text or "")


def pad_evidence(request, form: SignatureForm) -> dict:
    """What a signature keeps of the pad (a valid ``form``) and of the browser, for ``signature_add``
    and ``signatures_add_batch``."""
    return {
        "image_png": form.image_png,
        "method": form.cleaned_data["method"],
        "typed_name": form.cleaned_data["typed_name"],
        "ip_address": client_ip(request),
        "user_agent": user_agent(request),
    }
