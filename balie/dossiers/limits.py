"""How large an upload request may be, per view (``balie.core.limits.allows_large_body``): the
files the form takes, each at most the firm's ``upload_max_bytes``. The firm is the environment's
(client pages) or the staff member's (back office); anyone else gets the small default."""

from __future__ import annotations

from balie.clients.selectors import client_list_for_user
from balie.core.limits import upload_body_limit
from balie.firms.access import staff_member_for


def for_client_uploads(*, files: int):
    """For a client page ``/o/<client>/...`` of an environment the person is a member of."""

    def limit(request, *args, client=None, **kwargs) -> int | None:
        per_file = (
            client_list_for_user(user=request.user)
            .filter(public_id=client)
            .values_list("firm__upload_max_bytes", flat=True)
            .first()
        )
        return None if per_file is None else upload_body_limit(per_file=per_file, files=files)

    return limit


def for_staff_uploads(*, files: int):
    """For a back-office page: the staff member's own firm."""

    def limit(request, *args, **kwargs) -> int | None:
        staff = staff_member_for(request.user)
        return None if staff is None else upload_body_limit(per_file=staff.firm.upload_max_bytes, files=files)

    return limit
