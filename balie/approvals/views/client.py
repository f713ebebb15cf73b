"""The client side of approvals (APR-2 .. APR-4): a request's page, Klaar om te verzenden and
Overzicht documenten.

Every view starts from ``request.client`` (``client_required``: a membership, else 404) and reads
requests through the selectors, which look only inside that environment. Members may look at a
request; only the people asked may act on it (others get 403 and nothing is recorded). Deciding
and sending are confirmed with the step-up box (ACC-7) bound to the exact version's SHA-256.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.approvals import selectors, sending
from balie.approvals.decisions import request_acknowledge, request_decide, request_why_not_decidable
from balie.approvals.forms import SEND_LATER, DecisionForm, SendForm
from balie.approvals.models import After, Decision, Kind, Request
from balie.approvals.states import Status
from balie.clients.access import client_required
from balie.core.actions import service_refusal
from balie.core.addresses import client_ip, user_agent
from balie.dossiers.models import TAX_RETURN_TYPES, DocumentType
from balie.twostep.stepup import StepUp, register_action

DECIDE = "approval_decide"
SEND = "approval_send"
register_action(DECIDE, gettext_lazy("your decision on a document"))
register_action(SEND, gettext_lazy("sending approved documents"))
PAGE_SIZE = 25


def decision_key(approval: Request, outcome: str) -> str:
    """The step-up object of a decision: this outcome on this request on this exact version (its
    SHA-256). A confirmation started for Akkoord does not confirm Niet akkoord, nor the reverse."""
    return f"request:{approval.public_id}:{approval.version.sha256}:{outcome}"


def send_key(client, approvals) -> str:
    """The step-up object of sending: these requests on these exact versions, in this environment."""
    items = ",".join(sorted(f"{each.public_id}:{each.version.sha256}" for each in approvals))
    return f"send:{client.public_id}:{hashlib.sha256(items.encode()).hexdigest()}"


def _stepup(request, *, action: str, object_key: str) -> StepUp:
    # The password counts only for people without any second factor (see StepUp).
    return StepUp(request, action=action, object_key=object_key, firm=request.client.firm, allow_password=True)


def _get(request, approval) -> Request:
    return selectors.get_request_for_user(user=request.user, client=request.client, public_id=approval)


def _back(approval: Request):
    return redirect("approvals:detail", client=approval.client.public_id, approval=approval.public_id)


def _ready_count(request) -> int:
    return selectors.ready_to_send_for_user(user=request.user, client=request.client).count()


def _detail(request, approval: Request, *, form=None, stepup=None, send_form=None, confirming="", status=200):
    """The request's page; ``confirming`` ("decide" or "send") shows the confirmation step."""
    user = request.user
    may_act = selectors.may_decide(approval=approval, user=user)
    decisions = list(approval.decisions.all())
    mine = selectors.user_decision(approval=approval, user=user)
    can_decide = may_act and approval.status == Status.OPEN and mine is None
    version = approval.version
    document = approval.document
    is_current = document.current_version_id == version.pk and not document.is_withdrawn
    can_send = may_act and approval.status == Status.APPROVED and approval.after != After.NOTHING and is_current
    if form is None:
        settles = can_decide and selectors.approval_would_settle(approval=approval, user=user)
        form = DecisionForm(approval=approval, settles=settles)
    context = {
        "approval": approval,
        "document": document,
        "version": version,
        "is_current": is_current,
        "is_pdf": version.content_type == "application/pdf",
        "asked": selectors.asked_users(approval=approval),
        "decisions": decisions,
        "mine": mine,
        "may_act": may_act,
        "can_decide": can_decide and approval.kind == Kind.APPROVE,
        "can_acknowledge": can_decide and approval.kind == Kind.REVIEW,
        "can_send": can_send,
        "settled": selectors.settling_decision(approval=approval) if approval.settled_by_id else None,
        "form": form,
        "send_form": send_form or SendForm(),
        "stepup": stepup,
        "confirming": confirming,
        "replacement": selectors.replacement_of(approval=approval),
    }
    return render(request, "approvals/detail.html", context, status=status)


@client_required
@require_GET
def detail(request, approval):
    """A request: the document's preview and details, who was asked, what they decided, and for
    someone asked Akkoord / Niet akkoord (then Bevestigen), or sending after the approval. A sign
    request has its own page (balie/signing)."""
    approval = _get(request, approval)
    if approval.kind == Kind.SIGN:
        return redirect("signing:detail", client=approval.client.public_id, approval=approval.public_id)
    return _detail(request, approval)


@client_required
@require_POST
def decide(request, approval):
    """Akkoord or Niet akkoord: the first send validates and shows the confirmation step (with the
    choice to send now or later after an approval); the second, with the step-up code, decides."""
    approval = _get(request, approval)
    if not selectors.may_decide(approval=approval, user=request.user):
        raise PermissionDenied
    refusal = request_why_not_decidable(approval=approval, user=request.user)
    if refusal is None and approval.kind != Kind.APPROVE:
        refusal = _("This document is to review, not to approve.")
    if refusal:
        messages.error(request, refusal)
        return _back(approval)
    settles = selectors.approval_would_settle(approval=approval, user=request.user)
    form = DecisionForm(request.POST, approval=approval, settles=settles)
    if not form.is_valid():
        return _detail(request, approval, form=form, status=400)
    data = form.cleaned_data
    stepup = _stepup(request, action=DECIDE, object_key=decision_key(approval, data["outcome"]))
    if "stepup_challenge" not in request.POST:
        return _detail(request, approval, form=form, stepup=stepup, confirming="decide")
    confirmation = stepup.confirm()  # outside any transaction: a used code stays used
    if confirmation is None:
        if Decision.objects.filter(request=approval, user=request.user).exists():
            messages.info(request, _("Your decision has already been recorded."))  # a second click
            return _back(approval)
        return _detail(request, approval, form=form, stepup=stepup, confirming="decide", status=400)
    with service_refusal(request) as outcome:
        request_decide(
            approval=approval,
            user=request.user,
            outcome=data["outcome"],
            comment=data["comment"],
            confirmation=confirmation,
            ip_address=client_ip(request),
            user_agent=user_agent(request),
        )
    if not outcome.ok:
        return _back(approval)
    if approval.status == Status.OPEN:  # everyone's approval is needed: recorded, the others still decide
        messages.success(
            request, _("Your approval has been recorded. The request is settled once everyone asked has approved.")
        )
        return _back(approval)
    # The form offers sending after an approval that settles it only; the decision stands if sending fails.
    if data["send"] and not _send(request, approval, later=data["send"] == SEND_LATER):
        return _back(approval)
    messages.success(request, _("The document has been processed successfully"))
    if data["send"] == SEND_LATER:
        return redirect("approvals:ready", client=request.client.public_id)
    return _back(approval)


def _send(request, approval: Request, *, later: bool) -> bool:
    with service_refusal(request) as outcome:
        sending.request_send(approvals=[approval], actor=request.user, later=later)
    return outcome.ok


@client_required
@require_POST
def acknowledge(request, approval):
    """Gezien: a draft to review has been looked at; its task leaves the list."""
    approval = _get(request, approval)
    if not selectors.may_decide(approval=approval, user=request.user):
        raise PermissionDenied
    with service_refusal(request, success=_("The document has been processed successfully")):
        request_acknowledge(
            approval=approval, user=request.user, ip_address=client_ip(request), user_agent=user_agent(request)
        )
    return _back(approval)


@client_required
@require_POST
def send(request, approval):
    """An approved request not sent yet: later verzenden at once; direct verzenden after the
    confirmation step."""
    approval = _get(request, approval)
    if not selectors.may_decide(approval=approval, user=request.user):
        raise PermissionDenied
    form = SendForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, send_form=form, status=400)
    if form.cleaned_data["send"] == SEND_LATER:
        if _send(request, approval, later=True):
            messages.success(request, _("The document is ready to send, under Ready to send."))
            return redirect("approvals:ready", client=request.client.public_id)
        return _back(approval)
    stepup = _stepup(request, action=SEND, object_key=send_key(request.client, [approval]))
    if "stepup_challenge" not in request.POST:
        return _detail(request, approval, send_form=form, stepup=stepup, confirming="send")
    if stepup.confirm() is None:
        return _detail(request, approval, send_form=form, stepup=stepup, confirming="send", status=400)
    if _send(request, approval, later=False):
        messages.success(request, _("The document has been processed successfully"))
    return _back(approval)


@client_required
@require_http_methods(["GET", "POST"])
def ready(request):
    """Klaar om te verzenden (APR-3): the approved documents gathered to send later, sent as one
    batch with one confirmation; the page says which did not go, and why."""
    client = request.client
    items = list(selectors.ready_to_send_for_user(user=request.user, client=client))
    context = {"items": items, "ready_count": len(items), "chosen": [], "stepup": None, "error": ""}
    if request.method == "GET":
        return render(request, "approvals/ready.html", context)
    chosen = selectors.requests_chosen_by_user(
        user=request.user, client=client, public_ids=request.POST.getlist("approval")
    )
    if not chosen:
        context["error"] = _("Choose at least one document to send.")
        return render(request, "approvals/ready.html", context, status=400)
    stepup = _stepup(request, action=SEND, object_key=send_key(client, chosen))
    context.update(chosen=chosen, stepup=stepup)
    if "stepup_challenge" not in request.POST:
        return render(request, "approvals/ready.html", context)
    confirmation = stepup.confirm()
    if confirmation is None:
        return render(request, "approvals/ready.html", context, status=400)
    result = sending.requests_send_batch(approvals=chosen, actor=request.user, confirmation=confirmation)
    if result.sent:
        messages.success(
            request,
            _("The document has been processed successfully")
            if len(result.sent) == 1
            else _("%(count)d documents have been sent.") % {"count": len(result.sent)},
        )
    for approval, reason in result.skipped:
        messages.warning(
            request, _("%(title)s was not sent: %(reason)s") % {"title": approval.document.title, "reason": reason}
        )
    return redirect("approvals:ready", client=client.public_id)


def _year_or_none(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 1000 <= year <= 9999 else None


# What a firm without tax returns (a notary's office) never has: its clients do not see them offered.
FILING_STATUSES = frozenset({Status.READY_TO_SEND, Status.SUBMITTED, Status.ACCEPTED, Status.FAILED})


@client_required
@require_GET
def history(request):
    """Overzicht documenten (APR-4): every request of the environment with its status and decisions,
    filtered on status, year and type (all by default), paginated."""
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    doc_type = request.GET.get("type", "")
    doc_type = doc_type if doc_type in DocumentType.values else ""
    year = _year_or_none(request.GET.get("year"))
    requests = selectors.history_for_user(
        user=request.user, client=request.client, status=status, year=year, doc_type=doc_type
    )
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    files = request.client.firm.uses_tax_filing  # else no filing statuses or tax returns in the filters
    context = {
        "page": page,
        "statuses": [choice for choice in Status.choices if files or choice[0] not in FILING_STATUSES],
        "status": status,
        "doc_types": [choice for choice in DocumentType.choices if files or choice[0] not in TAX_RETURN_TYPES],
        "doc_type": doc_type,
        "years": selectors.history_years(user=request.user, client=request.client),
        "year": year,
        "filtered": bool(status or doc_type or year),
        "ready_count": _ready_count(request),
        "approvable_count": selectors.approvable_for_user(user=request.user, client=request.client).count(),
        # Asked to sign; whose turn it is, the signing page says.
        "to_sign_count": selectors.open_for_user(user=request.user, client=request.client)
        .filter(kind=Kind.SIGN)
        .count(),
        "query": _query(status=status, doc_type=doc_type, year=year),
    }
    return render(request, "approvals/history.html", context)


def _query(**values) -> str:
    """The filters as a query string for the pagination links."""
    from urllib.parse import urlencode

    names = {"status": "status", "doc_type": "type", "year": "year"}
    return urlencode({names[key]: value for key, value in values.items() if value})
