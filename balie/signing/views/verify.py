"""Checking a signed PDF (APR-6 point 5), for everyone who is signed in, and the seal certificates of
the person's firms to download (so that a PDF reader can trust them too).

The PDF handed in is read from the upload and checked; it is never stored. Checking reads and
validates every signature in the file, so each person, and each IP address, may check only a few
PDFs in a while (``RATE_LIMITS``); the counters live in the shared cache, as sign-in throttling does.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from balie.core.addresses import client_ip
from balie.core.limits import allows_large_body, upload_body_limit
from balie.firms.models import Firm
from balie.signing import forms_verify, verification
from balie.signing.certificates import SealCertificate, seal_certificate
from balie.signing.forms_verify import VerifyForm
from balie.twostep.selectors import firms_of_user

FORMATS = {  # the certificate to download: content type and file extension
    "pem": ("application/x-pem-file", "pem"),
    "cer": ("application/pkix-cert", "cer"),
}
RATE_WINDOW_SECONDS = 10 * 60
RATE_LIMITS = {"user": 10, "ip": 30}  # checks per window: per person, per IP address (an office shares one)
IPV6_PREFIX = 64  # an IPv6 address counts for its whole network: one connection has many addresses


def _ip_source(request) -> str | None:
    ip = client_ip(request)
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return str(address)


def _count(key: str) -> int:
    """One more in the counter ``key``, which starts at the first check and expires with its window."""
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls: a new window
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        return 1


def rate_limited(request) -> bool:
    """Counts a check for the person, then for their IP address: True once either has had its
    ``RATE_LIMITS`` in the window. A person refused for their own count uses up nothing of the
    address, so that colleagues behind the same address can go on."""
    sources = [("user", str(request.user.pk)), ("ip", _ip_source(request))]
    for kind, source in sources:
        if source is not None and _count(f"balie:verify-pdf:{kind}:{source}") > RATE_LIMITS[kind]:
            return True
    return False


@allows_large_body(lambda request: upload_body_limit(per_file=forms_verify.MAX_BYTES, files=1))
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Upload a PDF, read what its signatures say: a verdict, then each signature. Too many checks
    in a while: 429 with the reason, nothing checked, and the form to try again later."""
    refusal = ""
    if request.method == "POST" and rate_limited(request):
        refusal = _("Too many PDFs have been checked in a short time. Wait a few minutes and try again.")
        form = VerifyForm()
    else:
        form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if form.is_bound and form.is_valid():
        result = verification.check(form.cleaned_data["data"])
        form = VerifyForm()  # ready for the next file
    context = {
        "form": form,
        "result": result,
        "refusal": refusal,
        "name": request.FILES["file"].name if result is not None else "",
        "firms": sorted(firms_of_user(user=request.user), key=lambda firm: firm.name.lower()),
        "max_bytes": forms_verify.MAX_BYTES,
    }
    status = 429 if refusal else 400 if form.errors else 200
    response = render(request, "signing/verify.html", context, status=status)
    if refusal:
        response.headers["Retry-After"] = str(RATE_WINDOW_SECONDS)  # at the latest: the window started earlier
    return response


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
