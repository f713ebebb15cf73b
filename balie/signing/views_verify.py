"""Checking a signed PDF (APR-6 point 5), for everyone who is signed in, and the seal certificates of
the person's firms to download (so that a PDF reader can trust them too).

The PDF handed in is read from the upload and checked; it is never stored.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from balie.firms.models import Firm
from balie.signing import verification
from balie.signing.certificates import SealCertificate, seal_certificate
from balie.signing.forms_verify import VerifyForm
from balie.twostep.selectors import firms_of_user

FORMATS = {  # the certificate to download: content type and file extension
    "pem": ("application/x-pem-file", "pem"),
    "cer": ("application/pkix-cert", "cer"),
}


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Upload a PDF, read what its signatures say: a verdict, then each signature."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = verification.check(form.cleaned_data["data"])
        form = VerifyForm()  # ready for the next file
    context = {
        "form": form,
        "result": result,
        "name": request.FILES["file"].name if result is not None else "",
        "firms": sorted(firms_of_user(user=request.user), key=lambda firm: firm.name.lower()),
        "max_bytes": verification.MAX_BYTES,
    }
    return render(request, "signing/verify.html", context, status=400 if form.errors else 200)


def get_firm_for_user(*, user, public_id) -> Firm:
    """A firm the person deals with (as staff, or through an environment); 404 for any other."""
    for firm in firms_of_user(user=user):
        if firm.public_id == public_id:
            return firm
    raise Http404


def certificate_response(certificate: SealCertificate, *, firm: Firm, form: str) -> HttpResponse:
    """The seal certificate as a file: PEM (text) or .cer (DER, what Windows opens)."""
    if form not in FORMATS:
        raise Http404
    content_type, extension = FORMATS[form]
    body = certificate.certificate_pem.encode() if form == "pem" else certificate.der
    response = HttpResponse(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(
        True, f"zegelcertificaat-{firm.slug}.{extension}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def firm_certificate(request, firm, form):
    """The seal certificate of one of the person's firms."""
    firm = get_firm_for_user(user=request.user, public_id=firm)
    return certificate_response(seal_certificate(firm), firm=firm, form=form)
