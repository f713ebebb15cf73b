from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from balie.core.actions import service_refusal
from balie.core.colours import brand_palette
from balie.firms.access import firm_admin_required, staff_required
from balie.firms.forms import ContactableForm
from balie.firms.images import image_response
from balie.firms.models import Firm, StaffMember
from balie.firms.selectors import staff_list_for_firm
from balie.firms.services import staff_contactable_update


@require_GET
@cache_control(max_age=300, public=True)
def branding_css(request, firm):
    """The firm's colours as CSS variables: a stylesheet, so the CSP needs no inline styles."""
    colour = Firm.objects.filter(public_id=firm).values_list("primary_colour", flat=True).first()
    if colour is None:
        raise Http404
    # The firm's colour and the readable text colours derived from it (WCAG contrast, balie.core.colours).
    variables = " ".join(f"--{name}: {value};" for name, value in brand_palette(colour).items())
    css = f":root {{ {variables} }}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    return response


@require_GET
@cache_control(max_age=300, public=True)
def logo(request, firm):
    """The firm's logo: public, like its colours (pages before sign-in and e-mails show it)."""
    found = Firm.objects.filter(public_id=firm).first()
    if found is None:
        raise Http404
    return image_response(found.logo)


@firm_admin_required
@require_http_methods(["GET", "POST"])
def staff_settings(request):
    """The firm's staff, and whom of them clients can choose when they send a message (MSG-1);
    relationship managers can always be written to by their own environments."""
    firm = request.staff.firm
    members = list(staff_list_for_firm(firm=firm))
    initial = {"contactable": [str(member.user.public_id) for member in members if member.contactable]}
    data = request.POST if request.method == "POST" else None  # nobody ticked posts no field at all
    form = ContactableForm(data, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            staff_contactable_update(firm=firm, actor=request.user, contactable=form.chosen_ids())
        if outcome.ok:
            messages.success(request, _("Who clients can send a message to has been saved."))
            return redirect("firms:staff_settings")
    chosen = set(form["contactable"].value() or [])
    rows = [
        {"member": member, "key": str(member.user.public_id), "checked": str(member.user.public_id) in chosen}
        for member in members
    ]
    context = {"firm": firm, "form": form, "rows": rows}
    return render(request, "firms/staff_settings.html", context, status=400 if form.errors else 200)


@staff_required
@require_GET
def staff_photo(request, user):
    """A colleague's photo (shown beside their name on the firm's pages); 404 for anyone outside the
    staff member's own firm, and when no photo is set."""
    colleague = StaffMember.objects.filter(firm_id=request.staff.firm_id, user__public_id=user).first()
    if colleague is None:
        raise Http404
    return image_response(colleague.photo)
