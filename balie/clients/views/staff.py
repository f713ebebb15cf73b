from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.accounts.services import invitation_resend
from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.clients.contacts import contact_list_for_client, describe_access, invitations_without_contact
from balie.clients.forms import AppTileForm, ClientForm, SearchForm
from balie.clients.selectors import (
    app_tile_list,
    client_list_for_staff,
    get_app_tile,
    get_client_for_staff,
    get_pending_invitation_for_client,
    membership_list_for_client,
    relationship_managers_for_client,
)
from balie.clients.services import app_tile_create, app_tile_delete, client_create, client_update
from balie.clients.staff_page import section_context
from balie.core.actions import service_refusal
from balie.firms.access import staff_required
from balie.twostep.selectors_staff import twostep_status_for_users


@staff_required
@require_GET
def client_list(request):
    """The firm's environments, searchable and paginated (FIRM-2)."""
    form = SearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(client_list_for_staff(staff=request.staff, search=search), 25).get_page(request.GET.get("page"))
    template = "clients/staff/partials/_client_table.html" if request.htmx else "clients/staff/client_list.html"
    return render(request, template, {"form": form, "page": page, "search": search})


@staff_required
@require_http_methods(["GET", "POST"])
def client_new(request):
    form = ClientForm(request.POST or None, firm=request.staff.firm)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            client = client_create(firm=request.staff.firm, actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("Environment %(name)s has been created.") % {"name": client.name})
            return redirect("clients:staff_detail", client=client.public_id)
    return render(request, "clients/staff/client_new.html", {"form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def client_edit(request, client):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    form = ClientForm(request.POST or None, instance=client, firm=request.staff.firm)
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            client_update(client=client, actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": client.name})
            return redirect("clients:staff_detail", client=client.public_id)
    return render(request, "clients/staff/client_edit.html", {"form": form, "client": client})


def _detail_context(request, client, tile_form=None):
    members = list(membership_list_for_client(client=client))
    twostep = twostep_status_for_users(user_ids=[member.user_id for member in members], firm=request.staff.firm)
    for member in members:
        member.twostep = twostep[member.user_id]
    return {
        "client": client,
        "members": members,
        # Contact persons with their access (ORG-4); a busy environment's list is on the client side.
        "rows": [describe_access(contact) for contact in contact_list_for_client(client=client)],
        "invitations": invitations_without_contact(client=client),
        "managers": relationship_managers_for_client(client=client),
        # The open tasks and the dossiers, from the apps that own them (clients.staff_page).
        **section_context(staff=request.staff, client=client),
        "tiles": list(app_tile_list(client=client)),
        "tile_form": tile_form or AppTileForm(),
    }


@staff_required
@require_GET
def client_detail(request, client):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    record(
        "staff.environment_viewed",
        firm=request.staff.firm,
        actor=request.user,
        actor_kind=ActorKind.STAFF,
        environment=client,
        obj=client,
        details={"page": "environment"},
    )
    return render(request, "clients/staff/client_detail.html", _detail_context(request, client))


@staff_required
@require_POST
def client_invite(request, client):
    """Invites a person into the environment with a role and flags (FIRM-2, ACC-1): the older route
    into adding a contact person with portal access (``contacts_staff:add``), kept for its links."""
    from balie.clients.views.staff_contacts import add_contact

    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    data = request.POST.copy()
    data.setdefault("salutation", "neutral")
    data["give_access"] = "on"
    return add_contact(request, client, data)


@staff_required
@require_POST
def invitation_send_again(request, client, invitation):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    invitation = get_pending_invitation_for_client(client=client, invitation_public_id=invitation)
    invitation_resend(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation has been sent to %(email)s again.") % {"email": invitation.email})
    return redirect("clients:staff_detail", client=client.public_id)


@staff_required
@require_POST
def app_tile_add(request, client):
    """A tile to an online service on the environment's start page (APP-1)."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    form = AppTileForm(request.POST)
    if form.is_valid():
        with service_refusal(form=form, field="url") as outcome:
            tile = app_tile_create(client=client, actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("The tile “%(name)s” has been added.") % {"name": tile.name})
            return redirect(reverse("clients:staff_detail", args=[client.public_id]) + "#tiles")
    context = _detail_context(request, client, tile_form=form)
    return render(request, "clients/staff/client_detail.html", context, status=400)


@staff_required
@require_POST
def app_tile_remove(request, client, tile):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    tile = get_app_tile(client=client, tile_public_id=tile)
    app_tile_delete(tile=tile, actor=request.user)
    messages.success(request, _("The tile “%(name)s” has been removed.") % {"name": tile.name})
    return redirect(reverse("clients:staff_detail", args=[client.public_id]) + "#tiles")
