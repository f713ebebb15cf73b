"""Checking the chains: every event recomputed in its chain's order, and the first broken link
reported (``balie audit verify``; a daily job will do the same).

What each break means:
    missing  a number of the chain is absent: an event was deleted
    changed  an event does not match its own hash: it was edited after it was written
    moved    an event matches neither its hash nor its place: it was moved (a reordered pair)
    link     an event does not point at the hash of the one before it: that one was replaced,
             or events were renumbered
    end      the chain's head names a later event than the last one found: events at the end were
             deleted (or the head was changed)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from balie.audit import chain
from balie.audit.models import AuditEvent, ChainHead, chain_key


@dataclass(frozen=True)
class Break:
    reason: str  # missing, changed, moved, link or end (see the module's docstring)
    seq: int  # the number in the chain where the chain breaks
    event_id: int | None  # the event found there (None when it is missing)
    message: str


@dataclass(frozen=True)
class Outcome:
    firm: Any  # the firm, or None for the operator's chain
    events: int  # the events checked until the first break (all of them when intact)
    broken: Break | None

    @property
    def name(self) -> str:
        return "operator" if self.firm is None else str(self.firm.slug)


def _check(event: AuditEvent, seq: int, prev_hash: str, firm_public_id: str) -> Break | None:
    if event.seq != seq:
        message = f"event {seq} is missing (the next one found is {event.seq}, id {event.pk})"
        return Break("missing", seq, None, message)
    own = chain.digest(chain.fields_of(event, firm_public_id=firm_public_id)) == event.hash
    linked = event.prev_hash == prev_hash
    if not own and not linked:
        return Break("moved", seq, event.pk, f"event {seq} (id {event.pk}) does not belong at this place in the chain")
    if not own:
        return Break("changed", seq, event.pk, f"event {seq} (id {event.pk}) was changed: it does not match its hash")
    if not linked:
        message = f"event {seq} (id {event.pk}) does not follow the event before it: that one was replaced"
        return Break("link", seq, event.pk, message)
    return None


def _events(firm: Any):
    found = AuditEvent.objects.filter(firm__isnull=True) if firm is None else AuditEvent.objects.filter(firm=firm)
    return found.order_by("seq").iterator(chunk_size=2000)


def _check_end(firm: Any, last_seq: int, last_hash: str) -> Break | None:
    head = ChainHead.objects.filter(key=chain_key(None if firm is None else firm.pk)).first()
    if head is None or (head.last_seq, head.last_hash) == (last_seq, last_hash):
        return None
    if head.last_seq > last_seq:
        message = f"the chain ends at event {last_seq}, but {head.last_seq} were written: the last ones were deleted"
    else:
        message = f"the chain's head (event {head.last_seq}) does not match its last event ({last_seq})"
    return Break("end", last_seq + 1, None, message)


def verify_chain(firm: Any) -> Outcome:
    """Walks the chain of ``firm`` (None: the operator's) in order and returns how far it holds and
    the first break, if any. Reads the events in chunks, so a chain of millions fits in memory."""
    firm_public_id = "" if firm is None else str(firm.public_id)
    seq, prev_hash = 0, chain.GENESIS
    for event in _events(firm):
        broken = _check(event, seq + 1, prev_hash, firm_public_id)
        if broken is not None:
            return Outcome(firm, seq, broken)
        seq, prev_hash = event.seq, event.hash
    return Outcome(firm, seq, _check_end(firm, seq, prev_hash))


def chain_firms() -> list[Any]:
    """The firms that have a chain (events or a head), and None for the operator's chain if any."""
    from balie.firms.models import Firm

    firm_ids = set(ChainHead.objects.values_list("firm_id", flat=True))
    firm_ids |= set(AuditEvent.objects.order_by().values_list("firm_id", flat=True).distinct())
    firms: list[Any] = list(Firm.objects.filter(pk__in=firm_ids - {None}).order_by("slug"))
    if None in firm_ids:
        firms.append(None)
    return firms


def verify_all() -> list[Outcome]:
    return [verify_chain(firm) for firm in chain_firms()]
