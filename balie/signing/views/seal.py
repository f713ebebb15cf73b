"""The firm's seal certificate (Settings › Seal certificate, BEY-1): what the firm's signed PDFs and
evidence are sealed with, its download, and replacing it with the firm's own certificate.

Only the firm's administrators see the page; the download is for all of the firm's staff. Both
only ever concern the caller's own firm: no firm is named in the URL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from balie.core.actions import service_refusal
from balie.core.limits import allows_large_body, upload_body_limit
from balie.firms.access import firm_admin_required, staff_required
from balie.signing import seals
from balie.signing.certificates import installation_wide, seal_certificate
from balie.signing.forms_verify import MAX_PKCS12_BYTES, SealUploadForm
from balie.signing.views.verify import certificate_response
from balie.twostep.stepup import StepUp, register_action

STEPUP_ACTION = "seal_replace"
register_action(STEPUP_ACTION, gettext_lazy("replacing the firm's seal certificate"))


def _stepup(request) -> StepUp:
    """The confirmation replacing the seal needs: a second factor (the password for someone
    without one), bound to this firm."""
    return StepUp(request, action=STEPUP_ACTION, object_key=f"firm:{request.staff.firm.public_id}", allow_password=True)


@allows_large_body(lambda request: upload_body_limit(per_file=MAX_PKCS12_BYTES, files=1))
@firm_admin_required
@require_http_methods(["GET", "POST"])
def seal(request):
    """The current seal certificate, whether signatures get a timestamp, and the upload of the
    firm's own certificate (confirmed with a second factor). With an installation-wide certificate
    there is nothing to upload."""
    firm = request.staff.firm
    fixed = installation_wide()
    form = stepup = None
    if not fixed:
        form = SealUploadForm(request.POST or None, request.FILES or None)
        stepup = _stepup(request)
    if request.method == "POST":
        if fixed:
            messages.error(
                request, _("This installation seals with one certificate for every firm: it cannot be changed here.")
            )
            return redirect("verify:seal")
        if form.is_valid() and stepup.confirm() is not None:
            with service_refusal(form=form, field="file") as outcome:
                seals.seal_upload(
                    firm=firm,
                    data=form.cleaned_data["data"],
                    password=form.cleaned_data["password"],
                    actor=request.user,
                )
            if outcome.ok:
                messages.success(request, _("The seal certificate has been replaced. Balie seals with it from now on."))
                return redirect("verify:seal")
    context = {
        "firm": firm,
        "certificate": seal_certificate(firm),
        "fixed": fixed,
        "timestamps": bool(settings.BALIE_TSA_URL),
        "form": form,
        "stepup": stepup,
    }
    failed = form is not None and (form.errors or stepup.error)
    return render(request, "signing/seal.html", context, status=400 if failed else 200)


@staff_required
@require_GET
def seal_download(request, form):
    """The firm's own seal certificate, for whoever should trust it (a PDF reader, a recipient)."""
    firm = request.staff.firm
    return certificate_response(seal_certificate(firm), firm=firm, form=form)
