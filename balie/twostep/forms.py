import re

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.twostep.models import STEPUP_FACTORS, Factor

MOBILE_RE = re.compile(r"^\+?[0-9]{10,15}$")


def normalise_mobile(raw: str) -> str:
    number = re.sub(r"[\s\-()]", "", raw or "")
    if not MOBILE_RE.match(number):
        raise forms.ValidationError(_("Enter a mobile number such as 06 12345678 or +31 6 12345678."))
    if number.startswith("06"):
        number = "+316" + number[2:]
    elif number.startswith("00"):
        number = "+" + number[2:]
    elif not number.startswith("+"):
        raise forms.ValidationError(_("Enter a mobile number such as 06 12345678 or +31 6 12345678."))
    return number


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Code"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True})


class CodeForm(forms.Form):
    code = CodeField()


class TotpForm(forms.Form):
    code = CodeField(label=_("Code from the app"), help_text=_("Six digits, shown by the app for 30 seconds."))


class MobileForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Mobile number"), max_length=20, help_text=_("For example 06 12345678 or +31 6 12345678.")
    )

    def clean_phone_number(self) -> str:
        return normalise_mobile(self.cleaned_data["phone_number"])


class PinForm(MobileForm):
    pin = forms.CharField(
        label=_("PIN from the letter"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    field_order = ["pin", "phone_number"]


class PasskeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this passkey"),
        max_length=60,
        help_text=_("So you recognise it later, for example 'Laptop' or 'Phone'."),
    )
    credential = forms.JSONField(widget=forms.HiddenInput, required=True)


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        # Whether another account uses the address is not told here (nor after the confirmation):
        # the answer is the same as for a free address, and no link goes to it.
        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email:
            raise forms.ValidationError(_("This is already your e-mail address."))
        return email


class ResetForm(forms.Form):
    note = forms.CharField(
        label=_("How did you check who the person is?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: called back on the number in our records and asked for their date of birth."),
    )


class PolicyForm(forms.Form):
    twostep_required_for_clients = forms.BooleanField(label=_("Required for clients"), required=False)
    twostep_required_for_staff = forms.BooleanField(label=_("Required for staff"), required=False)
    stepup_factors = forms.MultipleChoiceField(
        label=_("Accepted to confirm approvals, signatures and changes"),
        choices=[(factor.value, factor.label) for factor in STEPUP_FACTORS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A PIN is weaker than the others: it is a code known by heart, not something the person has."),
    )

    def clean_stepup_factors(self):
        value = self.cleaned_data["stepup_factors"]
        if not set(value) & {Factor.WEBAUTHN, Factor.TOTP, Factor.SMS}:
            raise forms.ValidationError(_("Accept at least a passkey, the authenticator app or an SMS code."))
        return value
