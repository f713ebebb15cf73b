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
    checkpoint  an event's hash differs from the one its day's checkpoint wrote down: the chain was
             rewritten after the checkpoint, even if every hash in it was recomputed; or a
             checkpoint names a later event than the last one found: events up to it were deleted
             (with the chain's head, or all of them)
    pruned   the chain starts after the first event without a checkpoint at the event before it,
             or without an ``audit.pruned`` event recording that removal

A pruned chain (see ``balie.audit.prune``) starts at the checkpoint it was pruned up to: the first
remaining event points at that checkpoint's hash. Anyone able to delete rows with the trigger's
permission (a database administrator) could remove old events the same way; what they cannot do
unnoticed is change or remove events after a checkpoint, or remove them without the
``audit.pruned`` event the chain carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from balie.audit import chain
from balie.audit.models import AuditCheckpoint, AuditEvent, ChainHead, chain_key


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


def _checkpoints(firm: Any) -> dict[int, str]:
    if firm is None:
        return {}
    return dict(AuditCheckpoint.objects.filter(firm=firm).values_list("last_seq", "last_hash"))


def _pruned_through(firm: Any) -> set[int]:
    """The last numbers of the ranges the chain's ``audit.pruned`` events say were removed."""
    if firm is None:
        return set()
    found = AuditEvent.objects.filter(firm=firm, action="audit.pruned").values_list("details", flat=True)
    return {int(details["last_seq"]) for details in found if isinstance(details, dict) and "last_seq" in details}


def _start(firm: Any, checkpoints: dict[int, str]) -> tuple[int, str, Break | None]:
    """Where the walk starts: at the beginning, or at the checkpoint the chain was pruned up to."""
    first = _events_of(firm).order_by("seq").values_list("seq", "id").first()
    if first is None or first[0] == 1:
        return 0, chain.GENESIS, None
    seq, event_id = first[0] - 1, first[1]
    if seq not in checkpoints:
        message = f"events 1 to {seq} are missing (the chain starts at {seq + 1}, id {event_id}, without a checkpoint)"
        return 0, chain.GENESIS, Break("missing", 1, None, message)
    if seq not in _pruned_through(firm):
        message = f"events up to {seq} were removed without an audit.pruned event recording it"
        return seq, checkpoints[seq], Break("pruned", seq + 1, event_id, message)
    return seq, checkpoints[seq], None


def _events_of(firm: Any):
    return AuditEvent.objects.filter(firm__isnull=True) if firm is None else AuditEvent.objects.filter(firm=firm)


def _events(firm: Any):
    return _events_of(firm).order_by("seq").iterator(chunk_size=2000)


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
    the first break, if any. Reads the events in chunks, so a chain of millions fits in memory.
    Each event at a checkpoint's number must have the hash the checkpoint wrote down."""
    firm_public_id = "" if firm is None else str(firm.public_id)
    checkpoints = _checkpoints(firm)
    seq, prev_hash, broken = _start(firm, checkpoints)
    if broken is not None:
        return Outcome(firm, 0, broken)
    checked = 0
    for event in _events(firm):
        broken = _check(event, seq + 1, prev_hash, firm_public_id) or _check_checkpoint(event, checkpoints)
        if broken is not None:
            return Outcome(firm, checked, broken)
        seq, prev_hash = event.seq, event.hash
        checked += 1
    return Outcome(firm, checked, _check_beyond(checkpoints, seq) or _check_end(firm, seq, prev_hash))


def _check_beyond(checkpoints: dict[int, str], last_seq: int) -> Break | None:
    """A checkpoint past the last event found: the events up to it were deleted, whatever the
    chain's head says (it can be changed, or deleted with them)."""
    beyond = max(checkpoints, default=0)
    if beyond <= last_seq:
        return None
    message = (
        f"the chain ends at event {last_seq}, but a checkpoint wrote down event {beyond}: "
        "the events after it were deleted"
    )
    return Break("checkpoint", last_seq + 1, None, message)


def _check_checkpoint(event: AuditEvent, checkpoints: dict[int, str]) -> Break | None:
    written = checkpoints.get(event.seq)
    if written is None or written == event.hash:
        return None
    message = (
        f"event {event.seq} (id {event.pk}) does not match the hash its day's checkpoint wrote down: "
        "the chain was rewritten after the checkpoint"
    )
    return Break("checkpoint", event.seq, event.pk, message)


def chain_firms() -> list[Any]:
    """The firms that have a chain (events, a head or checkpoints: a chain deleted with its head
    still has its checkpoints), and None for the operator's chain if any."""
    from balie.firms.models import Firm

    firm_ids = set(ChainHead.objects.values_list("firm_id", flat=True))
    firm_ids |= set(AuditEvent.objects.order_by().values_list("firm_id", flat=True).distinct())
    firm_ids |= set(AuditCheckpoint.objects.order_by().values_list("firm_id", flat=True).distinct())
    firms: list[Any] = list(Firm.objects.filter(pk__in=firm_ids - {None}).order_by("slug"))
    if None in firm_ids:
        firms.append(None)
    return firms


def verify_all() -> list[Outcome]:
    return [verify_chain(firm) for firm in chain_firms()]
