"""Mijn gegevens → Aanmeldingen: the person's own sign-ins and the failed attempts on their account,
with device and network, and "Dit was ik niet" (sign out everywhere, tell the firm)."""

from __future__ import annotations

import ipaddress

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from balie.accounts.reports import user_report_not_me
from balie.accounts.user_agents import describe_user_agent
from balie.audit import actions as audit_actions
from balie.audit import hooks as audit_hooks
from balie.audit import selectors as audit_selectors

FAILED = ("auth.signin_failed", "auth.twostep_failed")


def network(address: str | None) -> str:
    """The network an address belongs to, not the address: "192.0.2.x", "2001:db8:1::/48"."""
    try:
        found = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    if found.version == 4:
        return ".".join(str(found).split(".")[:3] + ["x"])
    return str(ipaddress.ip_network(f"{found}/48", strict=False))


def _chain(user) -> int | None:
    firm_ids = audit_hooks.firm_ids_of_user(user)
    return firm_ids[0] if firm_ids else None


@login_required
@require_GET
def signins(request):
    """The person's sign-ins and failed attempts, newest first, 50 at a time (keyset)."""
    events = audit_selectors.signins_of_user(user=request.user, firm_id=_chain(request.user))
    page = audit_selectors.keyset_page(events, after=request.GET.get("na"))
    rows = [
        {
            "event": event,
            "label": audit_actions.label(event.action),
            "failed": event.action in FAILED,
            "device": describe_user_agent(event.user_agent) if event.user_agent else _("Unknown device"),
            "network": network(event.ip_address),
        }
        for event in page.events
    ]
    context = {"rows": rows, "next_cursor": page.next_cursor, "first_page": "na" not in request.GET}
    return render(request, "accounts/signins.html", context)


@login_required
@require_POST
def not_me(request):
    """Dit was ik niet: every session of the person ends (this one too) and the firm is told."""
    signin = None
    if (request.POST.get("event") or "").isdigit():
        signin = audit_selectors.get_signin_of_user(
            user=request.user, firm_id=_chain(request.user), pk=int(request.POST["event"])
        )
        if signin is None:
            raise Http404
    user = request.user
    ended = user_report_not_me(user=user, signin=signin)
    logout(request)
    return render(request, "accounts/not_me_done.html", {"ended": ended, "email": user.email})
