from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ContactableForm(forms.Form):
    """Ticks the staff clients can choose when they write to the firm (named by the login's public id)."""

    contactable = forms.MultipleChoiceField(
        label=_("Clients can send this person a message"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self._members = {str(member.user.public_id): member for member in members}
        self.fields["contactable"].choices = [(key, member.user.email) for key, member in self._members.items()]

    def chosen_ids(self) -> set[int]:
        return {self._members[key].pk for key in self.cleaned_data["contactable"]}
