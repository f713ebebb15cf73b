from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from balie.accounts.hooks import environments
from balie.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        # The mobile number and e-mail address change through their own confirmed pages.
        fields = ["first_name", "last_name", "language", "preferred_client"]
        help_texts = {"preferred_client": _("Opens first after signing in.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["preferred_client"].queryset = environments().visible_to(user=self.instance)
        self.fields["preferred_client"].empty_label = _("The last one I used")


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class NewLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
