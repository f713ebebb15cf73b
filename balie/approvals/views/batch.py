"""Akkoord on several documents at once (APR-2): the person chooses from their open requests, sees
each chosen document with what approving it means, and confirms them all with one code.

The step-up is bound to the exact set: every request with the SHA-256 of the version the page
showed. A code started for one set never confirms another, and a request whose document changed
meanwhile refuses the whole batch (``requests_approve_batch``: all or nothing). Not approving stays
one by one, on the request's own page: it needs a reason.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from balie.approvals import selectors
from balie.approvals.decisions import request_why_not_decidable, requests_approve_batch
from balie.approvals.models import Decision, Kind, Request
from balie.approvals.states import Status
from balie.approvals.views.client import _stepup
from balie.clients.access import client_required
from balie.core.actions import service_refusal
from balie.core.addresses import client_ip, user_agent
from balie.twostep.stepup import register_action

APPROVE_BATCH = "approval_decide_batch"
register_action(APPROVE_BATCH, gettext_lazy("your approval of the documents listed"))
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def items_digest(items) -> str:
    """One SHA-256 over the set: each request's id with the SHA-256 of its version, in a fixed order."""
    listed = ",".join(sorted(f"{approval.public_id}:{sha256}" for approval, sha256 in items))
    return hashlib.sha256(listed.encode()).hexdigest()


def batch_key(client, items) -> str:
    """The step-up object of a batch: Akkoord on these requests on these exact versions (their
    SHA-256), in this environment. Another set, or another version of one document, is another key."""
    return f"approve-batch:{client.public_id}:{items_digest(items)}"


def chosen_items(request, find) -> list[tuple[Request, str]]:
    """The requests posted as ``approval`` (``<id>`` when chosen, ``<id>:<sha256>`` when shown for
    confirmation), each with the SHA-256 the person was shown. ``find(public_ids)`` is the scoped
    read of the requests the person may act on here; any id it does not find (another person's,
    another environment's, a malformed one) is a 404."""
    posted: dict[uuid.UUID, str] = {}
    for value in request.POST.getlist("approval"):
        public_id, _sep, sha256 = value.partition(":")
        try:
            public_id = uuid.UUID(public_id)
        except ValueError:
            raise Http404 from None
        if sha256 and not SHA256_RE.match(sha256):
            raise Http404
        posted[public_id] = sha256
    found = find([str(public_id) for public_id in posted])
    if len(found) != len(posted):
        raise Http404
    return [(approval, posted[approval.public_id] or approval.version.sha256) for approval in found]


def chosen_refusals(items, why_not) -> list[str]:
    """Why some chosen requests cannot be acted on now, each prefixed with the document's title:
    ``why_not(request)`` (a message or None), else a version other than the one shown. Read without
    a lock; the service checks again."""
    reasons = []
    for approval, sha256 in items:
        reason = why_not(approval)
        if reason is None and (sha256 != approval.version.sha256 or approval.document.is_withdrawn):
            reason = _("The document has changed since you chose it. Open it and look at the new version.")
        if reason:
            reasons.append(_("%(title)s: %(reason)s") % {"title": approval.document.title, "reason": reason})
    return reasons


def _why_not_approvable(request, approval) -> str | None:
    if approval.kind != Kind.APPROVE:
        return _("This document is not one to approve.")
    return request_why_not_decidable(approval=approval, user=request.user)


def _page(request, *, items=(), chosen=(), stepup=None, errors=(), status=200):
    context = {
        "items": items,
        "chosen": chosen,
        "stepup": stepup,
        "errors": errors,
        "ready_count": selectors.ready_to_send_for_user(user=request.user, client=request.client).count(),
    }
    return render(request, "approvals/batch.html", context, status=status)


@client_required
@require_http_methods(["GET", "POST"])
def batch(request):
    """Akkoord geven on several documents: choose (GET), see them with the confirmation box (first
    POST), confirm with one code (second POST, with the challenge)."""
    client = request.client
    if request.method == "GET":
        return _page(request, items=list(selectors.approvable_for_user(user=request.user, client=client)))
    items = chosen_items(
        request,
        lambda ids: selectors.requests_chosen_by_user(user=request.user, client=client, public_ids=ids),
    )
    if not items:
        return _page(
            request,
            items=list(selectors.approvable_for_user(user=request.user, client=client)),
            errors=[_("Choose at least one document to approve.")],
            status=400,
        )
    stepup = _stepup(request, action=APPROVE_BATCH, object_key=batch_key(client, items))
    confirming = "stepup_challenge" in request.POST
    if confirming and _all_decided(request, items):  # a second click on Bevestigen
        messages.info(request, _("Your decisions have already been recorded."))
        return redirect(_open_tasks(client))
    reasons = chosen_refusals(items, lambda approval: _why_not_approvable(request, approval))
    if reasons:
        return _page(
            request,
            items=list(selectors.approvable_for_user(user=request.user, client=client)),
            errors=[*reasons, _("Nothing has been approved. Choose again.")],
            status=400,
        )
    if not confirming:
        return _page(request, chosen=items, stepup=stepup)
    confirmation = stepup.confirm()  # outside any transaction: a used code stays used
    if confirmation is None:
        return _page(request, chosen=items, stepup=stepup, status=400)
    with service_refusal(request, closing=_("Nothing has been approved. Choose again.")) as outcome:
        decisions = requests_approve_batch(
            items=items,
            user=request.user,
            confirmation=confirmation,
            ip_address=client_ip(request),
            user_agent=user_agent(request),
        )
    if not outcome.ok:
        return redirect("approvals:batch", client=client.public_id)
    count = len(decisions)
    messages.success(
        request,
        ngettext("%(count)d document has been approved.", "%(count)d documents have been approved.", count)
        % {"count": count},
    )
    waiting = sum(1 for approval, _sha in items if approval.status == Status.READY_TO_SEND)
    if waiting:
        messages.info(
            request,
            ngettext(
                "%(count)d of them waits under Ready to send: send it from there.",
                "%(count)d of them wait under Ready to send: send them from there, together.",
                waiting,
            )
            % {"count": waiting},
        )
        return redirect("approvals:ready", client=client.public_id)
    return redirect(_open_tasks(client))


def _all_decided(request, items) -> bool:
    ids = [approval.pk for approval, _sha in items]
    return Decision.objects.filter(request_id__in=ids, user=request.user).count() == len(ids)


def _open_tasks(client) -> str:
    return reverse("approvals:history", args=[client.public_id]) + "?status=open"
