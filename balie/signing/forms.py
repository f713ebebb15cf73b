"""The signature as the pad sends it (drawn on the canvas or typed), and the reason for not signing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from balie.signing import images
from balie.signing.models import Signature

# A data URL of the largest drawing ``images.drawn_png`` accepts, with room to spare.
MAX_DRAWING_CHARS = images.MAX_BYTES * 4 // 3 + 100


class SignatureForm(forms.Form):
    """Drawn or typed; ``clean`` turns either into Balie's own PNG in ``self.image_png`` and puts a
    clear error on the field the person used (an empty drawing, a name too short or too long)."""

    method = forms.ChoiceField(
        label=_("How do you sign?"),
        choices=[
            (Signature.Method.DRAWN.value, pgettext_lazy("signature", "Draw")),
            (Signature.Method.TYPED.value, pgettext_lazy("signature", "Type")),
        ],
        initial=Signature.Method.DRAWN.value,
    )
    drawing = forms.CharField(
        required=False,
        max_length=MAX_DRAWING_CHARS,
        widget=forms.HiddenInput,
        error_messages={"max_length": _("The drawing is too large. Draw your signature again.")},
    )
    typed_name = forms.CharField(label=_("Your full name"), required=False, max_length=120)

    def __init__(self, *args, name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["typed_name"].initial = name
        self.fields["typed_name"].widget.attrs.update({"autocomplete": "name", "data-pad-typed": ""})
        self.fields["drawing"].widget.attrs["data-pad-drawing"] = ""
        self.image_png: bytes = b""

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if "drawing" in self.errors:
            return data
        try:
            if method == Signature.Method.DRAWN:
                self.image_png = images.drawn_png(data.get("drawing", ""))
            elif method == Signature.Method.TYPED:
                self.image_png = images.typed_png(data.get("typed_name", ""))
        except ValidationError as error:
            self.add_error("drawing" if method == Signature.Method.DRAWN else "typed_name", error)
        # What the other tab holds is no part of the signature.
        if method == Signature.Method.DRAWN:
            data["typed_name"] = ""
        else:
            data["drawing"] = ""
            data["typed_name"] = " ".join(data.get("typed_name", "").split())
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you not sign?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason why you do not sign.")},
        help_text=_("Your firm reads this. The request stops: nobody else can sign it any more."),
    )
