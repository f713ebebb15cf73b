"""Forms of the firm's side of signing: where one signer's signature goes (page and spot).

A spot is one of a few sensible places on the page, computed from the page's size; the default
is no box at all (the next free default place beside the signature before it, ``pdf.default_box``).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from balie.signing import pdf

DEFAULT = "default"
SPOTS = {
    DEFAULT: _("The default place (at the bottom, beside the signature before it)"),
    "bottom_left": _("Bottom left"),
    "bottom_right": _("Bottom right"),
    "middle_left": _("Middle left"),
    "middle_right": _("Middle right"),
}


def spot_box(spot: str, size: tuple[float, float]) -> list[float] | None:
    """The box [x1, y1, x2, y2] in PDF points of ``spot`` on a page of ``size``; None for the default."""
    if spot not in SPOTS or spot == DEFAULT:
        return None
    width, height = size
    row, column = spot.split("_")
    x1 = pdf.MARGIN if column == "left" else width - pdf.MARGIN - pdf.BOX_WIDTH
    y1 = pdf.MARGIN if row == "bottom" else (height - pdf.BOX_HEIGHT) / 2
    return [round(x1, 1), round(y1, 1), round(x1 + pdf.BOX_WIDTH, 1), round(y1 + pdf.BOX_HEIGHT, 1)]


def spot_of(box, size: tuple[float, float]) -> str:
    """The spot ``box`` is, on a page of ``size``: "default" for no box, "" for a place of its own."""
    if not box:
        return DEFAULT
    for spot in SPOTS:
        if spot != DEFAULT and spot_box(spot, size) == [round(float(value), 1) for value in box]:
            return spot
    return ""


class PlaceForm(forms.Form):
    """One signer's page (empty: the last page) and spot on it. ``data_pdf`` is the document to be
    signed: the page must be one of its pages, and the spot is computed from that page's size."""

    page = forms.IntegerField(
        label=_("Page"), required=False, min_value=1, max_value=9999, help_text=_("Empty: the last page.")
    )
    spot = forms.ChoiceField(
        label=_("Place on the page"), choices=list(SPOTS.items()), initial=DEFAULT, widget=forms.RadioSelect
    )

    def __init__(self, *args, data_pdf: bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self._pdf = data_pdf
        self.pages = pdf.check_signable(data_pdf)
        self.box: list[float] | None = None

    def clean(self):
        data = super().clean()
        page = data.get("page")
        if page is not None and page > self.pages:
            self.add_error(
                "page",
                ValidationError(
                    _("The document has %(pages)s pages; choose a page from 1 to %(pages)s.") % {"pages": self.pages},
                    code="page",
                ),
            )
            return data
        if "spot" in data:
            self.box = spot_box(data["spot"], pdf.page_size(self._pdf, page or self.pages))
        return data
