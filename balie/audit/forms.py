"""The firm log's filters (person, environment, action, period), read from the query string."""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.audit import actions, hooks
from balie.audit.selectors import LogFilter


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class LogFilterForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"), required=False)
    environment = forms.ChoiceField(label=_("Environment"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=_("Up to and including"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, firm, **kwargs):
        super().__init__(*args, **kwargs)
        from balie.firms.models import StaffMember

        staff = (
            StaffMember.objects.filter(firm=firm).select_related("user").order_by("user__first_name", "user__last_name")
        )
        self.people = {str(member.user.public_id): member.user for member in staff}
        everyone = [("", _("Everyone"))]
        cast(forms.ChoiceField, self.fields["person"]).choices = everyone + [
            (key, str(user)) for key, user in self.people.items()
        ]
        self.environment_names = dict(hooks.environments_of_firm(firm_id=firm.pk))
        cast(forms.ChoiceField, self.fields["environment"]).choices = [
            ("", _("All environments")),
            *self.environment_names.items(),
        ]
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _("All actions"))] + [
            (name, actions.label(name)) for name in actions.names()
        ]

    def clean(self):
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The period ends before it starts."))
        return cleaned

    def log_filter(self) -> LogFilter:
        """The filter of a valid form (an invalid one filters nothing)."""
        if not self.is_valid():
            return LogFilter()
        data = self.cleaned_data
        person = self.people.get(data["person"]) if data["person"] else None
        return LogFilter(
            actor_user_id=None if person is None else person.pk,
            environment=data["environment"] or None,
            action=data["action"],
            since=_start_of(data["since"]) if data["since"] else None,
            until=_start_of(data["until"] + datetime.timedelta(days=1)) if data["until"] else None,
        )
