"""The firm's side of two-step verification: PIN letters, resets after a lost phone, the policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from balie.core.actions import service_refusal
from balie.firms.access import firm_admin_required, staff_required
from balie.twostep import enrolment
from balie.twostep.forms import PolicyForm, ResetForm
from balie.twostep.hooks import members
from balie.twostep.letters import pin_letter_pdf
from balie.twostep.selectors_staff import twostep_status_for_users
from balie.twostep.services import firm_twostep_policy_update


@staff_required
@require_POST
def pin_letter(request, client, person):
    """A new PIN activation letter for a member of the environment, as a PDF to print (ACC-5).

    Earlier letters not yet used stop working. The PIN exists only in this response.
    """
    client = members().client_for_staff(staff=request.staff, client_public_id=client)
    member = members().member_for_staff(client=client, person_public_id=person).user
    letter, pin = enrolment.pin_letter_create(user=member, firm=request.staff.firm, created_by=request.user)
    pdf = pin_letter_pdf(letter, pin, client=client)
    name = slugify(member.last_name or member.get_full_name() or "persoon") or "persoon"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="activatiebrief-{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def factors_reset(request, client, person):
    """Removes a member's second factors after a lost phone, once staff checked who they are."""
    client = members().client_for_staff(staff=request.staff, client_public_id=client)
    membership = members().member_for_staff(client=client, person_public_id=person)
    member = membership.user
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form, field="note") as outcome:
            enrolment.factors_reset(
                user=member, firm=request.staff.firm, reset_by=request.user, note=form.cleaned_data["note"]
            )
        if outcome.ok:
            messages.success(
                request,
                _("The two-step verification of %(name)s has been reset. They have been told by e-mail.")
                % {"name": member.get_full_name() or member.email},
            )
            return redirect("clients:staff_detail", client=client.public_id)
    status = twostep_status_for_users(user_ids=[member.pk], firm=request.staff.firm)[member.pk]
    context = {"client": client, "membership": membership, "member": member, "status": status, "form": form}
    return render(request, "twostep/staff/factors_reset.html", context, status=400 if form.errors else 200)


@firm_admin_required
@require_http_methods(["GET", "POST"])
def policy(request):
    """The firm's two-step verification policy (FIRM-3), for its administrators."""
    firm = request.staff.firm
    initial = {
        "twostep_required_for_clients": firm.twostep_required_for_clients,
        "twostep_required_for_staff": firm.twostep_required_for_staff,
        "stepup_factors": list(firm.stepup_factors or []),
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            firm_twostep_policy_update(firm=firm, actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("The two-step verification settings have been saved."))
            return redirect("twostep_staff:policy")
    status = 400 if form.errors else 200
    return render(request, "twostep/staff/policy.html", {"form": form, "firm": firm}, status=status)
