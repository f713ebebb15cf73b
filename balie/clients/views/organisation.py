"""The environment's data for its members (ORG-2, ORG-3): view it, change it per the firm's
policy (a change request, or a confirmed direct change), withdraw a request, read the history."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.audit import actions as audit_actions
from balie.audit import hooks as audit_hooks
from balie.audit import selectors as audit_selectors
from balie.clients.access import client_required
from balie.clients.forms_org import OrganisationForm
from balie.clients.models import ChangePolicy
from balie.clients.organisation import (
    change_log_list,
    change_request_create,
    change_request_rows,
    change_request_withdraw,
    get_change_request_for_client,
    history_rows,
    last_decided_change_request,
    may_withdraw,
    organisation_change_direct,
    organisation_changes,
    pending_change_request,
)
from balie.clients.roles import Action, role_required
from balie.core.actions import service_refusal
from balie.twostep.stepup import StepUp, register_action

STEPUP_ACTION = "organisation_change"
register_action(STEPUP_ACTION, gettext_lazy("changing the data of this environment"))


def change_request_kwarg(view):
    """The URLs call the change request ``request``; a view's first argument is the HTTP request,
    so the view gets the change request's id as ``change_request``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        kwargs["change_request"] = kwargs.pop("request")
        return view(*args, **kwargs)

    return wrapper


def _pending_context(request, pending) -> dict:
    if pending is None:
        return {"pending": None}
    return {
        "pending": pending,
        "pending_rows": change_request_rows(pending),
        "may_withdraw": may_withdraw(membership=request.membership, change_request=pending),
    }


@client_required
@role_required(Action.VIEW_ORGANISATION)
@require_GET
def detail(request):
    """The environment's data; a pending change request and the last decision (every role)."""
    client = request.client
    context = {
        "client": client,
        "review": client.effective_change_policy == ChangePolicy.REVIEW,
        "last_decided": last_decided_change_request(client=client),
        **_pending_context(request, pending_change_request(client=client)),
    }
    return render(request, "clients/organisation/detail.html", context)


@client_required
@role_required(Action.CHANGE_ORGANISATION)
@require_http_methods(["GET", "POST"])
def edit(request):
    """Change the data: a request for the firm to review, or at once with confirmation (per policy)."""
    if request.client.effective_change_policy == ChangePolicy.DIRECT:
        return _edit_direct(request, request.client)
    return _edit_review(request, request.client)


def _edit_review(request, client):
    pending = pending_change_request(client=client)
    if pending is not None:
        if request.method == "POST":
            messages.error(
                request,
                _("A change request is already waiting for review. Withdraw it first to propose other changes."),
            )
            return redirect("organisation:edit", client=client.public_id)
        context = {"client": client, "review": True, **_pending_context(request, pending)}
        return render(request, "clients/organisation/edit.html", context)
    form = OrganisationForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            change_request_create(client=client, actor=request.user, values=form.values())
        except ValidationError as error:
            if getattr(error, "code", None) == "pending":
                messages.error(request, " ".join(error.messages))
                return redirect("organisation:edit", client=client.public_id)
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Your change request has been sent. The firm reviews it; "
                    "the new data shows here once the firm has approved it."
                ),
            )
            return redirect("organisation:detail", client=client.public_id)
    context = {"client": client, "review": True, "pending": None, "form": form}
    return render(request, "clients/organisation/edit.html", context, status=400 if form.errors else 200)


def _edit_direct(request, client):
    form = OrganisationForm(request.POST or None, client=client)
    stepup = StepUp(
        request,
        action=STEPUP_ACTION,
        object_key=f"client:{client.public_id}",
        firm=client.firm,
        allow_password=True,
    )
    if request.method == "POST" and form.is_valid():
        # "Nothing changed" before the confirmation, so that it is not spent for nothing.
        if not organisation_changes(client=client, values=form.values()):
            form.add_error(None, _("Nothing has changed: change at least one field."))
        elif stepup.confirm() is not None:
            with service_refusal(form=form) as outcome:
                organisation_change_direct(client=client, actor=request.user, values=form.values())
            if outcome.ok:
                messages.success(request, _("The data has been changed. Your firm has been told."))
                return redirect("organisation:detail", client=client.public_id)
    context = {"client": client, "review": False, "pending": None, "form": form, "stepup": stepup}
    status = 400 if form.errors or stepup.error else 200
    return render(request, "clients/organisation/edit.html", context, status=status)


@client_required
@require_POST
def withdraw(request, change_request):
    """The requester or a Beheerder withdraws a pending change request; others get 403."""
    change_request = get_change_request_for_client(client=request.client, request_public_id=change_request)
    if not may_withdraw(membership=request.membership, change_request=change_request):
        raise PermissionDenied
    with service_refusal(request, success=_("Your change request has been withdrawn; nothing has been changed.")):
        change_request_withdraw(change_request=change_request, actor=request.user)
    return redirect("organisation:detail", client=request.client.public_id)


@client_required
@role_required(Action.VIEW_HISTORY)
@require_GET
def history(request):
    """Who changed what and when, newest first (Beheerder and Medewerker+)."""
    client = request.client
    page = Paginator(change_log_list(client=client), 25).get_page(request.GET.get("page"))
    context = {"client": client, "page": page, "rows": history_rows(page.object_list, client=client)}
    return render(request, "clients/organisation/history.html", context)


@client_required
@role_required(Action.VIEW_VIEWERS)
@require_GET
def viewers(request):
    """Wie heeft mijn gegevens bekeken: which of the firm's staff opened which document, conversation
    or data of the environment, and when; newest first, by keyset (names, no addresses)."""
    client = request.client
    events = audit_selectors.viewed_by_firm(firm_id=client.firm_id, environment_public_id=client.public_id)
    page = audit_selectors.keyset_page(events, after=request.GET.get("na"))
    titles = audit_hooks.object_titles(firm_id=client.firm_id, events=page.events)
    rows = [
        {
            "event": event,
            "label": audit_actions.label(event.action),
            "title": titles.get((event.object_type, event.object_id), ""),
        }
        for event in page.events
    ]
    context = {"client": client, "rows": rows, "next_cursor": page.next_cursor, "first_page": "na" not in request.GET}
    return render(request, "clients/organisation/viewers.html", context)
