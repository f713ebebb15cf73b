"""The sealing job (a signature into the PDF) and its periodic safety net."""

from __future__ import annotations

from balie.core.jobs import job


@job("signing.seal", queue="default")
def seal(*, request_id: int) -> None:
    from balie.signing.sealing import seal_pending

    seal_pending(request_id=request_id)


@job("signing.seal_stale", queue="default")
def seal_stale() -> None:
    from balie.signing.sealing import seal_stale as pick_up

    pick_up()
