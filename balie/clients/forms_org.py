"""Forms of the environment's own data (ORG-2, ORG-3) and the firm's change policy (FIRM-3)."""

from __future__ import annotations

import copy
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.clients.models import ChangePolicy, Client, kvk_validator
from balie.clients.organisation import COMPANY_ONLY_FIELDS, ORGANISATION_FIELDS


def normalise_postal_code(value: str) -> str:
    """ "1234ab" and "1234 ab" become "1234 AB"; anything else stays for the validator to refuse."""
    value = (value or "").strip().upper()
    compact = value.replace(" ", "")
    if re.fullmatch(r"\d{4}[A-Z]{2}", compact):
        return f"{compact[:4]} {compact[4:]}"
    return value


class OrganisationForm(forms.ModelForm):
    """The fields a Beheerder may change; validated by the model's own validators.

    Works on a copy of the client, so that an invalid form never alters the environment the
    rest of the page shows.
    """

    class Meta:
        model = Client
        fields = list(ORGANISATION_FIELDS)
        error_messages = {
            "email": {"invalid": _("Enter a valid e-mail address, such as info@example.nl.")},
        }

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, instance=copy.copy(client), **kwargs)
        if client.is_personal:
            for name in COMPANY_ONLY_FIELDS:
                del self.fields[name]
        self.fields["name"].label = _("Name") if client.is_personal else _("Name of the organisation")
        if "kvk_number" in self.fields:
            self.fields["kvk_number"].max_length = None  # checked whole in clean_kvk_number, one message
            self.fields["kvk_number"].validators = []
            self.fields["kvk_number"].help_text = _("8 digits, as on the extract of the Chamber of Commerce.")
            self.fields["kvk_number"].widget.attrs.update({"inputmode": "numeric", "maxlength": "12"})
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_name(self) -> str:
        return (self.cleaned_data.get("name") or "").strip()

    def clean_kvk_number(self) -> str:
        # Spaces and dots as people copy them from an extract; then exactly 8 digits.
        value = re.sub(r"[\s.]", "", self.cleaned_data.get("kvk_number") or "")
        if value and not re.fullmatch(r"\d{8}", value):
            raise forms.ValidationError(kvk_validator.message, code="kvk")
        return value

    def clean_postal_code(self) -> str:
        return normalise_postal_code(self.cleaned_data.get("postal_code"))

    def clean_phone(self) -> str:
        return (self.cleaned_data.get("phone") or "").strip()

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.fields}


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why do you reject the change?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The client sees this note."),
        max_length=2000,
        error_messages={"required": _("Write why you reject the change; the client reads this note.")},
    )


class ChangePolicyForm(forms.Form):
    change_policy = forms.ChoiceField(
        label=_("How do clients' changes of their data take effect?"),
        choices=ChangePolicy.choices,
        widget=forms.RadioSelect,
    )
