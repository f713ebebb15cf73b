"""The client's forms: a decision (Akkoord / Niet akkoord), sending now or later, a batch to send."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.approvals.models import After, Decision

SEND_NOW, SEND_LATER = "now", "later"
SEND_CHOICES = [(SEND_NOW, _("Send now")), (SEND_LATER, _("Send later"))]


class DecisionForm(forms.Form):
    """Akkoord (a comment optional) or Niet akkoord (a reason required); after an approval with a
    filing or a notice following it that settles the request, whether to send it now or later
    (APR-2, APR-3)."""

    outcome = forms.ChoiceField(
        choices=[(Decision.Outcome.APPROVED, _("Approve")), (Decision.Outcome.REJECTED, _("Do not approve"))]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional when you approve; required when you do not approve."),
    )
    send = forms.ChoiceField(label=_("After approving"), choices=SEND_CHOICES, required=False)

    def __init__(self, *args, approval, settles: bool = True, **kwargs):
        """``settles``: whether this person's approval would settle the request (with everyone's
        approval needed, only the last one does); only then is sending offered."""
        super().__init__(*args, **kwargs)
        self.approval = approval
        self.settles = settles
        self.offers_sending = approval.after != After.NOTHING and settles

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Decision.Outcome.REJECTED and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Give the reason why you do not approve."))
        if data.get("outcome") == Decision.Outcome.APPROVED and self.offers_sending:
            data["send"] = data.get("send") or SEND_NOW
        else:
            data["send"] = ""
        data["comment"] = (data.get("comment") or "").strip()
        return data


class SendForm(forms.Form):
    """Direct verzenden or later verzenden, for an approved request that has not been sent yet."""

    send = forms.ChoiceField(label=_("Send"), choices=SEND_CHOICES)


class BatchForm(forms.Form):
    """The requests of Klaar om te verzenden chosen to go as one batch."""

    approvals = forms.ModelMultipleChoiceField(
        label=_("Documents to send"),
        queryset=None,
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one document to send.")},
    )

    def __init__(self, *args, ready, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approvals"].queryset = ready
