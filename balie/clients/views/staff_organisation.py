"""The firm's side of clients' changes of their data (ORG-3, FIRM-3): the change requests inbox,
review (approve or reject), the firm's change policy and an environment's history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.clients.forms_org import ChangePolicyForm, RejectForm
from balie.clients.models import Client
from balie.clients.organisation import (
    change_log_list,
    change_request_approve,
    change_request_list_for_staff,
    change_request_reject,
    change_request_rows,
    clients_with_own_change_policy,
    firm_change_policy_update,
    get_change_request_for_staff,
    history_rows,
)
from balie.clients.selectors import get_client_for_staff
from balie.firms.access import firm_admin_required, staff_required


@staff_required
@require_GET
def requests(request):
    """Pending change requests of the firm's environments, oldest first; ``?status=decided`` for the
    decided ones."""
    decided = request.GET.get("status") == "decided"
    page = Paginator(change_request_list_for_staff(staff=request.staff, decided=decided), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "clients/staff/organisation/requests.html", {"page": page, "decided": decided})


def _review(request, change_request, *, reject_form=None, errors=None, status=200):
    client = change_request.client
    context = {
        "change_request": change_request,
        "client": client,
        "rows": change_request_rows(change_request, client=client),
        "reject_form": reject_form or RejectForm(),
        "approve_errors": errors or [],
    }
    return render(request, "clients/staff/organisation/request.html", context, status=status)


@staff_required
@require_GET
def request_detail(request, change_request):
    """Field | current value | proposed value, with Approve and Reject while pending."""
    return _review(request, get_change_request_for_staff(staff=request.staff, request_public_id=change_request))


def _already_handled(request, change_request):
    messages.error(request, _("This change request has already been handled, perhaps by a colleague just now."))
    return redirect("organisation_staff:request", request=change_request.public_id)


def _error_texts(error: ValidationError) -> list[str]:
    """Field errors with the field's label, for a message above the table."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    texts = []
    for name, problems in error.message_dict.items():
        try:
            label = str(Client._meta.get_field(name).verbose_name)
        except Exception:
            label = ""
        texts.extend(f"{label.capitalize()}: {problem}" if label else problem for problem in problems)
    return texts


@staff_required
@require_POST
def approve(request, change_request):
    """Applies the proposal at once (validated again); decided once, whoever clicks first."""
    change_request = get_change_request_for_staff(staff=request.staff, request_public_id=change_request)
    try:
        change_request_approve(change_request=change_request, actor=request.user)
    except ValidationError as error:
        if getattr(error, "code", None) == "handled":
            return _already_handled(request, change_request)
        return _review(request, change_request, errors=_error_texts(error), status=400)
    messages.success(
        request,
        _("The change of %(client)s has been approved and applied; the client has been told.")
        % {"client": change_request.client.name},
    )
    return redirect("organisation_staff:requests")


@staff_required
@require_POST
def reject(request, change_request):
    """Rejects with a note for the client; nothing changes."""
    change_request = get_change_request_for_staff(staff=request.staff, request_public_id=change_request)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            change_request_reject(change_request=change_request, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            if getattr(error, "code", None) == "handled":
                return _already_handled(request, change_request)
            form.add_error("note", error)
        else:
            messages.success(
                request,
                _("The change of %(client)s has been rejected; the client has been told.")
                % {"client": change_request.client.name},
            )
            return redirect("organisation_staff:requests")
    return _review(request, change_request, reject_form=form, status=400)


@firm_admin_required
@require_http_methods(["GET", "POST"])
def policy(request):
    """The firm's change policy (FIRM-3); an environment may have its own (on its edit page)."""
    firm = request.staff.firm
    form = ChangePolicyForm(request.POST or None, initial={"change_policy": firm.change_policy})
    if request.method == "POST" and form.is_valid():
        firm_change_policy_update(firm=firm, actor=request.user, change_policy=form.cleaned_data["change_policy"])
        messages.success(request, _("The setting for changes of environment data has been saved."))
        return redirect("organisation_staff:policy")
    own = clients_with_own_change_policy(firm=firm)
    context = {"form": form, "firm": firm, "own_policy": own[:50], "own_policy_count": own.count()}
    return render(request, "clients/staff/organisation/policy.html", context, status=400 if form.errors else 200)


@staff_required
@require_GET
def history(request, client):
    """An environment's history of changes, for the firm."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    record(
        "staff.environment_viewed",
        firm=request.staff.firm,
        actor=request.user,
        actor_kind=ActorKind.STAFF,
        environment=client,
        obj=client,
        details={"page": "history"},
    )
    page = Paginator(change_log_list(client=client), 25).get_page(request.GET.get("page"))
    context = {"client": client, "page": page, "rows": history_rows(page.object_list, client=client)}
    return render(request, "clients/staff/organisation/history.html", context)
