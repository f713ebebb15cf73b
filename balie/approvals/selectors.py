"""Reads of requests and decisions. "Who is asked to decide" is defined once, in ``_asked``.

Directors and handlers are read at the moment of asking (an ended membership, or a flag taken
away, ends the right to decide at once); named people must still be active members too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from balie.approvals.models import Audience, Decision, Kind, Request, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import DocumentType


def _asked(user) -> Q:
    """Requests on which ``user`` is one of the people asked (whatever their status)."""
    member = Membership.objects.active().filter(client=OuterRef("client"), user=user, user__is_active=True)
    named = Request.named.through.objects.filter(request=OuterRef("pk"), user=user)
    return (
        Q(Exists(member.filter(is_director=True)), audience=Audience.DIRECTORS)
        | Q(Exists(member.filter(may_handle_documents=True)), audience=Audience.HANDLERS)
        | Q(Exists(member), Exists(named), audience=Audience.NAMED)
    )


def asked_members(*, approval: Request) -> QuerySet[Membership]:
    """The memberships of the people asked to decide on ``approval`` now (one query)."""
    members = Membership.objects.active().filter(client_id=approval.client_id, user__is_active=True)
    if approval.audience == Audience.DIRECTORS:
        members = members.filter(is_director=True)
    elif approval.audience == Audience.HANDLERS:
        members = members.filter(may_handle_documents=True)
    else:
        members = members.filter(user__in=approval.named.all())
    return members.select_related("user").order_by("user__first_name", "user__last_name", "user__email")


def asked_users(*, approval: Request) -> list:
    return [membership.user for membership in asked_members(approval=approval)]


def directors_with_access(*, client) -> list:
    """The environment's directors who can sign in to the portal (APR-1: a VAT return goes to them)."""
    members = Membership.objects.active().filter(client=client, is_director=True, user__is_active=True)
    return [membership.user for membership in members.select_related("user").order_by("pk")]


def may_decide(*, approval: Request, user) -> bool:
    """Whether ``user`` is one of the people asked (not whether the request is still open)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return Request.objects.filter(_asked(user), pk=approval.pk).exists()


def approval_would_settle(*, approval: Request, user) -> bool:
    """Whether an approval by ``user`` settles ``approval`` (APPROVED): with one approval needed it
    does; with everyone's, only when all the others asked have approved already (``user``'s own
    approval, when recorded, counts as well)."""
    if approval.required != Required.ALL:
        return True
    approved = set(
        Decision.objects.filter(request=approval, outcome=Decision.Outcome.APPROVED).values_list("user_id", flat=True)
    )
    approved.add(user.pk)
    return all(person.pk in approved for person in asked_users(approval=approval))


def _with_details(requests: QuerySet[Request]) -> QuerySet[Request]:
    decisions = Decision.objects.select_related("user", "recorded_by").order_by("decided_at", "pk")
    return requests.select_related(
        "client", "document", "version", "settled_by", "waits_for__document", "created_by"
    ).prefetch_related(Prefetch("decisions", queryset=decisions))


def replacement_of(*, approval: Request) -> Request | None:
    """The request that replaced ``approval`` (a new version was published), if it was replaced."""
    if approval.status != Status.REPLACED:
        return None
    return Request.objects.filter(replaces=approval).only("public_id", "client_id").first()


def get_request_for_user(*, user, client, public_id) -> Request:
    """A request of ``client`` (an environment the caller reached through ``client_required``) for a
    member of it; 404 for anything else, another environment's request included."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    member = Membership.objects.active().filter(client=client, user=user)
    try:
        return _with_details(Request.objects.filter(Exists(member), client=client)).get(public_id=public_id)
    except (Request.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def request_list_for_client(*, client, status: str = "") -> QuerySet[Request]:
    """The environment's requests, newest first (optionally of one status)."""
    requests = Request.objects.filter(client=client)
    if status:
        requests = requests.filter(status=status)
    return _with_details(requests).order_by("-created_at", "-pk")


def history_for_user(
    *, user, client=None, status: str = "", year: int | None = None, doc_type: str = ""
) -> QuerySet[Request]:
    """Overzicht documenten (APR-4): the requests of the user's environments (or of one), filtered on
    status, year and document type; empty filters mean all. Constant number of queries per page."""
    if not user.is_authenticated or not user.is_active:
        return Request.objects.none()
    member = Membership.objects.active().filter(client=OuterRef("client"), user=user)
    requests = Request.objects.filter(Exists(member))
    if client is not None:
        requests = requests.filter(client=client)
    if status and status in Status.values:
        requests = requests.filter(status=status)
    if year:
        requests = requests.filter(document__year=year)
    if doc_type and doc_type in DocumentType.values:
        requests = requests.filter(document__doc_type=doc_type)
    return _with_details(requests).order_by("-created_at", "-pk")


def history_years(*, user, client) -> list[int]:
    """The years of the documents in the environment's requests, newest first (for the filter)."""
    years = (
        history_for_user(user=user, client=client)
        .exclude(document__year=None)
        .order_by("-document__year")
        .values_list("document__year", flat=True)
        .distinct()
    )
    return [year for year in years if year is not None]


def ready_to_send_for_user(*, user, client) -> QuerySet[Request]:
    """Klaar om te verzenden (APR-3): the environment's approved requests waiting to be sent that
    ``user`` may send (one of the people asked), oldest first."""
    if not user.is_authenticated or not user.is_active:
        return Request.objects.none()
    requests = Request.objects.filter(_asked(user), client=client, status=Status.READY_TO_SEND)
    return _with_details(requests).order_by("status_changed_at", "pk")


def open_for_user(*, user, client) -> QuerySet[Request]:
    """The environment's open requests ``user`` is asked to decide on."""
    if not user.is_authenticated or not user.is_active:
        return Request.objects.none()
    requests = Request.objects.filter(_asked(user), client=client, status=Status.OPEN)
    return _with_details(requests).order_by("due_date", "created_at", "pk")


def approvable_for_user(*, user, client) -> QuerySet[Request]:
    """The environment's open requests to approve on which ``user`` is asked and has not decided
    yet: what they may approve together with one confirmation."""
    requests = open_for_user(user=user, client=client).filter(kind=Kind.APPROVE)
    return requests.exclude(Exists(Decision.objects.filter(request=OuterRef("pk"), user=user)))


def user_decision(*, approval: Request, user) -> Decision | None:
    """The user's own decision on ``approval``, if any (from the prefetched decisions)."""
    return next((decision for decision in approval.decisions.all() if decision.user_id == user.pk), None)


def settling_decision(*, approval: Request) -> Decision | None:
    """The decision that settled the request: the settler's, else the last one."""
    decisions = list(approval.decisions.all())
    for decision in decisions:
        if decision.user_id == approval.settled_by_id:
            return decision
    return decisions[-1] if decisions else None


# -- firm side ---------------------------------------------------------------------------------------


def get_request_for_staff(*, staff, public_id) -> Request:
    """A request of the staff member's firm, with its details; 404 for any other firm's."""
    try:
        return _with_details(Request.objects.filter(client__firm_id=staff.firm_id)).get(public_id=public_id)
    except (Request.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def request_list_for_staff(*, staff, status: str = "", client=None) -> QuerySet[Request]:
    """The firm's requests, newest first; constant number of queries per page."""
    requests = Request.objects.filter(client__firm_id=staff.firm_id)
    if client is not None:
        requests = requests.filter(client=client)
    if status and status in Status.values:
        requests = requests.filter(status=status)
    return _with_details(requests).order_by("-created_at", "-pk")


def requests_chosen_by_user(*, user, client, public_ids) -> list[Request]:
    """The requests named by ``public_ids`` (e.g. ticked in a list) that ``user`` is asked on in
    ``client``, whatever their status now; malformed and foreign ids are left out."""
    import uuid

    ids = []
    for value in public_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not ids or not user.is_authenticated or not user.is_active:
        return []
    requests = Request.objects.filter(_asked(user), client=client, public_id__in=ids)
    return list(_with_details(requests).order_by("status_changed_at", "pk"))
