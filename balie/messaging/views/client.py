"""The client side of messages (MSG-1 .. MSG-3): the list with search, a thread with its reply
form, and the three ways to start one (Stel een vraag, Contact, Nieuw bericht in a dossier).

Every view starts from ``request.client`` (``client_required``) and finds threads through the
selectors, which look only inside that environment. Forms are sent whole, attachments included:
with JavaScript by one request that shows its progress and answers in JSON, without it as a plain
form. A message is stored whole or not at all (``services``), so a failed send keeps the text.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from balie.clients.access import client_required
from balie.core.limits import allows_large_body
from balie.dossiers import limits
from balie.dossiers.selectors import get_dossier
from balie.dossiers.uploads import upload_limits
from balie.messaging import richtext, selectors, services
from balie.messaging.forms import ContactForm, MessageForm, ReplyForm
from balie.messaging.models import Thread, ThreadRead

PAGE_SIZE = 25
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z]")


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _data(request):
    return request.POST if request.method == "POST" else None


def _kept_body(raw: str) -> str:
    """The typed text to show again after an error: plain text as typed, HTML only as sanitised
    (it goes back into the editor, so nothing hostile may come back with it)."""
    return richtext.clean(raw) if _TAG.search(raw or "") else (raw or "")


def _limits(client) -> dict:
    limits = upload_limits(client.firm)
    return {**limits, "max_files": min(limits["max_files"], services.MAX_ATTACHMENTS)}


def _send(request, form, send) -> tuple[object | None, list[str]]:
    """Validates ``form`` and calls ``send(cleaned_data, uploads)`` (which returns the URL to go
    to). Returns (response, attachment errors): a response when done or when answering in JSON."""
    uploads = request.FILES.getlist("attachments")
    attachment_errors: list[str] = []
    if form.is_valid():
        try:
            url = send(form.cleaned_data, uploads)
        except ValidationError as error:
            found = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            for field, problems in found.items():
                if field == "attachments":
                    attachment_errors.extend(problems)
                else:
                    form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Your message has been sent to %(firm)s.") % {"firm": request.client.firm.name})
            if _wants_json(request):
                return JsonResponse({"ok": True, "url": url}), []
            return redirect(url), []
    if _wants_json(request):
        errors = {field: list(problems) for field, problems in form.errors.items()}
        if attachment_errors:
            errors["attachments"] = attachment_errors
        return JsonResponse({"ok": False, "errors": errors}, status=400), attachment_errors
    return None, attachment_errors


def _compose_context(request, form, attachment_errors) -> dict:
    sent_files = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    return {
        "form": form,
        "body_value": _kept_body(request.POST.get("body", "")) if request.method == "POST" else "",
        "attachment_errors": attachment_errors,
        "files_not_sent": sent_files,  # a browser cannot be given files back: they must be chosen again
        "limits": _limits(request.client),
    }


def _compose(request, *, form, send, context: dict):
    attachment_errors: list[str] = []
    if request.method == "POST":
        response, attachment_errors = _send(request, form, send)
        if response is not None:
            return response
    context.update(_compose_context(request, form, attachment_errors))
    return render(request, "messaging/compose.html", context, status=400 if form.is_bound else 200)


@client_required
@require_http_methods(["GET"])
def thread_list(request):
    """Berichten: the environment's open threads, newest activity first, unread in bold; search on
    subjects and message text. Handled ones are under Historie."""
    return _threads_page(request, status=Thread.Status.OPEN)


@client_required
@require_http_methods(["GET"])
def thread_history(request):
    """Historie: every handled thread of the environment, searchable like the open ones; a new
    message in one brings it back to the open list."""
    return _threads_page(request, status=Thread.Status.HANDLED)


def _threads_page(request, *, status: str):
    query = request.GET.get("q", "").strip()[:200]
    threads = selectors.threads_for_member(user=request.user, client=request.client, q=query, status=status)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "history": status == Thread.Status.HANDLED}
    return render(request, "messaging/list.html", context)


def _starter(request, kind: str, **extra):
    """What sending a new thread of ``kind`` does: ``extra`` maps thread_start's further arguments
    to functions of the form's data (the recipient, the dossier); returns the thread's address."""

    def send(data, uploads):
        return services.thread_start(
            client=request.client,
            user=request.user,
            kind=kind,
            subject=data["subject"],
            body=data["body"],
            uploads=uploads,
            **{name: value(data) for name, value in extra.items()},
        ).get_absolute_url()

    return send


@allows_large_body(limits.for_client_uploads(files=services.MAX_ATTACHMENTS))
@client_required
@require_http_methods(["GET", "POST"])
def question_new(request):
    """Stel een vraag (MSG-3): a question to the firm with a subject, text and attachments."""
    form = MessageForm(_data(request))
    return _compose(
        request,
        form=form,
        send=_starter(request, Thread.Kind.QUESTION),
        context={
            "title": _("Ask a question"),
            "lead": _("Ask %(firm)s anything, and add documents if you like.") % {"firm": request.client.firm.name},
            "cancel_url": reverse("home:client", args=[request.client.public_id]),
        },
    )


@allows_large_body(limits.for_client_uploads(files=services.MAX_ATTACHMENTS))
@client_required
@require_http_methods(["GET", "POST"])
def contact_new(request):
    """Contact (MSG-1): a message to a chosen person at the firm."""
    people = services.contactable_staff(client=request.client)
    relationship_managers = list(request.client.relationship_managers.select_related("user"))
    managers = {staff.user_id for staff in relationship_managers}
    form = ContactForm(_data(request), people=people, managers=managers)

    return _compose(
        request,
        form=form,
        send=_starter(request, Thread.Kind.CONTACT, recipient=lambda data: data["recipient"]),
        context={
            "title": _("Contact"),
            "lead": _("Write to a person at %(firm)s. Your message is sent safely through the portal.")
            % {"firm": request.client.firm.name},
            "cancel_url": reverse("home:client", args=[request.client.public_id]),
            "nobody": not people,
            "managers": [staff for staff in relationship_managers if staff.user.is_active],
        },
    )


@allows_large_body(limits.for_client_uploads(files=services.MAX_ATTACHMENTS))
@client_required
@require_http_methods(["GET", "POST"])
def dossier_message_new(request, dossier):
    """Nieuw bericht (MSG-2): a message about one dossier; attachments go into that dossier."""
    dossier = get_dossier(client=request.client, dossier_public_id=dossier)
    form = MessageForm(_data(request))
    return _compose(
        request,
        form=form,
        send=_starter(request, Thread.Kind.DOSSIER, dossier=lambda data: dossier),
        context={
            "title": _("New message"),
            "lead": _("About the dossier %(dossier)s.") % {"dossier": dossier.description},
            "dossier": dossier,
            "cancel_url": reverse("dossiers:detail", args=[request.client.public_id, dossier.public_id])
            + "?tab=berichten",
        },
    )


@allows_large_body(limits.for_client_uploads(files=services.MAX_ATTACHMENTS))
@client_required
@require_http_methods(["GET", "POST"])
def thread(request, thread):
    """A thread (MSG-2): its messages, newest last, incoming and outgoing marked; Beantwoorden
    and Afgehandeld. Opening it marks it read."""
    thread = selectors.get_thread_for_member(client=request.client, public_id=thread, user=request.user)
    form = ReplyForm(_data(request))
    attachment_errors: list[str] = []
    if request.method == "POST":

        def send(data, uploads):
            message = services.reply(thread=thread, user=request.user, body=data["body"], uploads=uploads)
            return f"{thread.get_absolute_url()}#message-{message.public_id}"

        response, attachment_errors = _send(request, form, send)
        if response is not None:
            return response
    read = ThreadRead.objects.filter(thread=thread, user=request.user).values_list("read_at", flat=True).first()
    thread_messages = list(selectors.messages_for_member(thread=thread))
    for message in thread_messages:
        message.is_new = message.author_id != request.user.pk and (read is None or message.created_at > read)
    if request.method == "GET":
        services.thread_read(thread=thread, user=request.user)
    context = {"thread": thread, "thread_messages": thread_messages}
    context.update(_compose_context(request, form, attachment_errors))
    return render(request, "messaging/thread.html", context, status=400 if form.is_bound else 200)


@client_required
@require_POST
def thread_handle(request, thread):
    """Afgehandeld: the thread is done; the reply task closes. A new message opens it again."""
    thread = selectors.get_thread_for_member(client=request.client, public_id=thread, user=request.user)
    services.thread_handle(thread=thread, user=request.user)
    messages.success(request, _("The message is marked as handled."))
    return redirect(thread.get_absolute_url())
