"""Forms of the client side of messages. They check that the fields are there; the services
check everything else (sanitising, the recipient, the attachments) and the views show their
errors on the same fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

BODY_WIDGET = forms.Textarea(attrs={"rows": 8, "data-richtext": ""})


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=BODY_WIDGET, error_messages={"required": _("Write your message.")}
    )


class MessageForm(ReplyForm):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, error_messages={"required": _("Give your message a subject.")}
    )
    field_order = ["subject", "body"]


class ContactForm(MessageForm):
    """Contact (MSG-1): to one of the people the firm lets clients write to."""

    recipient = forms.ChoiceField(label=_("To"), error_messages={"required": _("Choose whom you write to.")})
    field_order = ["recipient", "subject", "body"]

    def __init__(self, *args, people: list, managers: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(person.public_id): person for person in people}
        self.fields["recipient"].choices = [("", _("Choose a person"))] + [
            (str(person.public_id), _label(person, manager=person.pk in managers)) for person in people
        ]
        self.fields["recipient"].error_messages["invalid_choice"] = _(
            "You cannot write to this person; choose someone from the list."
        )

    def clean_recipient(self):
        return self.people[self.cleaned_data["recipient"]]


def _label(user, *, manager: bool) -> str:
    name = user.get_full_name() or user.email
    return _("%(name)s (your contact person)") % {"name": name} if manager else name
