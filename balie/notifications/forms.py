from django import forms

from balie.notifications.models import EventKind, Frequency


class PreferencesForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in EventKind.choices:
            self.fields[kind] = forms.ChoiceField(label=label, choices=Frequency.choices)
