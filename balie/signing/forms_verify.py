"""The forms of the verification page and of the firm's seal certificate settings."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from balie.signing import seals, verification

MAX_PKCS12_BYTES = 1024 * 1024
# The page's limit: a PDF signed in Balie is far smaller. ``balie verify-pdf`` on the server keeps
# ``verification.MAX_BYTES``.
MAX_BYTES = 20 * 1024 * 1024


class VerifyForm(forms.Form):
    """A PDF to check; ``clean_file`` leaves its bytes in ``cleaned_data["data"]``."""

    file = forms.FileField(
        label=_("Signed PDF"),
        help_text=_("The file is checked and then forgotten: Balie does not keep it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("This file is larger than %(size)s. Only PDFs up to that size can be checked here.")
                % {"size": filesizeformat(MAX_BYTES)},
                code="too_large",
            )
        upload.seek(0)
        data = upload.read()
        if not verification.looks_like_pdf(data):
            raise ValidationError(_("This is not a PDF. Choose the signed PDF file."), code="not_pdf")
        self.cleaned_data["data"] = data
        return upload


class SealUploadForm(forms.Form):
    """The firm's own certificate and key as PKCS#12 (.p12, .pfx) with its password.

    ``clean`` opens the file already (as ``seals.seal_upload`` does again when saving), so that a
    wrong password or an expired certificate is said before the confirmation is spent on it.
    """

    file = forms.FileField(
        label=_("Certificate file (.p12 or .pfx)"),
        help_text=_("A PKCS#12 file with the certificate, its private key and, if there is one, its chain."),
        widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx,application/x-pkcs12"}),
    )
    password = forms.CharField(
        label=_("Password of the file"),
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > MAX_PKCS12_BYTES:
            self.add_error("file", ValidationError(_("This file is too large for a certificate file."), code="size"))
            return cleaned
        upload.seek(0)
        data = upload.read()
        cleaned["data"] = data
        try:
            seals.pkcs12_open(data, cleaned.get("password") or "")
        except ValidationError as error:
            self.add_error("file", error)
        return cleaned
