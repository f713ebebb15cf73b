"""Signing (APR-6): a signer signs (their decision "signed" is the evidence, and the signature is
queued to be sealed into the PDF, ``sealing``), several documents at once, or declines.

    signature_add(approval=approval, user=pieter, image_png=png, method="drawn", confirmation=c, ...)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel
from balie.approvals.models import Decision, Kind, Request
from balie.approvals.states import Status
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.signing.jobs import seal as seal_job
from balie.signing.models import Signature, SignedFile, Signer
from balie.signing.turns import current_position, display_name, display_when
from balie.todos.services import todos_handle_for_target

Outcome = Decision.Outcome


def why_not_signable(*, approval: Request, user) -> str | None:
    """Why ``user`` cannot sign ``approval`` now, as a message; None when they can."""
    if approval.kind != Kind.SIGN:
        return _("This document is not to be signed.")
    signer = Signer.objects.filter(request=approval, user=user).select_related("signature__decision").first()
    if signer is None:
        return _("You have not been asked to sign this document.")
    signature = getattr(signer, "signature", None)
    if signature is not None:
        return _("You signed this document on %(when)s.") % {"when": display_when(signature.decision.decided_at)}
    if approval.status == Status.WAITING:
        return _("This document cannot be signed yet: it waits for an earlier step.")
    if approval.status != Status.OPEN:
        return _("This request is %(status)s: it can no longer be signed.") % {
            "status": Status(approval.status).label.lower()
        }
    position = current_position(approval)
    if position is not None and signer.position > position:
        waiting_for = ", ".join(
            display_name(each.user)
            for each in Signer.objects.filter(request=approval, position__lt=signer.position, signature__isnull=True)
            .select_related("user")
            .order_by("slot")
        )
        return _("It is not your turn yet: %(names)s signs first.") % {"names": waiting_for}
    if signer.asked_at is None:  # the turn before is signed but not sealed into the PDF yet
        return _("It is not your turn yet: the signature before yours is still being sealed into the document.")
    if approval.document.current_version_id != approval.version_id:
        return _("A new version of this document has been published; sign that one.")
    return None


def signature_add(
    *,
    approval: Request,
    user,
    image_png: bytes,
    method: str,
    typed_name: str = "",
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """Records ``user``'s signature on the request's exact version (the Decision "signed" is the
    evidence: who, when, IP, browser, factor, SHA-256) and queues it to be sealed into the PDF."""
    if confirmation is None:
        raise ValidationError(_("Confirm your signature."), code="confirmation")
    if method not in Signature.Method.values or not image_png:
        raise ValidationError(_("Draw your signature in the box first, or type your name."), code="empty")
    with transaction.atomic():
        locked = kernel.lock(approval)
        refusal = why_not_signable(approval=locked, user=user)
        if refusal:
            raise ValidationError(refusal, code="not_signable")
        signer = Signer.objects.select_for_update().get(request=locked, user=user)
        decision = kernel.record_decision(
            locked,
            user=user,
            outcome=Outcome.SIGNED,
            comment="",
            factor=confirmation.factor,
            challenge_id=confirmation.challenge_id,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        signature = Signature.objects.create(
            request=locked,
            signer=signer,
            decision=decision,
            method=method,
            typed_name=typed_name.strip()[:120],
            image=image_png,
            image_sha256=hashlib.sha256(image_png).hexdigest(),
        )
        SignedFile.objects.get_or_create(request=locked)
        todos_handle_for_target(target=locked, user=user)
        notify(
            users=kernel.firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s signed %(title)s (%(client)s)"),
            params={"who": display_name(user), "title": locked.document.title, "client": locked.client.name},
            link=kernel.staff_link(locked),
        )
        request_id = locked.pk
        transaction.on_commit(lambda: seal_job.enqueue(request_id=request_id))
        kernel.record_event(
            "signature.added",
            locked,
            actor=user,
            details={"method": method, "factor": decision.factor, "version_sha256": decision.version_sha256},
        )
    approval.status = locked.status
    return signature


def signatures_add_batch(
    *,
    items: Iterable[tuple[Request, str]],
    user,
    image_png: bytes,
    method: str,
    typed_name: str = "",
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[Signature]:
    """One signature, one confirmation, several documents: ``items`` pairs each sign request with
    the SHA-256 of the version the person was shown. All or nothing, in one transaction: each goes
    through ``signature_add`` (its own Decision bound to its own version, the same image), and one
    that cannot be signed now (not their turn, withdrawn, a changed version) refuses them all, its
    message prefixed with the document's title. Each is sealed by its own job after the commit."""
    if confirmation is None:
        raise ValidationError(_("Confirm your signature."), code="confirmation")
    return kernel.each_chosen(
        items,
        lambda approval: signature_add(
            approval=approval,
            user=user,
            image_png=image_png,
            method=method,
            typed_name=typed_name,
            confirmation=confirmation,
            ip_address=ip_address,
            user_agent=user_agent,
        ),
    )


def signature_decline(*, approval: Request, user, reason: str) -> Decision:
    """``user`` will not sign: the request is REJECTED with the reason, the firm told, the tasks
    closed, and the steps waiting for it withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason why you do not sign."), code="reason")
    with transaction.atomic():
        locked = kernel.lock(approval)
        refusal = why_not_signable(approval=locked, user=user)
        if refusal:
            raise ValidationError(refusal, code="not_signable")
        decision = kernel.record_decision(locked, user=user, outcome=Outcome.REJECTED, comment=reason, factor="")
        kernel.set_status(locked, Status.REJECTED, settled_by=user)
        kernel.close_tasks(locked, done_by=user)
        values = {"who": display_name(user), "title": locked.document.title, "client": locked.client.name}
        notify(
            users=kernel.firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s will not sign %(title)s (%(client)s): %(reason)s"),
            params={**values, "reason": kernel.short(reason)},
            link=kernel.staff_link(locked),
        )
        others = [signer.user for signer in Signer.objects.filter(request=locked, is_firm=False).exclude(user=user)]
        notify(
            users=others,
            client=locked.client,
            kind=EventKind.REQUEST,
            title=gettext_noop("%(who)s will not sign %(title)s; the request has stopped."),
            params=values,
            link=locked.get_absolute_url(),
        )
        kernel.withdraw_followers(locked)
        kernel.record_event("request.decided", locked, actor=user, details={"outcome": decision.outcome})
    approval.status = locked.status
    return decision
