"""Contact persons and portal access, the firm's side: the same services as the client side.

Staff of the environment's firm add, edit and remove contact persons and give or end access; the
history records these as changes by the firm. Changing the role, flags or end date of existing
access, and removing a Beheerder's access or contact person, is confirmed with the staff member's
own step-up; giving access is the firm's everyday invitation (ACC-1) and the person still has to
accept it. Pending invitations (also older ones without a contact person) can be withdrawn.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.clients.contact_email import login_of
from balie.clients.contacts import (
    contact_access_remove,
    contact_add_refusal,
    contact_create,
    contact_delete,
    contact_update,
    describe_access,
    get_contact_for_client,
    get_pending_invitation,
    membership_of,
    pending_invitation_of,
    pending_invitation_revoke,
)
from balie.clients.forms_contacts import ContactForm
from balie.clients.models import ChangeLogEntry
from balie.clients.selectors import get_client_for_staff
from balie.clients.views.contacts import (
    access_stepup,
    access_summary,
    form_status,
    login_email_change,
    removal_status,
    removal_stepup,
    remove_confirmed,
    save_confirmed,
)
from balie.core.actions import service_refusal
from balie.firms.access import staff_required

VIA = ChangeLogEntry.Via.FIRM


def _back(client):
    return redirect(reverse("clients:staff_detail", args=[client.public_id]) + "#contacts")


def add_contact(request, client, data=None):
    """The add form's work, also for the older "invite a person" route (``clients:staff_invite``)."""
    form = ContactForm(data, client=client)
    if data is not None and form.is_valid():
        with service_refusal(form=form) as outcome:
            contact_create(client=client, actor=request.user, via=VIA, details=form.details(), access=form.access())
        if outcome.ok:
            if form.access() is not None:
                messages.success(
                    request, _("An invitation has been sent to %(email)s.") % {"email": form.cleaned_data["email"]}
                )
            else:
                name = f"{form.cleaned_data['first_name']} {form.cleaned_data['last_name']}"
                messages.success(request, _("%(name)s has been added.") % {"name": name})
            return _back(client)
    context = {"client": client, "form": form, "stepup": None, "contact": None, "manage": True}
    return render(request, "clients/staff/contacts/form.html", context, status=form_status(form, None))


@staff_required
@require_http_methods(["GET", "POST"])
def contact_add(request, client):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    refusal = contact_add_refusal(client=client)
    if refusal:
        messages.error(request, refusal)
        return _back(client)
    return add_contact(request, client, request.POST if request.method == "POST" else None)


@staff_required
@require_GET
def contact_detail(request, client, contact):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    context = {
        "client": client,
        "contact": contact,
        "row": describe_access(contact),
        "has_login": login_of(contact) is not None,
    }
    return render(request, "clients/staff/contacts/detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def contact_email(request, client, contact):
    """The firm changes a contact person's sign-in address: through a link to the new address."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    form, stepup, sent, refusal = login_email_change(request, client=client, contact=contact, via=VIA, firm=None)
    if sent:
        return redirect("contacts_staff:detail", client=client.public_id, contact=contact.public_id)
    context = {"client": client, "form": form, "stepup": stepup, "contact": contact, "refusal": refusal}
    return render(request, "clients/staff/contacts/email.html", context, status=form_status(form, stepup))


@staff_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, client, contact):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    holder = membership_of(contact) or pending_invitation_of(contact)
    form = ContactForm(request.POST or None, client=client, contact=contact, holder=holder)
    stepup = access_stepup(
        request, client=client, form=form, contact_key=str(contact.public_id), firm=None, giving_needs_it=False
    )
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            saved = save_confirmed(
                request,
                stepup,
                lambda: contact_update(
                    contact=contact, actor=request.user, via=VIA, details=form.details(), access=form.access()
                ),
            )
        if outcome.ok and saved:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": contact.full_name})
            return _back(client)
    context = {
        "client": client,
        "form": form,
        "stepup": stepup,
        "summary": stepup and access_summary(form),
        "contact": contact,
        "manage": True,
    }
    return render(request, "clients/staff/contacts/form.html", context, status=form_status(form, stepup))


def _confirm_page(request, client, contact, *, remove: str, service, done: str):
    """Asks before removing; removing a Beheerder is confirmed with the staff member's own step-up."""
    stepup = removal_stepup(request, client=client, contact=contact, remove=remove, firm=None)
    error = None
    if request.method == "POST":
        ran, _result, error = remove_confirmed(
            request, stepup, lambda: service(contact=contact, actor=request.user, via=VIA)
        )
        if ran:
            messages.success(request, done % {"name": contact.full_name})
            return _back(client)
    context = {
        "client": client,
        "contact": contact,
        "access": describe_access(contact),
        "error": error,
        "remove": remove,
        "stepup": stepup,
    }
    return render(request, "clients/staff/contacts/confirm.html", context, status=removal_status(error, stepup))


@staff_required
@require_http_methods(["GET", "POST"])
def access_remove(request, client, contact):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    return _confirm_page(
        request,
        client,
        contact,
        remove="access",
        service=contact_access_remove,
        done=_("The portal access of %(name)s has been removed."),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def contact_remove(request, client, contact):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    return _confirm_page(
        request, client, contact, remove="contact", service=contact_delete, done=_("%(name)s has been removed.")
    )


@staff_required
@require_POST
def invitation_revoke(request, client, invitation):
    """Withdraws a pending invitation of the environment, also one made without a contact person."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    invitation = get_pending_invitation(client=client, invitation_public_id=invitation)
    if pending_invitation_revoke(invitation=invitation, actor=request.user, via=VIA):
        messages.success(request, _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email})
    return _back(client)
