"""Signing (APR-6): who signs a sign request, where, in which order; each signature and how far its
sealing into the PDF has come; the signed PDF as it grows; and the firm's sealing certificate.

A sign request is an ``approvals.Request`` of kind ``sign``. Each signer's consent is a
``Decision`` (outcome ``signed``), the immutable evidence of who, when, from where and with which
factor; ``Signature`` adds the signature image and the progress of sealing it into the PDF.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Signer(models.Model):
    """One person who signs, with their turn and their place in the document.

    Signers with the same ``position`` sign in parallel; a higher position waits until every lower
    one has signed. ``slot`` numbers the signature field (``sig<slot>``) and the audit line
    (``audit<slot>``) in the PDF. ``is_firm``: the firm's own signature (the accountant), placed
    first. No page means the last page of the document; no box means the next free default place.
    """

    request = models.ForeignKey("approvals.Request", on_delete=models.CASCADE, related_name="signers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("turn"))
    slot = models.PositiveSmallIntegerField()
    is_firm = models.BooleanField(_("signs for the firm"), default=False)
    page = models.PositiveSmallIntegerField(_("page"), null=True, blank=True)
    box = models.JSONField(null=True, blank=True)  # [x1, y1, x2, y2] in PDF points, from the bottom left
    spot = models.CharField(max_length=20, blank=True)  # the named spot the box was chosen as (bottom_left …)
    asked_at = models.DateTimeField(null=True, blank=True)  # when their turn came
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signer")
        verbose_name_plural = _("signers")
        ordering = ["position", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="signing_one_signer_per_person"),
            models.UniqueConstraint(fields=["request", "slot"], name="signing_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.slot} {self.user_id}"


class Signature(models.Model):
    """A signer's signature: the image they drew or typed, bound to their ``Decision``, and its
    sealing into the PDF (a job, with visible progress). The image never changes."""

    class Method(models.TextChoices):
        DRAWN = "drawn", _("Drawn")
        TYPED = "typed", _("Typed")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sealed")
        SEALING = "sealing", _("Being sealed")
        SEALED = "sealed", _("Sealed")
        FAILED = "failed", _("Sealing failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey("approvals.Request", on_delete=models.PROTECT, related_name="signatures")
    signer = models.OneToOneField(Signer, on_delete=models.PROTECT, related_name="signature")
    decision = models.OneToOneField("approvals.Decision", on_delete=models.PROTECT, related_name="signature")
    method = models.CharField(max_length=10, choices=Method.choices)
    typed_name = models.CharField(max_length=120, blank=True)
    image = models.BinaryField()  # PNG, normalised by Balie (never the uploaded bytes)
    image_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # 0..100
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sealed_at = models.DateTimeField(null=True, blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)  # the PDF right after this signature

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.signer_id} ({self.state})"


class SignedFile(models.Model):
    """The PDF of a sign request as it grows: the original with the audit page and the empty
    signature fields (revision one), then one incremental revision per sealed signature."""

    request = models.OneToOneField("approvals.Request", on_delete=models.CASCADE, related_name="signed_file")
    key = models.CharField(max_length=200, blank=True)  # storage key of the latest revision
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    sealed = models.PositiveSmallIntegerField(default=0)  # signatures in it
    updated_at = models.DateTimeField(default=timezone.now)
    sealing_until = models.DateTimeField(null=True, blank=True)  # a worker's lease: one sealer at a time
    lease = models.CharField(max_length=32, blank=True)  # whose lease it is (a token per worker run)
    version = models.OneToOneField(  # the dossier version it became once every signer signed
        "dossiers.DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="signed_from"
    )

    class Meta:
        verbose_name = _("signed file")
        verbose_name_plural = _("signed files")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.sealed} signature(s)"


class FirmSeal(models.Model):
    """The certificate and key a firm seals signed PDFs and evidence with (PAdES). Generated
    (self-signed) on first use unless the firm uploads its own; the key is stored encrypted."""

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated by Balie (self-signed)")
        UPLOADED = "uploaded", _("Uploaded by the firm")

    firm = models.OneToOneField("firms.Firm", on_delete=models.CASCADE, related_name="seal")
    certificate_pem = models.TextField()
    chain_pem = models.TextField(blank=True)
    # The certificates the firm sealed with before (PEM): what they sealed stays trusted.
    retired_pem = models.TextField(blank=True, editable=False)
    key = models.TextField(editable=False)  # "fernet:…" PEM of the private key, see twostep/crypto.py
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATED)
    subject = models.CharField(max_length=300, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)  # SHA-256 of the certificate (DER)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("firm seal")
        verbose_name_plural = _("firm seals")

    def __str__(self) -> str:
        return f"{self.firm_id}: {self.subject}"
