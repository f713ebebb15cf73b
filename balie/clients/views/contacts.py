"""Contact persons and portal access, client side (ORG-2, ORG-4, ORG-5, BEY-4).

Everyone in the environment sees the contact persons; a Beheerder adds, edits and removes them
and gives or ends portal access; every member edits their own contact details. Giving access or
changing someone's role, flags or end date is confirmed with a step-up (ACC-7): the form is sent
once, the page then shows exactly what will change with the confirmation box, and the second
send confirms. The confirmation is bound to the environment, the contact and that exact access,
and when access is given, to the address the invitation goes to. Removing another Beheerder's
access (or their contact person) is confirmed the same way; the removal page shows the box.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.clients.access import client_required
from balie.clients.contact_email import (
    contact_login_email_change_request,
    delegated_refusal,
    email_change_object_key,
    login_of,
)
from balie.clients.contacts import (
    access_object_key,
    contact_access_remove,
    contact_add_refusal,
    contact_create,
    contact_delete,
    contact_invitation_resend,
    contact_list_for_client,
    contact_update,
    describe_access,
    get_contact_for_client,
    get_pending_invitation,
    invitations_without_contact,
    membership_of,
    normalise_email,
    pending_invitation_of,
    pending_invitation_revoke,
    removal_needs_confirmation,
    removal_object_key,
)
from balie.clients.forms_contacts import ContactForm, LoginEmailForm, OwnContactForm
from balie.clients.models import ChangeLogEntry, Membership
from balie.clients.roles import Action, can, role_required
from balie.core.actions import service_refusal
from balie.twostep.stepup import StepUp, register_action

PAGE_SIZE = 25
ACTION_GIVE = "member_access"
ACTION_CHANGE = "member_role_change"
ACTION_REMOVE = "member_access_remove"
ACTION_EMAIL = "member_email_change"
RATE_LIMIT_EMAIL = "contact_email_change"  # ACCOUNT_RATE_LIMITS, per requester
register_action(ACTION_GIVE, gettext_lazy("giving someone portal access"))
register_action(ACTION_CHANGE, gettext_lazy("changing someone's role or access"))
register_action(ACTION_REMOVE, gettext_lazy("removing an administrator's portal access"))
register_action(ACTION_EMAIL, gettext_lazy("changing someone's sign-in e-mail address"))


# -- Shared with the firm's side (views/staff_contacts.py) --------------------------------------------


def access_stepup(request, *, client, form, contact_key: str, firm, giving_needs_it: bool = True) -> StepUp | None:
    """The confirmation this save needs, or None: giving access (when ``giving_needs_it``) or
    changing the role, flags or end date of existing access. Giving access is bound to the
    address the invitation goes to as well: changing it between the two sends needs a new one."""
    if not form.is_bound or not form.is_valid() or not getattr(form, "access_changed", lambda: False)():
        return None
    giving = form.holder is None
    if giving and not giving_needs_it:
        return None
    email = form.cleaned_data.get("email", "") if giving else ""
    return StepUp(
        request,
        action=ACTION_GIVE if giving else ACTION_CHANGE,
        object_key=access_object_key(client=client, contact_key=contact_key, access=form.access(), email=email),
        firm=firm,
        allow_password=True,
    )


def removal_stepup(request, *, client, contact, remove: str, firm) -> StepUp | None:
    """The confirmation removing ``contact``'s access (``remove`` "access") or contact person
    ("contact") needs, or None: only for another Beheerder (see ``removal_needs_confirmation``)."""
    if not removal_needs_confirmation(contact=contact, actor=request.user):
        return None
    return StepUp(
        request,
        action=ACTION_REMOVE,
        object_key=removal_object_key(client=client, contact=contact, remove=remove),
        firm=firm,
        allow_password=True,
    )


def stepup_passed(request, stepup: StepUp | None) -> bool:
    """Whether this send may go ahead: no confirmation needed, or ``stepup`` confirmed now.

    The first send of a form that needs confirmation only shows the box (with what will change).
    A save refused after the confirmation (say, the address got access meanwhile) needs a new one:
    the confirmation checks run in their own durable transaction, so they cannot be rolled back.
    """
    if stepup is None:
        return True
    if "stepup_challenge" not in request.POST:
        return False
    return stepup.confirm() is not None


def save_confirmed(request, stepup: StepUp | None, save) -> bool:
    """Calls ``save()`` once ``stepup`` (if any) is confirmed; False while it is not (yet)."""
    if not stepup_passed(request, stepup):
        return False
    save()
    return True


def remove_confirmed(request, stepup: StepUp | None, remove) -> tuple[bool, object, str | None]:
    """The POST of a removal page: calls ``remove()`` once ``stepup`` (if any) is confirmed.
    Returns whether it ran, what it returned and the refusal's message (or None)."""
    if not stepup_passed(request, stepup):
        return False, None, None
    with service_refusal() as outcome:
        return True, remove(), None
    return False, None, outcome.text


def removal_status(error: str | None, stepup: StepUp | None) -> int:
    return 400 if error or (stepup is not None and stepup.error) else 200


def access_summary(form) -> dict | None:
    """What a confirmation is about, in words (ORG-5): who gets which access to what."""
    if not form.is_bound or not form.is_valid() or form.access() is None:
        return None
    access = form.access()
    giving = form.holder is None
    return {
        "giving": giving,
        "email": normalise_email(form.cleaned_data.get("email", "")) if giving else "",
        "name": f"{form.cleaned_data['first_name']} {form.cleaned_data['last_name']}",
        "role": dict(Membership.Role.choices).get(access.role, access.role),
        "may_handle_documents": access.may_handle_documents,
        "ends_on": access.ends_on,
    }


def form_status(form, stepup: StepUp | None) -> int:
    return 400 if form.errors or (stepup is not None and stepup.error) else 200


def login_email_change(request, *, client, contact, via: str, firm):
    """The work of the page where a Beheerder (or the firm) asks for a new sign-in address of
    ``contact``: confirmed with a step-up bound to the contact and the new address, then the link
    goes to that address. At most BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR requests an hour per
    requester. Returns (form, stepup, the address the link went to or None, why it is refused or
    None)."""
    membership = login_of(contact)
    if membership is None:
        raise Http404
    refusal = delegated_refusal(membership)
    form = LoginEmailForm(None if refusal else (request.POST or None))
    stepup = None
    if form.is_bound and form.is_valid():
        stepup = StepUp(
            request,
            action=ACTION_EMAIL,
            object_key=email_change_object_key(client=client, contact=contact, email=form.cleaned_data["email"]),
            firm=firm,
            allow_password=True,
        )
        if stepup_passed(request, stepup):
            if not ratelimit.consume(request, action=RATE_LIMIT_EMAIL, user=request.user):
                form.add_error(
                    None,
                    _("You have asked for too many address changes. Please try again in an hour."),
                )
                return form, stepup, None, None
            with service_refusal(form=form, field="email") as outcome:
                email = contact_login_email_change_request(
                    contact=contact, actor=request.user, via=via, email=form.cleaned_data["email"]
                )
            if outcome.ok:
                # The same whether or not the address is in use (see email_change_request).
                messages.success(
                    request,
                    _(
                        "We sent a link to %(email)s. The address changes when %(name)s opens it, within an hour,"
                        " and confirms."
                    )
                    % {"email": email, "name": contact.full_name},
                )
                return form, stepup, email, None
    return form, stepup, None, refusal


# -- Pages ----------------------------------------------------------------------------------------


@client_required
@require_GET
def contact_list(request):
    """The environment's contact persons with their portal access (ORG-2): 25 a page."""
    client = request.client
    manage = can(request.membership, Action.MANAGE_CONTACTS)
    page = Paginator(contact_list_for_client(client=client), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [describe_access(contact) for contact in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "manage": manage,
        "invitations": list(invitations_without_contact(client=client)) if manage else [],
        "add_refusal": contact_add_refusal(client=client) if manage and client.is_personal else None,
        "own_membership_id": request.membership.pk,
    }
    return render(request, "clients/contacts/list.html", context)


@client_required
@require_GET
def contact_detail(request, contact):
    """One contact person: details and portal access for every member; the actions for a Beheerder."""
    client = request.client
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    context = {
        "contact": contact,
        "row": describe_access(contact),
        "manage": can(request.membership, Action.MANAGE_CONTACTS),
        "own": contact.membership_id == request.membership.pk,
        "has_login": login_of(contact) is not None,
    }
    return render(request, "clients/contacts/detail.html", context)


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_http_methods(["GET", "POST"])
def contact_email(request, contact):
    """A Beheerder changes another contact person's sign-in address: through a link to the new
    address. Their own address is changed under My details."""
    client = request.client
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    if contact.membership_id == request.membership.pk:
        # One's own address: on the page of one's own account, confirmed with one's sign-in factors
        # (never with the firm's PIN letter).
        return redirect("twostep:email_change")
    form, stepup, sent, refusal = login_email_change(
        request, client=client, contact=contact, via=ChangeLogEntry.Via.DIRECT, firm=client.firm
    )
    if sent:
        return redirect("contacts:detail", client=client.public_id, contact=contact.public_id)
    context = {"form": form, "stepup": stepup, "contact": contact, "refusal": refusal}
    return render(request, "clients/contacts/email.html", context, status=form_status(form, stepup))


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_http_methods(["GET", "POST"])
def contact_add(request):
    """Adds a contact person, optionally with portal access (an invitation, ACC-1)."""
    client = request.client
    refusal = contact_add_refusal(client=client)
    if refusal:
        messages.error(request, refusal)
        return redirect("contacts:list", client=client.public_id)
    form = ContactForm(request.POST or None, client=client)
    stepup = access_stepup(request, client=client, form=form, contact_key="new", firm=client.firm)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            saved = save_confirmed(
                request,
                stepup,
                lambda: contact_create(
                    client=client,
                    actor=request.user,
                    via=ChangeLogEntry.Via.DIRECT,
                    details=form.details(),
                    access=form.access(),
                ),
            )
        if outcome.ok and saved:
            _added_message(request, form)
            return redirect("contacts:list", client=client.public_id)
    context = {"form": form, "stepup": stepup, "summary": stepup and access_summary(form), "contact": None}
    return render(request, "clients/contacts/form.html", context, status=form_status(form, stepup))


def _added_message(request, form) -> None:
    name = f"{form.cleaned_data['first_name']} {form.cleaned_data['last_name']}"
    if form.access() is not None:
        messages.success(
            request,
            _("%(name)s has been added; an invitation has been sent to %(email)s.")
            % {"name": name, "email": form.cleaned_data["email"]},
        )
    else:
        messages.success(request, _("%(name)s has been added.") % {"name": name})


@client_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact):
    """A Beheerder edits any contact person and their access; any member edits their own details."""
    client = request.client
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    manage = can(request.membership, Action.MANAGE_CONTACTS)
    if not manage and not (
        contact.membership_id == request.membership.pk and can(request.membership, Action.EDIT_OWN_CONTACT)
    ):
        raise PermissionDenied
    if manage:
        holder = membership_of(contact) or pending_invitation_of(contact)
        form = ContactForm(request.POST or None, client=client, contact=contact, holder=holder)
    else:
        form = OwnContactForm(request.POST or None, contact=contact)
    stepup = access_stepup(request, client=client, form=form, contact_key=str(contact.public_id), firm=client.firm)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            saved = save_confirmed(
                request,
                stepup,
                lambda: contact_update(
                    contact=contact,
                    actor=request.user,
                    via=ChangeLogEntry.Via.DIRECT,
                    details=form.details(),
                    access=form.access(),
                ),
            )
        if outcome.ok and saved:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": contact.full_name})
            return redirect("contacts:list", client=client.public_id)
    context = {
        "form": form,
        "stepup": stepup,
        "summary": stepup and access_summary(form),
        "contact": contact,
        "manage": manage,
    }
    return render(request, "clients/contacts/form.html", context, status=form_status(form, stepup))


def _confirm_page(request, contact, *, remove: str, service, done: str):
    """Asks before removing (removing another Beheerder is confirmed with a step-up). Someone who
    removes themselves leaves the environment, so they land on the start page."""
    client = request.client
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    own = contact.membership_id == request.membership.pk
    stepup = removal_stepup(request, client=client, contact=contact, remove=remove, firm=client.firm)
    error = None
    if request.method == "POST":
        ran, result, error = remove_confirmed(
            request,
            stepup,
            lambda: service(contact=contact, actor=request.user, via=ChangeLogEntry.Via.DIRECT),
        )
        if ran:
            left = result is not False  # contact_access_remove says False when there was no access
            if left:
                messages.success(request, done % {"name": contact.full_name})
            return redirect("/") if own and left else redirect("contacts:list", client=client.public_id)
    context = {
        "contact": contact,
        "access": describe_access(contact),
        "error": error,
        "remove": remove,
        "own": own,
        "stepup": stepup,
    }
    return render(request, "clients/contacts/confirm.html", context, status=removal_status(error, stepup))


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_http_methods(["GET", "POST"])
def access_remove(request, contact):
    """Ends a contact person's portal access (the contact person stays); asks first."""
    return _confirm_page(
        request,
        contact,
        remove="access",
        service=contact_access_remove,
        done=_("The portal access of %(name)s has been removed."),
    )


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_http_methods(["GET", "POST"])
def contact_remove(request, contact):
    """Removes a contact person, with their portal access; asks first."""
    return _confirm_page(
        request, contact, remove="contact", service=contact_delete, done=_("%(name)s has been removed.")
    )


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_POST
def invitation_resend(request, contact):
    client = request.client
    contact = get_contact_for_client(client=client, contact_public_id=contact)
    with service_refusal(request) as outcome:
        invitation = contact_invitation_resend(contact=contact, actor=request.user)
    if outcome.ok:
        messages.success(request, _("The invitation has been sent to %(email)s again.") % {"email": invitation.email})
    return redirect("contacts:list", client=client.public_id)


@client_required
@role_required(Action.MANAGE_CONTACTS)
@require_POST
def invitation_revoke(request, invitation):
    """Withdraws a pending invitation of the environment, also one made without a contact person."""
    client = request.client
    invitation = get_pending_invitation(client=client, invitation_public_id=invitation)
    if pending_invitation_revoke(invitation=invitation, actor=request.user, via=ChangeLogEntry.Via.DIRECT):
        messages.success(request, _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email})
    return redirect("contacts:list", client=client.public_id)
