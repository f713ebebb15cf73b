"""The firm's side of approvals (issue 7 point 4, APR-4, APR-7): the list of requests, one request
with its evidence, withdrawing, retrying a failed filing, a decision given outside the portal, the
approval certificate, and the firm's default flows per document type.

Every request is reached through ``selectors.get_request_for_staff`` (a request of the staff
member's own firm, else 404). The certificate for members of the environment is served here too,
through ``selectors.get_request_for_user`` under ``client_required``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.approvals import kernel, selectors, services
from balie.approvals.certificate import CLIENT, FULL, approval_certificate_pdf, factor_label
from balie.approvals.decisions import decision_record_outside
from balie.approvals.flow_settings import firm_flows_update
from balie.approvals.flows import default_flow, flow_for
from balie.approvals.forms_staff import (
    FlowForm,
    OutsideDecisionForm,
    ReceiverForm,
    ReconcileForm,
    VocabularyForm,
    request_settings_form,
)
from balie.approvals.models import Decision, Kind, Request, Submission
from balie.approvals.receivers import receiver_for_firm, receiver_generate_secret, receiver_update
from balie.approvals.states import Status
from balie.clients.access import client_required
from balie.clients.selectors import get_client_for_staff
from balie.core.actions import service_refusal
from balie.dossiers.models import DocumentType
from balie.dossiers.views.client import DOWNLOAD_CSP
from balie.firms.access import firm_admin_required, staff_required
from balie.firms.services import firm_tax_filing_update

PAGE_SIZE = 25
# The list's filter: its value in the URL, the statuses it shows, its label.
FILTERS = {
    "open": (Status.OPEN, Status.WAITING),
    "rejected": (Status.REJECTED,),
    "failed": (Status.FAILED,),
    "ready": (Status.READY_TO_SEND,),
    "all": (),
}


def _filter_labels() -> list[tuple[str, str]]:
    return [
        ("all", _("All")),
        ("open", _("Open")),
        ("rejected", pgettext("approval status", "Rejected")),
        ("failed", _("Submission failed")),
        ("ready", _("Ready to send")),
    ]


# -- reading helpers -------------------------------------------------------------------------------


def _timeline(approval: Request, decisions, submissions) -> list[dict]:
    """What happened to the request, oldest first: asked, decisions, filings, its current status."""
    events = [{"at": approval.created_at, "what": _("Asked"), "who": approval.created_by}]
    if approval.replaces_id:
        events[0]["detail"] = _("Replaces the request on an earlier version.")
    for decision in decisions:
        events.append(
            {
                "at": decision.decided_at,
                "what": decision.get_outcome_display(),
                "who": decision.user,
                "detail": _("Given outside the portal") if decision.recorded_by_id else "",
            }
        )
    for submission in submissions:
        events.append(
            {
                "at": submission.created_at,
                "what": _("Sent to %(receiver)s") % {"receiver": submission.get_connector_display()},
                "who": submission.submitted_by,
                "detail": submission.get_state_display(),
            }
        )
        if submission.finished_at:
            events.append(
                {"at": submission.finished_at, "what": submission.get_state_display(), "detail": submission.reference}
            )
    events.append(
        {
            "at": approval.status_changed_at,
            "what": approval.get_status_display(),
            "who": approval.settled_by,
            "now": True,
        }
    )
    return sorted(events, key=lambda event: event["at"])


def _detail(request, approval: Request):
    decisions = list(approval.decisions.all())  # prefetched by the selector, oldest first
    for decision in decisions:
        decision.factor_label = factor_label(decision.factor)
    submissions = list(approval.submissions.select_related("submitted_by").order_by("created_at", "pk"))
    decided = {decision.user_id for decision in decisions}
    asked = [{"user": user, "decided": user.pk in decided} for user in selectors.asked_users(approval=approval)]
    document = approval.document
    rejection = next((d for d in decisions if d.outcome == Decision.Outcome.REJECTED), None)
    context = {
        "approval": approval,
        "client": approval.client,
        "document": document,
        "version": approval.version,
        # A sign request's own signed PDF, now the current version, is no newer version to decide on.
        "newer_version": document.current_version_id not in (None, approval.version_id)
        and not (
            approval.kind == Kind.SIGN
            and hasattr(approval, "signed_file")
            and approval.signed_file.version_id == document.current_version_id
        ),
        "decisions": decisions,
        "submissions": submissions,
        "asked": asked,
        "rejection": rejection,
        "timeline": _timeline(approval, decisions, submissions),
        "replaced_by": _replaced_by(approval),
        "may_withdraw": services.is_withdrawable(approval),  # approved but not sent yet included
        "may_replace": services.is_replaceable(approval),
        "may_retry": approval.status == Status.FAILED,
        "unknown_filing": any(each.state == Submission.State.UNKNOWN for each in submissions),
        "reconcile_form": ReconcileForm(),
        "may_record": approval.status == Status.OPEN
        and approval.kind != Kind.SIGN  # a signature is given in Balie only
        and any(not person["decided"] for person in asked),
    }
    context.update(kernel.staff_context(request, approval))  # a sign request: its signers and seals
    return render(request, "approvals/staff/detail.html", context)


def _replaced_by(approval: Request) -> Request | None:
    try:
        return approval.replaced_by  # the request on the new version, when a new version restarted it
    except Request.DoesNotExist:
        return None


def _get(request, approval) -> Request:
    return selectors.get_request_for_staff(staff=request.staff, public_id=approval)


def _back(approval: Request):
    return redirect("approvals_staff:detail", approval=approval.public_id)


# -- the list and one request ---------------------------------------------------------------------


@staff_required
@require_GET
def request_list(request):
    """The firm's requests; rejected ones (not yet followed by a new version) and failed filings first,
    with their reason. ``?status=`` open, rejected, failed, ready or all (the default)."""
    chosen = request.GET.get("status", "all")
    if chosen not in FILTERS:
        chosen = "all"
    followed_up = Request.objects.filter(replaces=OuterRef("pk"))
    requests = kernel.annotate_staff_list(selectors.request_list_for_staff(staff=request.staff))
    if FILTERS[chosen]:
        requests = requests.filter(status__in=FILTERS[chosen])
    requests = (
        requests.annotate(followed_up=Exists(followed_up))
        .annotate(
            attention=Case(
                When(Q(status=Status.FAILED) | Q(status=Status.REJECTED, followed_up=False), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .prefetch_related(
            Prefetch(
                "submissions", queryset=Submission.objects.order_by("-created_at", "-pk"), to_attr="submission_list"
            )
        )
        .order_by("attention", "-status_changed_at", "-pk")
    )
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    for approval in page.object_list:  # decisions are prefetched by the selector
        decisions = list(approval.decisions.all())
        approval.rejection = next((d for d in decisions if d.outcome == Decision.Outcome.REJECTED), None)
        approval.decision_list = decisions
        approval.last_submission = approval.submission_list[0] if approval.submission_list else None
    context = {"page": page, "chosen": chosen, "filters": _filter_labels()}
    return render(request, "approvals/staff/list.html", context)


@staff_required
@require_GET
def request_detail(request, approval):
    """Document, version and hash, status and its history, who was asked, who decided with the evidence."""
    return _detail(request, _get(request, approval))


@staff_required
@require_POST
def withdraw(request, approval):
    """Withdraws the request: the client's tasks about it close; decisions stay on record."""
    approval = _get(request, approval)
    with service_refusal(
        request, first_only=True, success=_("The request has been withdrawn; the client's tasks about it are closed.")
    ):
        services.request_withdraw(approval=approval, actor=request.user)
    return _back(approval)


@staff_required
@require_POST
def retry(request, approval):
    """Files a request whose filing failed again, as a new submission with a new idempotency key and
    a new event id (the failed one stays on record). A receiver that may have processed a failed
    attempt should deduplicate on the request id in ``data``."""
    from balie.approvals import filing

    approval = _get(request, approval)
    if approval.status != Status.FAILED:
        messages.error(request, _("Only a failed filing can be tried again."))
        return _back(approval)
    with service_refusal(request, first_only=True, success=_("The filing is being tried again.")):
        filing.filing_retry(approval=approval, actor=request.user)
    return _back(approval)


@staff_required
@require_POST
def reconcile(request, approval):
    """Settles a filing whose outcome nobody could know, after the firm checked with the receiver:
    received (completed) or not (failed, and then it can be tried again)."""
    from balie.approvals import filing

    approval = _get(request, approval)
    form = ReconcileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the receiver got the filing."))
        return _back(approval)
    with service_refusal(request, first_only=True, success=_("The filing has been settled.")):
        filing.filing_reconcile(
            approval=approval,
            actor=request.user,
            received=form.cleaned_data["received"],
            note=form.cleaned_data["note"],
        )
    return _back(approval)


@staff_required
@require_http_methods(["GET", "POST"])
def record(request, approval):
    """A decision the client gave outside the portal (on paper, by phone), with how it was given."""
    approval = _get(request, approval)
    if approval.status != Status.OPEN:
        messages.error(
            request,
            _("This request is %(status)s: no decision can be recorded.")
            % {"status": approval.get_status_display().lower()},
        )
        return _back(approval)
    decided = set(approval.decisions.values_list("user_id", flat=True))
    people = [user for user in selectors.asked_users(approval=approval) if user.pk not in decided]
    form = OutsideDecisionForm(request.POST or None, people=people, kind=approval.kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_refusal(form=form, as_text=True) as outcome:
            decision_record_outside(
                approval=approval,
                user=form.chosen_person,
                outcome=data["outcome"],
                comment=data["comment"],
                note=data["note"],
                recorded_by=request.user,
            )
        if outcome.ok:
            messages.success(request, _("The decision has been recorded, marked as given outside the portal."))
            return _back(approval)
    context = {"approval": approval, "client": approval.client, "document": approval.document, "form": form}
    return render(request, "approvals/staff/record.html", context, status=400 if form.errors else 200)


# -- the certificate (APR-7) ----------------------------------------------------------------------


def _certificate_response(approval: Request, *, evidence: str) -> HttpResponse:
    name = slugify(approval.document.title)[:60] or "document"
    response = HttpResponse(approval_certificate_pdf(approval, evidence=evidence), content_type="application/pdf")
    response.headers["Content-Disposition"] = content_disposition_header(
        True, f"accordering-{name}-v{approval.version.number}.pdf"
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_GET
def certificate(request, approval):
    """The approval certificate (PDF) for the firm, with all the evidence (IP addresses, user agents)."""
    return _certificate_response(_get(request, approval), evidence=FULL)


@client_required
@require_GET
def client_certificate(request, approval):
    """The approval certificate (PDF) for a member of the environment who may see the request: the
    client's copy, without the deciders' IP addresses and user agents (the firm keeps those)."""
    approval = selectors.get_request_for_user(user=request.user, client=request.client, public_id=approval)
    return _certificate_response(approval, evidence=CLIENT)


# -- publishing: the request settings for a document type -----------------------------------------


@staff_required
@require_GET
def flow_defaults(request):
    """The request settings for the document type (or the kind of request) just chosen (htmx, from
    the publish forms)."""
    client = None
    if request.GET.get("client"):
        client = get_client_for_staff(staff=request.staff, client_public_id=request.GET["client"])
    form = request_settings_form(
        staff=request.staff,
        client=client,
        doc_type=request.GET.get("doc_type", ""),
        bulk="bulk" in request.GET,
        request_kind=request.GET.get("request_kind"),  # the kind just chosen, when it was
    )
    return render(request, "approvals/staff/partials/_request_settings.html", {"request_form": form})


# -- the firm's flows (APR-1, BEY-2) --------------------------------------------------------------


@firm_admin_required
@require_http_methods(["GET", "POST"])
def flows(request):
    """Per document type the flow a published document follows by default; Balie's default when unset."""
    firm = request.staff.firm
    rows = []
    for doc_type, label in DocumentType.choices:
        current = flow_for(firm=firm, doc_type=doc_type)
        form = FlowForm(request.POST or None, prefix=doc_type, initial=FlowForm.initial_from(current), firm=firm)
        rows.append(
            {
                "doc_type": doc_type,
                "label": label,
                "form": form,
                "is_default": current == default_flow(doc_type),
                "note": form.unavailable_note(),
            }
        )
    vocabulary = VocabularyForm(
        request.POST if "firm-shown" in request.POST else None,  # left out of a post: unchanged
        prefix="firm",
        initial={"uses_tax_filing": firm.uses_tax_filing},
    )
    valid = [row["form"].is_valid() for row in rows]  # every row, so that each shows its errors
    if request.method == "POST" and all(valid) and (not vocabulary.is_bound or vocabulary.is_valid()):
        with service_refusal(request, first_only=True) as outcome, transaction.atomic():
            if vocabulary.is_bound:
                firm_tax_filing_update(
                    firm=firm, actor=request.user, uses_tax_filing=vocabulary.cleaned_data["uses_tax_filing"]
                )
            firm_flows_update(
                firm=firm, actor=request.user, flows={row["doc_type"]: row["form"].spec() for row in rows}
            )
        if outcome.ok:
            messages.success(request, _("The approval flows have been saved."))
            return redirect("approvals_staff:flows")
    status = 400 if request.method == "POST" else 200
    context = {"rows": rows, "firm": firm, "vocabulary": vocabulary}
    return render(request, "approvals/staff/flows.html", context, status=status)


# -- the firm software's webhook (APR-8) --------------------------------------------------------


@firm_admin_required
@require_http_methods(["GET", "POST"])
def receiver(request):
    """Where the firm's software hears of approved requests. A new secret is shown once, here."""
    firm = request.staff.firm
    current = receiver_for_firm(firm=firm)
    form = ReceiverForm(request.POST or None, initial={"webhook_url": getattr(current, "webhook_url", "")})
    shown_secret = ""
    if request.method == "POST" and form.is_valid():
        url = form.cleaned_data["webhook_url"]
        make_secret = bool(url) and (form.cleaned_data["new_secret"] or current is None or not current.has_secret)
        secret = receiver_generate_secret() if make_secret else None
        with service_refusal(form=form, field="webhook_url") as outcome:
            current = receiver_update(firm=firm, actor=request.user, url=url, secret=secret)
        if outcome.ok:
            if secret:
                shown_secret = secret  # shown on this response only; stored encrypted
                messages.success(request, _("The webhook has been saved with a new secret."))
                form = ReceiverForm(initial={"webhook_url": url})
            else:
                messages.success(request, _("The webhook has been saved."))
                return redirect("approvals_staff:receiver")
    status = 400 if request.method == "POST" and form.errors else 200
    context = {"form": form, "receiver": current, "shown_secret": shown_secret, "firm": firm}
    return render(request, "approvals/staff/receiver.html", context, status=status)  # no-store: signed-in page
