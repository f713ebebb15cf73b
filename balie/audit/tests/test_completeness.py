"""Every service that changes data records its audit event.

The scan reads the service modules (``ast``, no import) and lists each public function that writes a
model — a call to ``.save(``, ``.create(``, ``.update(``, ``.delete(``, ``bulk_create``,
``get_or_create`` or ``update_or_create`` — without a call to ``record(``. Such a function fails the
test unless it is on the allow-list below, each entry with the reason it rightly records nothing
(it only calls a service that records, it keeps bookkeeping such as throttles or caches, ...).

That every registered action is written by some test, and that no written event holds the demo's
secrets, is checked at the end of a full run (``balie/audit/tests/plugin.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVICE_MODULES = [
    "accounts/services.py",
    "approvals/services.py",
    "approvals/decisions.py",
    "approvals/sending.py",
    "approvals/kernel.py",
    "approvals/publishing.py",
    "approvals/flow_settings.py",
    "approvals/receivers.py",
    "clients/services.py",
    "clients/contacts.py",
    "clients/organisation.py",
    "clients/contact_email.py",
    "clients/history.py",
    "dossiers/services.py",
    "dossiers/bulk.py",
    "dossiers/bulk_plan.py",
    "dossiers/uploads.py",
    "firms/services.py",
    "messaging/services.py",
    "notifications/services.py",
    "signing/services.py",
    "signing/turns.py",
    "signing/signatures.py",
    "signing/sealing.py",
    "signing/seals.py",
    "todos/services.py",
    "twostep/services.py",
    "twostep/enrolment.py",
    "twostep/stepup.py",
]

WRITES = {"save", "create", "update", "delete", "bulk_create", "get_or_create", "update_or_create", "bulk_update"}

# "module:function" -> why it records no event of its own.
ALLOW = {
    # Session bookkeeping: the sign-in is recorded by ``audit.signals``, the reasons sessions end
    # (deactivation, a new address, a reset, ending one session) by their own services.
    "accounts/services.py:session_register": "sign-in bookkeeping",
    "accounts/services.py:session_touch": "a session's last activity, at most once a minute",
    "accounts/services.py:user_end_sessions": "part of the services that record why sessions end",
    # Steps of the request kernel, only ever run inside a service that records the request's event.
    "approvals/services.py:open_for_decision": "opener inside request.created / replaced / followers",
    "approvals/kernel.py:set_status": "inside the service that records the change of status",
    "approvals/kernel.py:close_tasks": "tasks of a request, inside request.decided",
    "approvals/kernel.py:record_decision": "evidence row, recorded as request.decided / signature.added",
    "approvals/kernel.py:open_followers": "followers opened inside request.decided / request.signed",
    "approvals/kernel.py:withdraw_followers": "followers withdrawn inside request.withdrawn / decided",
    "signing/services.py:copy_signers": "kernel restart, inside request.replaced",
    "signing/turns.py:open_turn": "the next signers asked, inside request.created / request.signed",
    "signing/turns.py:open_for_signing": "kernel opener, inside request.created / replaced",
    # Parts of services that record.
    "clients/services.py:link_contact": "part of membership_create (membership.created)",
    "clients/services.py:contact_emails_follow_login": "part of email_change_confirm (email.changed)",
    "clients/contact_email.py:email_changes_end_requested_by": "part of the access ending (contact.access_ended)",
    # Tasks are bookkeeping of the object they are about (a request, a thread, a folder): created,
    # handled and closed inside the service that records that object's event.
    "todos/services.py:todo_create": "inside request.created, message.posted, todo.created (uploads)",
    "todos/services.py:todo_handle": "inside request.decided, signature.added, message.posted",
    "todos/services.py:todos_handle_for_target": "as todo_handle",
    "todos/services.py:todo_close": "a task whose object is gone closes by itself",
    "todos/services.py:todos_close_for_target": "inside request.withdrawn, document.withdrawn, ...",
    # Delivery and read state: the outbox and the bell, not changes of anyone's data.
    "notifications/services.py:notify": "outbox rows, written with the event they tell of",
    "notifications/services.py:notifications_send_chunk": "delivery bookkeeping of a job",
    "notifications/services.py:notifications_mark_read": "read state of the bell",
    "messaging/services.py:thread_read": "read state of a conversation",
    # One-time codes and step-up challenges: a wrong code records auth.twostep_failed, and the
    # confirmed action records its own event.
    "twostep/services.py:sms_send_code": "a one-time code sent",
    "twostep/services.py:sms_send_login_code": "a one-time code sent",
    "twostep/stepup.py:stepup_begin": "a step-up challenge",
    # A bulk publication's draft (staged files matched to environments): nothing is published or
    # shown to anyone until it is confirmed (bulk.confirmed), and a discarded draft is recorded.
    "dossiers/bulk_plan.py:bulk_prepare": "a draft, recorded when confirmed or discarded",
    # The firm's seal made on first use, by the system, before the first thing it seals.
    "signing/seals.py:firm_seal": "generated once, as part of the sealing that records its event",
    "signing/seals.py:sealer_for_firm": "as firm_seal",
    "signing/seals.py:seal_for_firm": "as firm_seal",
}


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _functions() -> dict[tuple[str, str], set[str]]:
    """(module, function) -> the names it calls, for every top-level function of the modules."""
    calls = {}
    for module in SERVICE_MODULES:
        tree = ast.parse((ROOT / module).read_text(), filename=module)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                calls[(module, node.name)] = _called_names(node)
    return calls


def _closure(calls: dict[tuple[str, str], set[str]], seeds: set[str]) -> set[tuple[str, str]]:
    """The functions that call one of ``seeds``, directly or through another function: a private one
    of the same module, or a public one of any service module (by name)."""
    found = {key for key, called in calls.items() if called & seeds}
    while True:
        public = {name for _module, name in found if not name.startswith("_")}
        more = {
            (module, name)
            for (module, name), called in calls.items()
            if called & public or any((module, other) in found for other in called if other.startswith("_"))
        } - found
        if not more:
            return found
        found |= more


def writers_without_record() -> list[str]:
    calls = _functions()
    writes = _closure(calls, WRITES)
    records = _closure(calls, {"record", "record_for_person"})
    return [
        f"{module}:{name}"
        for module, name in calls
        if not name.startswith("_") and (module, name) in writes and (module, name) not in records
    ]


def test_every_service_that_writes_records_an_event():
    missing = [name for name in writers_without_record() if name not in ALLOW]
    assert missing == [], f"These services write without an audit event (record it, or allow-list why): {missing}"


def test_the_allow_list_names_only_services_that_still_write_without_recording():
    stale = sorted(set(ALLOW) - set(writers_without_record()))
    assert stale == []
