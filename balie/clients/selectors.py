"""Reads of clients (environments). Every view reaches clients through these functions."""

from __future__ import annotations

import uuid

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from balie.clients.models import Client, Membership
from balie.firms.models import StaffMember


def client_list_for_user(*, user) -> QuerySet[Client]:
    """The environments this user is a member of: the one definition of what a client may see."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    today = timezone.localdate()
    active = Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gte=today)
    return Client.objects.filter(Q(memberships__user=user) & active).select_related("firm").order_by("name", "pk")


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    """The person's current access, one row per environment, with the environment (one query)."""
    return Membership.objects.active().filter(user=user).select_related("client").order_by("client__name", "pk")


def firm_of_member(*, user):
    """The firm of an environment the person has current access to (the first), or None."""
    membership = Membership.objects.active().filter(user=user).select_related("client__firm").first()
    return membership.client.firm if membership is not None else None


def firm_ids_of_member(*, user) -> QuerySet:
    """The ids of the firms of the environments the person has current access to (a subquery)."""
    return Membership.objects.active().filter(user=user).values_list("client__firm_id", flat=True)


def environment_ids_managed_by(*, user) -> QuerySet:
    """The public ids of the environments ``user`` is relationship manager of (for audit alerts)."""
    return Client.objects.filter(relationship_managers__user=user).values_list("public_id", flat=True)


def get_membership_for_user(*, user, client_public_id: uuid.UUID | str) -> Membership:
    """The user's membership of one environment, with client and firm; 404 for everyone else.

    A missing environment and someone else's environment answer alike, so a URL never tells
    an outsider that an environment exists.
    """
    if not user.is_authenticated or not user.is_active:
        raise Http404
    try:
        return (
            Membership.objects.active()
            .select_related("client__firm")
            .get(user=user, client__public_id=client_public_id)
        )
    except (Membership.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def client_list_for_staff(*, staff: StaffMember, search: str = "") -> QuerySet[Client]:
    """The environments of the staff member's firm, optionally searched on name, number or KvK."""
    qs = Client.objects.filter(firm_id=staff.firm_id)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(number__icontains=search) | Q(kvk_number__icontains=search))
    managers = StaffMember.objects.select_related("user")
    return qs.select_related("parent").prefetch_related(Prefetch("relationship_managers", queryset=managers))


def get_client_for_staff(*, staff: StaffMember, client_public_id: uuid.UUID | str) -> Client:
    """One environment of the staff member's own firm; 404 for any other firm's."""
    try:
        return Client.objects.select_related("firm", "parent").get(firm_id=staff.firm_id, public_id=client_public_id)
    except (Client.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def relationship_managers_for_client(*, client: Client) -> QuerySet[StaffMember]:
    return client.relationship_managers.select_related("user").order_by("user__first_name", "user__last_name")


def membership_list_for_client(*, client: Client) -> QuerySet[Membership]:
    return client.memberships.select_related("user").order_by("user__first_name", "user__last_name", "user__email")


def pending_invitations_for_client(*, client: Client):
    return client.invitations.filter(accepted_at=None, revoked_at=None).order_by("-created_at")


def get_pending_invitation_for_client(*, client: Client, invitation_public_id):
    """A pending invitation of this (already access-checked) environment, or 404."""
    try:
        return pending_invitations_for_client(client=client).get(public_id=invitation_public_id)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def app_tile_list(*, client):
    """The environment's application tiles, in their order (one query)."""
    from balie.clients.models import AppTile

    return AppTile.objects.filter(client=client)


def get_app_tile(*, client, tile_public_id):
    """A tile of this environment, or 404 (another environment's tile included)."""
    import uuid

    from django.http import Http404

    from balie.clients.models import AppTile

    try:
        return AppTile.objects.get(client=client, public_id=uuid.UUID(str(tile_public_id)))
    except (AppTile.DoesNotExist, ValueError):
        raise Http404 from None


def get_member_for_staff(*, client: Client, person_public_id: uuid.UUID | str) -> Membership:
    """A person's membership of ``client`` (already fetched with ``get_client_for_staff``); 404 for
    anyone else. People who work at a firm are left out: a client's firm never resets a staff
    account's second factors nor sends it a PIN."""
    try:
        return (
            Membership.objects.active()
            .select_related("user", "client__firm")
            .get(client=client, user__public_id=person_public_id, user__staff_member__isnull=True)
        )
    except (Membership.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def environments_of_firm(*, firm_id: int) -> list[tuple[str, str]]:
    """The firm's environments as (public id, name), by name: the choices of the firm's log."""
    rows = Client.objects.filter(firm_id=firm_id).order_by("name").values_list("public_id", "name")
    return [(str(public_id), name) for public_id, name in rows]


def environment_titles(*, firm_id: int, ids: list[str]) -> dict[str, str]:
    rows = Client.objects.filter(firm_id=firm_id, public_id__in=ids).values_list("public_id", "name")
    return {str(public_id): name for public_id, name in rows}
