"""Access to a client environment named in the URL (``/o/<client>/...``)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required

from balie.clients.selectors import get_membership_for_user


def client_required(view):
    """Resolves the ``client`` URL argument to the user's membership, or 404.

    Sets ``request.client`` and ``request.membership`` and remembers the environment as the
    user's last one, so that ``/`` opens it next time (ORG-1).
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, client, **kwargs):
        membership = get_membership_for_user(user=request.user, client_public_id=client)
        request.membership = membership
        request.client = membership.client
        if request.user.last_client_id != membership.client_id:
            request.user.last_client_id = membership.client_id
            request.user.save(update_fields=["last_client"])
        return view(request, *args, **kwargs)

    return wrapper
