#!/usr/bin/env python3
"""Verifies a JSON Lines export of Balie's audit trail, offline, with Python's standard library.

    balie audit export --firm kantoor-a --format jsonl > kantoor-a.jsonl
    python3 audit-verify.py kantoor-a.jsonl
    python3 audit-verify.py --selection logboek-sanne.jsonl

Each line is one event: the fields below, its ``hash`` and its ``id``. The hash is the SHA-256 of
the event's canonical form: a JSON object of exactly these fields, keys sorted (at every depth), no
spaces (separators "," and ":"), non-ASCII characters escaped, as UTF-8 bytes. Every value is a
string except ``details``, a JSON object; ``prev_hash`` is the hash of the event before it in the
firm's chain (64 zeros before the first one).

The script checks that every line matches its own hash, that the numbers (``seq``) follow each
other without a gap, and that each event names the hash of the line before it. An export of a
period starts in the middle of the chain: its first ``prev_hash`` is printed as the anchor, to be
compared with the last hash of the previous export (or with a daily checkpoint).

An export of a selection (the firm's log filtered by person, environment or action) leaves out the
events between the ones it holds. With ``--selection`` the script checks that every line matches
its own hash, that the numbers go up, and that an event names the hash of the line before it where
the two follow each other in the chain; the events left out are counted, not checked.

Exit status 0: the export is intact; 1: it is not (the first broken line is named); 2: usage.
"""

import hashlib
import json
import sys

HASHED = (
    "firm",
    "seq",
    "at",
    "environment",
    "actor_kind",
    "actor_user",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "request_id",
    "details",
    "prev_hash",
)


def digest(event):
    body = {key: event[key] for key in HASHED}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    ).hexdigest()


def check(event, previous, selection=False):
    """Why ``event`` breaks the chain after ``previous`` (None: it is the first line), or None."""
    if digest(event) != event["hash"]:
        return "it does not match its hash: it was changed"
    if previous is None:
        return None
    if selection and int(event["seq"]) > int(previous["seq"]) + 1:
        return None  # events between them are outside the selection
    if selection and int(event["seq"]) <= int(previous["seq"]):
        return f"it follows event {previous['seq']}: the numbers go down"
    if int(event["seq"]) != int(previous["seq"]) + 1:
        return f"it follows event {previous['seq']}: the events between them are missing"
    if event["prev_hash"] != previous["hash"]:
        return "it does not name the hash of the line before it"
    return None


def verify(lines, selection=False):
    """(number of events, None) when intact, else (line number, reason) of the first broken line."""
    previous = None
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            reason = check(event, previous, selection)
        except (ValueError, KeyError, TypeError) as error:
            return number, f"not an audit event ({error})"
        if reason is not None:
            return number, f"event {event['seq']}: {reason}"
        if previous is None:
            print(f"starts at event {event['seq']} of chain {event['firm'] or 'operator'}, after {event['prev_hash']}")
        previous = event
        count += 1
    return count, None


def main(arguments):
    selection = "--selection" in arguments
    arguments = [argument for argument in arguments if argument != "--selection"]
    if len(arguments) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as export:
        found, reason = verify(export, selection)
    if reason is not None:
        print(f"BROKEN at line {found}: {reason}")
        return 1
    print(f"intact: {found} events" + (" (a selection)" if selection else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
