"""The firm's side of messages (FIRM-1): the inbox of its clients' threads, one thread with its
internal notes, answering, notes, assigning a colleague and marking a thread handled, and a new
message from the firm to one of its environments.

Every thread is reached through ``selectors.get_thread_for_staff`` (a thread of one of the staff
member's own firm's environments, else 404).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.clients.selectors import get_client_for_staff
from balie.core.actions import service_refusal
from balie.core.limits import allows_large_body
from balie.dossiers import limits
from balie.dossiers.selectors import dossier_list
from balie.dossiers.uploads import upload_limits
from balie.firms.access import staff_required
from balie.messaging import richtext, selectors, selectors_staff, services
from balie.messaging.forms_staff import (
    ME,
    MINE,
    NOBODY,
    AssignForm,
    InboxFilterForm,
    NewThreadForm,
    NoteForm,
    ReplyForm,
    person_name,
)
from balie.messaging.models import Thread

PAGE_SIZE = 25
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z]")


@staff_required
@require_GET
def inbox(request):
    """Berichten: the open threads of the firm's clients, filtered on assignee, environment,
    unread, waiting for us, status and a search over subjects, messages and notes."""
    staff = request.staff
    colleagues = list(selectors_staff.colleagues_for_staff(staff=staff))
    environments = list(selectors_staff.environments_with_threads(staff=staff))
    form = InboxFilterForm(request.GET, staff=staff, colleagues=colleagues, environments=environments)
    filters = form.filters(user=request.user)
    mine = filters.pop("mine")
    threads = selectors.inbox_for_staff(staff=staff, **filters)
    if mine:
        threads = selectors_staff.for_me_or_nobody(threads, user=request.user)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "presets": _presets(request.GET),
        "Thread": Thread,
    }
    return render(request, "messaging/staff/inbox.html", context)


def _presets(query) -> list[dict]:
    """The tabs above the filters; the current one when the query is exactly one of them."""
    current = {key: value for key, value in query.items() if key != "page" and value}
    tabs = [
        ("waiting", _("Waiting for us"), {"assignee": MINE, "waiting": "1"}),
        ("me", _("Assigned to me"), {"assignee": ME}),
        ("nobody", _("Unassigned"), {"assignee": NOBODY}),
        ("all", _("All open"), {}),
    ]
    return [
        {"name": name, "label": label, "query": urlencode(values), "current": values == current}
        for name, label, values in tabs
    ]


def _limits(client) -> dict:
    limits = upload_limits(client.firm)
    return {**limits, "max_files": min(limits["max_files"], services.MAX_ATTACHMENTS)}


def _get(request, thread) -> Thread:
    return selectors.get_thread_for_staff(staff=request.staff, public_id=thread)


def _back(thread: Thread):
    return redirect("messaging_staff:thread", thread=thread.public_id)


def _page(request, thread: Thread, *, reply_form=None, reply_state=None, note_form=None, assign_form=None, status=200):
    colleagues = list(selectors_staff.colleagues_for_staff(staff=request.staff))
    if assign_form is None:
        initial = {"assignee": str(thread.assignee.public_id) if thread.assignee_id else ""}
        assign_form = AssignForm(colleagues=colleagues, initial=initial)
    context = {
        "thread": thread,
        "client": thread.client,
        "thread_messages": selectors_staff.thread_messages_for_staff(thread=thread),
        "reply_form": reply_form or ReplyForm(),
        **(reply_state or {"body_value": "", "attachment_errors": [], "files_not_sent": False}),
        "limits": _limits(thread.client),
        "note_form": note_form or NoteForm(),
        "assign_form": assign_form,
        "Thread": Thread,
    }
    return render(request, "messaging/staff/thread.html", context, status=status)


@staff_required
@require_GET
def thread(request, thread):
    """One thread with every message and internal note; opening it marks it read for this person."""
    thread = _get(request, thread)
    services.thread_read(thread=thread, user=request.user)
    record(
        "staff.thread_viewed",
        firm=request.staff.firm,
        actor=request.user,
        actor_kind=ActorKind.STAFF,
        environment=thread.client,
        obj=thread,
    )
    return _page(request, thread)


def _file_errors_apart(form, error: ValidationError) -> list[str]:
    """Puts a service's errors on the form's fields and returns those about the attachments (shown
    by the attachment picker, not as a field of the form)."""
    files = []
    for field, texts in _errors_of(error).items():
        if field == "attachments":
            files.extend(texts)
        else:
            form.add_error(field if field in form.fields else None, texts)
    return files


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _kept_body(raw: str) -> str:
    """The typed answer to show again after an error: plain text as typed, HTML only sanitised (it
    goes back into the editor, so nothing hostile may come back with it)."""
    return richtext.clean(raw) if _TAG.search(raw or "") else (raw or "")


@allows_large_body(limits.for_staff_uploads(files=services.MAX_ATTACHMENTS))
@staff_required
@require_POST
def reply(request, thread):
    """Beantwoorden: the client hears of it and gets a "reply" task. Nothing is sent when a file
    fails its check; the text stays in the form. The answer form's script sends it in one request
    and wants JSON back; without JavaScript it is a plain form."""
    thread = _get(request, thread)
    form = ReplyForm(request.POST)
    uploads = request.FILES.getlist("attachments")
    attachment_errors: list[str] = []
    if form.is_valid():
        try:
            message = services.reply(thread=thread, user=request.user, body=form.cleaned_data["body"], uploads=uploads)
        except ValidationError as error:
            attachment_errors.extend(_file_errors_apart(form, error))
        else:
            messages.success(request, _("Your answer has been sent to %(client)s.") % {"client": thread.client.name})
            target = reverse("messaging_staff:thread", args=[thread.public_id]) + f"#message-{message.public_id}"
            return JsonResponse({"ok": True, "url": target}) if _wants_json(request) else redirect(target)
    if _wants_json(request):
        errors = {field: list(texts) for field, texts in form.errors.items()}
        if attachment_errors:
            errors["attachments"] = attachment_errors
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    return _page(
        request,
        thread,
        reply_form=form,
        reply_state={
            "body_value": _kept_body(request.POST.get("body", "")),
            "attachment_errors": attachment_errors,
            "files_not_sent": bool(uploads),  # a browser cannot be given files back: choose them again
        },
        status=400,
    )


@staff_required
@require_POST
def note(request, thread):
    """An internal note: only the firm's staff ever see it."""
    thread = _get(request, thread)
    form = NoteForm(request.POST)
    if form.is_valid():
        with service_refusal(form=form) as outcome:
            services.note_add(thread=thread, user=request.user, body=form.cleaned_data["body"])
        if outcome.ok:
            messages.success(request, _("The note has been added; only the firm sees it."))
            return _back(thread)
    return _page(request, thread, note_form=form, status=400)


@staff_required
@require_POST
def assign(request, thread):
    """Toewijzen: to a colleague of the same firm (who hears of it), to oneself, or to nobody."""
    thread = _get(request, thread)
    form = AssignForm(request.POST, colleagues=list(selectors_staff.colleagues_for_staff(staff=request.staff)))
    if form.is_valid():
        with service_refusal(form=form, field="assignee") as outcome:
            services.thread_assign(thread=thread, assignee=form.chosen, actor=request.user)
        if outcome.ok:
            if form.chosen is None:
                messages.success(request, _("The message is no longer assigned to anyone."))
            else:
                messages.success(
                    request, _("The message has been assigned to %(name)s.") % {"name": person_name(form.chosen)}
                )
            return _back(thread)
    return _page(request, thread, assign_form=form, status=400)


@staff_required
@require_POST
def handle(request, thread):
    """Afgehandeld: off the open list; the client's reply task closes; a new message reopens it."""
    thread = _get(request, thread)
    services.thread_handle(thread=thread, user=request.user)
    messages.success(request, _("“%(subject)s” has been marked as handled.") % {"subject": thread.subject})
    return redirect("messaging_staff:inbox")


def _errors_of(error: ValidationError) -> dict:
    return error.message_dict if hasattr(error, "error_dict") else {None: error.messages}


@allows_large_body(limits.for_staff_uploads(files=services.MAX_ATTACHMENTS))
@staff_required
@require_http_methods(["GET", "POST"])
def new(request, client):
    """Nieuw bericht: the firm starts a thread to an environment, about one of its dossiers or
    none. It waits on the client, who gets a "reply" task; the sender is its assignee. The form's
    script sends it in one request and wants JSON back; without JavaScript it is a plain form."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    form = NewThreadForm(request.POST or None, dossiers=list(dossier_list(client=client)))
    uploads = request.FILES.getlist("attachments") if request.method == "POST" else []
    attachment_errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            dossier = form.cleaned_data["dossier"]
            try:
                thread = services.thread_start(
                    client=client,
                    user=request.user,
                    kind=Thread.Kind.DOSSIER if dossier else Thread.Kind.FIRM,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    uploads=uploads,
                    dossier=dossier,
                )
            except ValidationError as error:
                attachment_errors.extend(_file_errors_apart(form, error))
            else:
                messages.success(request, _("Your message has been sent to %(client)s.") % {"client": client.name})
                target = reverse("messaging_staff:thread", args=[thread.public_id])
                return JsonResponse({"ok": True, "url": target}) if _wants_json(request) else redirect(target)
        if _wants_json(request):
            errors = {field: list(texts) for field, texts in form.errors.items()}
            if attachment_errors:
                errors["attachments"] = attachment_errors
            return JsonResponse({"ok": False, "errors": errors}, status=400)
    context = {
        "client": client,
        "form": form,
        "body_value": _kept_body(request.POST.get("body", "")) if request.method == "POST" else "",
        "attachment_errors": attachment_errors,
        "files_not_sent": bool(uploads),  # a browser cannot be given files back: choose them again
        "limits": _limits(client),
    }
    return render(request, "messaging/staff/new.html", context, status=400 if form.is_bound else 200)
