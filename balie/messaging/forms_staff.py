"""Forms of the firm's inbox: its filters, an answer, an internal note, assigning a colleague."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.messaging.models import Thread

ME, NOBODY, MINE = "me", "nobody", "mine"
STATUS_ALL = "all"


def person_name(user) -> str:
    return user.get_full_name() or user.email


class InboxFilterForm(forms.Form):
    """The inbox's filters, from the query string; a value that does not fit is ignored."""

    q = forms.CharField(
        label=_("Search subjects, messages and notes"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    omgeving = forms.ChoiceField(label=_("Environment"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (Thread.Status.OPEN, _("Open")),
            (Thread.Status.HANDLED, _("Handled")),
            (STATUS_ALL, _("All")),
        ],
    )
    waiting = forms.BooleanField(label=_("Waiting for us"), required=False)
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def __init__(self, *args, staff, colleagues, environments, **kwargs):
        super().__init__(*args, **kwargs)
        self._colleagues = {str(each.user.public_id): each.user for each in colleagues}
        self._environments = {str(each.public_id): each for each in environments}
        others = [(key, person_name(user)) for key, user in self._colleagues.items() if user.pk != staff.user_id]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (MINE, _("Me or nobody")),
            (ME, _("Me")),
            (NOBODY, _("Nobody")),
            *others,
        ]
        self.fields["omgeving"].choices = [("", _("All environments"))] + [
            (key, client.name) for key, client in self._environments.items()
        ]

    def filters(self, *, user) -> dict:
        """Keyword arguments for ``selectors.inbox_for_staff``, plus ``mine`` (me or nobody)."""
        self.is_valid()  # the fields that fit are in cleaned_data, the others are left out
        data = self.cleaned_data
        assignee = data.get("assignee") or ""
        status = data.get("status") or Thread.Status.OPEN
        return {
            "assignee": user if assignee == ME else self._colleagues.get(assignee),
            "unassigned": assignee == NOBODY,
            "mine": assignee == MINE,
            "client": self._environments.get(data.get("omgeving") or ""),
            "unread": bool(data.get("unread")),
            "waiting": bool(data.get("waiting")),
            "status": "" if status == STATUS_ALL else status,
            "q": data.get("q") or "",
        }


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write your message.")},
    )
    # The attachments are read from request.FILES and checked by the service, with the message.


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your note.")},
        help_text=_("Only the firm sees notes; the client never does."),
    )

    def __init__(self, *args, **kwargs):
        # The answer's textarea on the same page is id_body; the posted field keeps its name.
        kwargs.setdefault("auto_id", "id_note_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(
        label=_("Assign to"),
        required=False,
        error_messages={"invalid_choice": _("Choose a colleague of this firm.")},
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self._colleagues = {str(each.user.public_id): each.user for each in colleagues}
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (key, person_name(user)) for key, user in self._colleagues.items()
        ]

    @property
    def chosen(self):
        """The colleague chosen, or None for nobody (after ``is_valid``)."""
        return self._colleagues.get(self.cleaned_data.get("assignee") or "")


class NewThreadForm(forms.Form):
    """Nieuw bericht by the firm to an environment: a subject, the text and, if wanted, one of that
    environment's dossiers (its attachments then go there). Attachments come from request.FILES."""

    subject = forms.CharField(
        label=_("Subject"), max_length=200, error_messages={"required": _("Give your message a subject.")}
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8, "data-richtext": ""}),
        error_messages={"required": _("Write your message.")},
    )
    dossier = forms.ChoiceField(
        label=_("Dossier"),
        required=False,
        error_messages={"invalid_choice": _("Choose a dossier of this environment.")},
    )

    def __init__(self, *args, dossiers, **kwargs):
        super().__init__(*args, **kwargs)
        self._dossiers = {str(dossier.public_id): dossier for dossier in dossiers}
        self.fields["dossier"].choices = [("", _("No dossier"))] + [
            (key, f"{dossier.number} · {dossier.description}" if dossier.number else dossier.description)
            for key, dossier in self._dossiers.items()
        ]

    def clean_dossier(self):
        return self._dossiers.get(self.cleaned_data.get("dossier") or "")
