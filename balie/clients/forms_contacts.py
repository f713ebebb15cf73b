"""Forms for contact persons and their portal access (ORG-4). They validate; services write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.clients.contacts import CONTACT_FIELDS, OWN_CONTACT_FIELDS, Access
from balie.clients.models import ContactPerson, Membership, phone_validator

ACCESS_FIELDS = ("role", "is_director", "may_handle_documents", "ends_on")


class OwnContactForm(forms.Form):
    """What every member may change of their own contact person: no role, flags, end date or login."""

    salutation = forms.ChoiceField(label=_("Salutation"), choices=ContactPerson.Salutation.choices)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, validators=[phone_validator])

    def __init__(self, *args, contact: ContactPerson | None = None, **kwargs):
        if contact is not None:
            kwargs.setdefault("initial", {name: getattr(contact, name) for name in OWN_CONTACT_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["salutation"].choices = [("", "—"), *ContactPerson.Salutation.choices]

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in OWN_CONTACT_FIELDS}

    def access(self) -> Access | None:
        return None


class ContactForm(OwnContactForm):
    """A Beheerder's (or the firm's) form: details, and portal access with role, flags and end date.

    ``holder`` is the contact's membership or pending invitation: then the access fields change
    it, and the e-mail address (of the login or the invitation) is shown but not changed. Without
    one, "Give portal access" invites the person at the e-mail address.
    """

    email = forms.EmailField(label=_("E-mail address"), required=False)
    give_access = forms.BooleanField(label=_("Give portal access"), required=False)
    role = forms.ChoiceField(
        label=_("Authorisation role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.EMPLOYEE,
        required=False,
    )
    is_director = forms.BooleanField(label=_("Director (receives approval requests)"), required=False)
    may_handle_documents = forms.BooleanField(label=_("May handle documents (approve, reject, sign)"), required=False)
    ends_on = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. Access ends by itself after this day, e.g. for a bookkeeper until 31 December."),
    )

    field_order = [*CONTACT_FIELDS, "give_access", *ACCESS_FIELDS]

    def __init__(self, *args, client, contact: ContactPerson | None = None, holder=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if contact is not None:
            initial.update({name: getattr(contact, name) for name in CONTACT_FIELDS})
        if holder is not None:
            initial.update({name: getattr(holder, name) for name in ACCESS_FIELDS})
        super().__init__(*args, **kwargs)
        self.client = client
        self.holder = holder
        if holder is not None:
            del self.fields["give_access"]
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _(
                "The address this person signs in with (or is invited at); they change it themselves."
            )
        if client.is_personal:
            del self.fields["role"]  # the one person of a personal environment is its Beheerder

    @property
    def has_access(self) -> bool:
        return self.holder is not None

    def clean_ends_on(self):
        ends_on = self.cleaned_data.get("ends_on")
        unchanged = self.holder is not None and ends_on == self.holder.ends_on
        if ends_on and ends_on < timezone.localdate() and not unchanged:
            raise forms.ValidationError(_("The end date cannot be in the past."))
        return ends_on

    def clean(self):
        data = super().clean()
        if data.get("give_access") and not data.get("email"):
            self.add_error("email", _("Enter the e-mail address the invitation is sent to."))
        return data

    def details(self) -> dict:
        names = [name for name in CONTACT_FIELDS if not self.fields.get(name) or not self.fields[name].disabled]
        return {name: self.cleaned_data.get(name, "") for name in names}

    def access(self) -> Access | None:
        """The access asked for: the holder's new access, a new one, or None (no access)."""
        if self.holder is None and not self.cleaned_data.get("give_access"):
            return None
        data = self.cleaned_data
        return Access(
            role=data.get("role") or Membership.Role.EMPLOYEE,
            is_director=bool(data.get("is_director")),
            may_handle_documents=bool(data.get("may_handle_documents")),
            ends_on=data.get("ends_on"),
        ).for_client(self.client)

    def access_changed(self) -> bool:
        """Whether saving gives access or changes its role, flags or end date (step-up needed)."""
        wanted = self.access()
        if wanted is None:
            return False
        return self.holder is None or Access.of(self.holder).for_client(self.client) != wanted


class LoginEmailForm(forms.Form):
    """A new sign-in address for a contact person with portal access; they confirm it themselves."""

    email = forms.EmailField(label=_("New e-mail address"), max_length=254)
