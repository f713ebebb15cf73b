"""The request kernel: what every kind of request on an object shares, as one public interface.

A ``Request`` (``approvals.models``) asks people of an environment to act on one version of a
document: approve, review, sign, and later fill in a questionnaire, deliver a list, answer a
ticket. Whatever the kind, the same things hold, and they live here:

- **the request and its lock**: ``lock`` reads it ``select_for_update``; every write runs under it;
- **its status machine**: ``set_status`` changes the status only through ``states.check``;
  ``DONE`` and ``DEAD_END`` say whether a step is over for what waits for it;
- **its participants and turns**: the kind's *opener* (``register_kind``) gives the people whose
  turn it is their task and tells them; ``open_request`` calls it; ``nobody_error`` and
  ``all_active_members`` check who can be asked;
- **its followers** ("wacht op …", BEY-2): ``check_waits_for`` for a new step,
  ``open_followers`` when a step is done, ``withdraw_followers`` when it never will be;
- **its evidence**: ``record_decision`` stores one person's decision or step (who, when, IP,
  browser, second factor, the SHA-256 of the version), once per person;
- **its tasks and who hears of it**: ``close_tasks``, ``firm_people``, ``staff_link``.

Kinds plug in through ``register_kind`` (from their ``AppConfig.ready``): an ``open`` function
(who must act now), optionally ``restart`` (a new version restarted the request: copy what the
kind keeps besides the request's own settings) and ``publish`` (the request a published document
of that kind asks for), and what the kind adds to the request's pages and certificate
(``participants_limit``, ``places_on_page``, ``evidence``, ``staff_context``, ``annotate_list``).
The approvals app registers approve and review, the signing app sign. The certificate of a
request is sealed by the firm with ``seal_pdf``, which the app holding the firm's seal provides
(``register_sealer``).

The models stay in ``approvals.models``: moving them to an app of their own would mean
migrations that rename tables under live data, for no gain in behaviour. This module imports
nothing above the approvals app (no signing, no views): the kinds depend on it, never the reverse,
so there is no cycle between the apps.

    locked = kernel.lock(approval)
    decision = kernel.record_decision(locked, user=user, outcome="signed", factor="totp", ...)
    kernel.set_status(locked, Status.SIGNED, settled_by=user)
    kernel.close_tasks(locked, done_by=user)
    kernel.open_followers(locked, actor=user)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import states
from balie.approvals.models import Audience, Decision, Request
from balie.approvals.states import Status
from balie.audit.services import record
from balie.clients.models import Membership
from balie.dossiers.models import Document
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.services import todos_close_for_target, todos_handle_for_target

# The request's step is over (for what waits for it): approved, and whatever follows an approval.
DONE = frozenset({Status.APPROVED, Status.READY_TO_SEND, Status.SUBMITTED, Status.ACCEPTED, Status.FAILED})
DONE |= {Status.COMPLETED, Status.SIGNED}
# Nothing will ever make it done.
DEAD_END = frozenset({Status.REJECTED, Status.WITHDRAWN, Status.REPLACED})


# -- the kinds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindHooks:
    """What one kind of request adds to the kernel (see ``register_kind``)."""

    open: Callable[..., None]  # open(request, *, actor, strict): ask who must act now
    restart: Callable[..., None] | None = None  # restart(*, old, new): a new version restarted it
    publish: Callable[..., Request | None] | None = None  # publish(*, document, actor, settings)
    participants_limit: int | None = None  # at most this many people act on one request
    places_on_page: Callable[..., dict] | None = None  # (*, client, settings, page) -> the "places" setting
    evidence: Callable[[Request], object] | None = None  # (request) -> what its certificate adds
    staff_context: Callable[..., dict] | None = None  # (http_request, request) -> the firm's page adds
    annotate_list: Callable | None = None  # (queryset) -> queryset: the firm's list adds columns


_KINDS: dict[str, KindHooks] = {}
_SEALER: list[Callable[..., bytes]] = []


def register_kind(
    kind: str,
    *,
    open: Callable[..., None],  # noqa: A002  (the hook's name, as the kind's apps call it)
    restart: Callable[..., None] | None = None,
    publish: Callable[..., Request | None] | None = None,
    **pages,
) -> None:
    """Plugs a kind of request in (once, from its app's ``ready``; registering again replaces it).

    ``open(request, *, actor, strict)`` gives the people whose turn it is their task and tells
    them, when the request opens (created, or a step it waited for is done); ``strict``: refuse
    with a ValidationError when nobody can act (on creation), else tell the firm. ``restart(*, old,
    new)`` copies what the kind keeps when a new version of the document restarts a request.
    ``publish(*, document, actor, settings)`` creates the request a published document of this
    kind asks for. ``pages``: the optional fields of ``KindHooks`` about the pages and certificate."""
    _KINDS[kind] = KindHooks(open=open, restart=restart, publish=publish, **pages)


def hooks_for(kind: str) -> KindHooks:
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"No request kind {kind!r} is registered (see kernel.register_kind).") from None


def publisher(kind: str) -> Callable[..., Request | None] | None:
    """The function that creates the request a published document of ``kind`` asks for, if the kind
    registered one (the approvals app creates approve and review requests itself)."""
    hooks = _KINDS.get(kind)
    return hooks.publish if hooks is not None else None


def open_request(request: Request, *, actor, strict: bool) -> None:
    """Asks the people whose turn it is on ``request`` (locked, just created or just OPEN)."""
    hooks_for(request.kind).open(request, actor=actor, strict=strict)


def restarted(*, old: Request, new: Request) -> None:
    """``new`` restarts ``old`` on a new version: the kind copies what it keeps besides the settings."""
    hooks = hooks_for(new.kind)
    if hooks.restart is not None:
        hooks.restart(old=old, new=new)


def participants_limit(kind: str) -> int | None:
    """At most how many people can act on one request of ``kind`` (None: no limit)."""
    hooks = _KINDS.get(kind)
    return hooks.participants_limit if hooks is not None else None


def places_on_page(kind: str, *, client, settings: dict, page: int) -> dict:
    """The ``places`` setting that puts every mark of a new request of ``kind`` on ``page``."""
    placer = hooks_for(kind).places_on_page
    if placer is None:
        raise TypeError(f"requests of kind {kind!r} have no places on a page")
    return placer(client=client, settings=settings, page=page)


def evidence(request: Request):
    """What the request's kind adds to its certificate (None when it adds nothing)."""
    hooks = _KINDS.get(request.kind)
    return hooks.evidence(request) if hooks is not None and hooks.evidence is not None else None


def staff_context(http_request, request: Request) -> dict:
    """What the request's kind adds to the firm's page of the request."""
    hooks = _KINDS.get(request.kind)
    return hooks.staff_context(http_request, request) if hooks is not None and hooks.staff_context else {}


def annotate_staff_list(requests):
    """The firm's list of requests, with the columns every kind adds (in the list's own query)."""
    for hooks in _KINDS.values():
        if hooks.annotate_list is not None:
            requests = hooks.annotate_list(requests)
    return requests


def register_sealer(seal: Callable[..., bytes]) -> None:
    """``seal(data, *, firm, reason) -> bytes``: seals a PDF with the firm's seal certificate."""
    _SEALER[:] = [seal]


def seal_pdf(data: bytes, *, firm, reason: str) -> bytes:
    """``data`` (a PDF the firm issues, e.g. a certificate) sealed by ``firm``."""
    if not _SEALER:
        raise LookupError("No sealer is registered (see kernel.register_sealer).")
    return _SEALER[0](data, firm=firm, reason=reason)


# -- reading for people ------------------------------------------------------------------------------


def person_name(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else _("someone")


def moment(value) -> str:
    """A moment as the pages and messages name it ("7 december 2026 14:05", local time)."""
    return date_format(timezone.localtime(value), "j F Y H:i")


def short(text: str, length: int = 120) -> str:
    """For a notification's title (300 characters at most): long comments and lists are cut."""
    return Truncator(text).chars(length)


def staff_link(request: Request) -> str:
    """The request's page in the back office (the environment's page until that exists)."""
    for name, args in (
        ("approvals_staff:detail", [request.public_id]),
        ("approvals_staff:request", [request.public_id]),
    ):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("clients:staff_detail", args=[request.client.public_id])


def firm_people(client) -> list:
    """Who at the firm hears of decisions: the relationship managers, else the firm's administrators."""
    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not managers:
        managers = [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]
    return managers


# -- the request, its lock and status ----------------------------------------------------------------


def lock(request: Request) -> Request:
    """The request afresh, locked for this transaction (with its environment, firm, document, version)."""
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document", "version")
        .get(pk=request.pk)
    )


def record_event(action: str, request: Request, *, actor, details: dict | None = None) -> None:
    """Writes the audit event of a service on ``request`` (last in its transaction, after its locks)."""
    client = request.client
    facts = {"kind": request.kind, "document": request.document.title, "status": request.status}
    record(action, firm=client.firm, actor=actor, environment=client, obj=request, details={**facts, **(details or {})})


def set_status(locked: Request, new: str, *, settled_by=None) -> None:
    """Moves the locked request to ``new`` (refused by ``states.check`` when not allowed)."""
    states.check(locked.status, new)
    locked.status = new
    locked.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if settled_by is not None:
        locked.settled_by = settled_by
        fields.append("settled_by")
    locked.save(update_fields=fields)


def is_done(request: Request) -> bool:
    """Whether the request's step is over for what waits for it."""
    return request.status in DONE


def close_tasks(locked: Request, *, done_by=None) -> None:
    """The request's tasks leave every list: ``done_by``'s as handled, anyone else's closed."""
    if done_by is not None:
        todos_handle_for_target(target=locked, user=done_by)
    todos_close_for_target(target=locked)


# -- who can be asked --------------------------------------------------------------------------------


def all_active_members(*, client, users: Iterable) -> bool:
    """Whether every one of ``users`` is an active member of ``client`` who can sign in."""
    users = list(users)
    members = set(
        Membership.objects.active()
        .filter(client=client, user__in=users, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    return not ({user.pk for user in users} - members)


def nobody_error(*, client, audience: str) -> ValidationError:
    """Why nobody of ``client`` can be asked for ``audience``."""
    if audience == Audience.DIRECTORS:
        return ValidationError(
            _(
                "Nobody in %(client)s is a director with access to the portal. Give a director access, "
                "or ask everyone who may handle documents or named people instead."
            )
            % {"client": client.name},
            code="no_directors",
        )
    return ValidationError(
        _("Nobody in %(client)s can be asked: give someone access or choose other people.") % {"client": client.name},
        code="nobody",
    )


def check_chosen_version(request: Request, sha256: str) -> None:
    """Refuses a request whose document is no longer the exact version the person was shown (by its
    SHA-256): a new version was published, or the document was withdrawn, since they chose it. A
    request's version never changes; the document is read afresh."""
    document = Document.objects.only("current_version_id", "status").get(pk=request.document_id)
    if document.is_withdrawn:
        raise ValidationError(_("The firm has withdrawn the document."), code="document_withdrawn")
    if request.version.sha256 != sha256 or document.current_version_id != request.version_id:
        raise ValidationError(
            _("The document has changed since you chose it. Open it and look at the new version."),
            code="not_current",
        )


def each_chosen(items: Iterable[tuple[Request, str]], act: Callable[[Request], object]) -> list:
    """All or nothing over requests chosen together: ``items`` pairs each request with the SHA-256 of
    the version the person was shown; for each, in one lock order (no deadlocks) and one transaction,
    checks that version (``check_chosen_version``) and calls ``act(request)``. The first refusal
    undoes them all, its message prefixed with the document's title. Returns what ``act`` returned."""
    results = []
    with transaction.atomic():
        for request, sha256 in sorted(items, key=lambda item: item[0].pk):
            try:
                check_chosen_version(request, sha256)
                results.append(act(request))
            except ValidationError as error:
                raise ValidationError(
                    _("%(title)s: %(reason)s") % {"title": request.document.title, "reason": " ".join(error.messages)},
                    code=getattr(error, "code", None) or "refused",
                ) from None
    return results


# -- evidence ------------------------------------------------------------------------------------------


def record_decision(
    locked: Request,
    *,
    user,
    outcome: str,
    comment: str,
    factor: str,
    challenge_id: str = "",
    ip_address=None,
    user_agent: str = "",
    recorded_by=None,
    note: str = "",
) -> Decision:
    """Stores ``user``'s decision (or step: signed) on the locked request's exact version, with its
    evidence; once per person (a second one is refused, code ``decided``)."""
    if Decision.objects.filter(request=locked, user=user).exists():
        earlier = Decision.objects.get(request=locked, user=user)
        raise ValidationError(
            _("You already decided on this request on %(when)s.") % {"when": moment(earlier.decided_at)},
            code="decided",
        )
    try:
        with transaction.atomic():
            return Decision.objects.create(
                request=locked,
                user=user,
                outcome=outcome,
                comment=comment,
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:300],
                factor=factor,
                challenge_id=challenge_id or "",
                version_sha256=locked.version.sha256,
                recorded_by=recorded_by,
                outside_note=note,
            )
    except IntegrityError:  # the same person twice at once: the other request holds the lock first
        raise ValidationError(_("You already decided on this request."), code="decided") from None


# -- followers ("wacht op …", BEY-2) -----------------------------------------------------------------


def check_waits_for(waits_for: Request, *, client) -> Request:
    """The step a new request waits for (BEY-2), fresh; refused from another environment or over."""
    if waits_for.client_id != client.pk:
        raise ValidationError(_("A step can only wait for a step in the same environment."), code="other_client")
    waits_for = Request.objects.select_related("document").get(pk=waits_for.pk)
    if waits_for.status in DEAD_END:
        raise ValidationError(
            _("The step to wait for is %(status)s.") % {"status": Status(waits_for.status).label.lower()},
            code="waits_for_over",
        )
    return waits_for


def open_followers(locked: Request, *, actor) -> None:
    """The steps that waited for this one (now done) open, with their tasks."""
    for follower in (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document")
        .filter(waits_for=locked, status=Status.WAITING)
        .order_by("pk")
    ):
        set_status(follower, Status.OPEN)
        open_request(follower, actor=actor, strict=False)


def withdraw_followers(locked: Request) -> list[Request]:
    """The steps waiting for a request that will never be done (rejected, withdrawn) would wait
    forever: they are withdrawn too (and what waits for them), and the firm is told which."""
    withdrawn = _withdraw_waiting(locked)
    if withdrawn:
        values = {
            "title": locked.document.title,
            "client": locked.client.name,
            "steps": short(", ".join(each.document.title for each in withdrawn), 150),
        }
        if locked.status == Status.REJECTED:
            title = gettext_noop(
                "%(title)s was not approved (%(client)s); the steps waiting for it are withdrawn: %(steps)s"
            )
        else:
            title = gettext_noop(
                "%(title)s was withdrawn (%(client)s); the steps waiting for it are withdrawn too: %(steps)s"
            )
        notify(
            users=firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=title,
            params=values,
            link=staff_link(locked),
        )
    return withdrawn


def _withdraw_waiting(locked: Request) -> list[Request]:
    withdrawn = []
    for follower in (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document")
        .filter(waits_for=locked, status=Status.WAITING)
        .order_by("pk")
    ):
        set_status(follower, Status.WITHDRAWN)
        todos_close_for_target(target=follower)  # a waiting step has no task yet; to be sure
        withdrawn.append(follower)
        withdrawn += _withdraw_waiting(follower)  # marked withdrawn first: a cycle ends here
    return withdrawn
