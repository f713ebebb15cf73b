from django import forms
from django.utils.translation import gettext_lazy as _

from balie.clients.models import ChangePolicy, Client
from balie.firms.models import StaffMember


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = [
            "kind",
            "name",
            "number",
            "kvk_number",
            "legal_form",
            "parent",
            "street",
            "postal_code",
            "city",
            "email",
            "phone",
            "change_policy",
            "relationship_managers",
        ]
        widgets = {"relationship_managers": forms.CheckboxSelectMultiple}

    def __init__(self, *args, firm, **kwargs):
        super().__init__(*args, **kwargs)
        holdings = Client.objects.filter(firm=firm, kind=Client.Kind.HOLDING)
        if self.instance.pk:
            holdings = holdings.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = holdings
        self.fields["relationship_managers"].queryset = StaffMember.objects.filter(firm=firm).select_related("user")
        self.fields["relationship_managers"].label_from_instance = lambda m: m.user.get_full_name() or m.user.email
        # Empty: the firm's setting applies (FIRM-3); say which one that is.
        firm_policy = dict(ChangePolicy.choices).get(firm.change_policy, firm.change_policy)
        self.fields["change_policy"].choices = [
            ("", _("As set for the firm (now: %(policy)s)") % {"policy": firm_policy}),
            *ChangePolicy.choices,
        ]
        self.fields["change_policy"].help_text = _("Whether this environment's changes of its data need review.")

    def clean(self):
        data = super().clean()
        if data.get("kind") == Client.Kind.PERSONAL and data.get("parent"):
            self.add_error("parent", _("A personal environment does not belong to a holding."))
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class AppTileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("For example Exact Online or Nmbrs."))
    url = forms.URLField(label=_("Web address"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    icon = forms.ChoiceField(label=_("Icon"), choices=[])

    def __init__(self, *args, **kwargs):
        from balie.clients.models import AppTile

        super().__init__(*args, **kwargs)
        self.fields["icon"].choices = AppTile.Icon.choices
