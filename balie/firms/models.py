from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from balie.core.colours import readable_against, text_on

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb, for example #1f5f8b."))


def default_folder_names() -> list[str]:
    return ["Advies", "Fiscaal", "Permanent", "Jaarrekening", "Administratie"]


def default_stepup_factors() -> list[str]:
    return ["webauthn", "totp", "sms"]


class Firm(models.Model):
    """The tenant: an accountancy firm, a notary's office, a support desk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    logo = models.ImageField(_("logo"), upload_to="firm-logos/", blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f5f8b", validators=[colour_validator]
    )
    email_sender_name = models.CharField(
        _("e-mail sender name"), max_length=100, blank=True, help_text=_("Shown as the sender of e-mails.")
    )
    reminder_days = models.CharField(
        _("reminder days"),
        max_length=50,
        default="7,14",
        validators=[RegexValidator(r"^(\d{1,3}(,\d{1,3})*)?$", _("Enter days as numbers separated by commas."))],
        help_text=_("Open tasks are reminded this many days after they were created, e.g. 7,14. Empty: never."),
    )
    address = models.TextField(
        _("postal address"), blank=True, help_text=_("Printed on letters, for example the PIN activation letter.")
    )
    twostep_required_for_clients = models.BooleanField(_("two-step verification required for clients"), default=False)
    twostep_required_for_staff = models.BooleanField(_("two-step verification required for staff"), default=False)
    stepup_factors = models.JSONField(
        _("factors accepted to confirm actions"),
        default=default_stepup_factors,
        help_text=_("Which second factors confirm approvals, signatures and changes of personal data."),
    )
    default_folders = models.JSONField(
        _("sub-dossiers of a new dossier"),
        default=default_folder_names,
        help_text=_("The folders every new dossier starts with, in this order."),
    )
    upload_max_bytes = models.BigIntegerField(_("largest file clients may upload (bytes)"), default=250 * 1024 * 1024)
    upload_extensions = models.CharField(
        _("file types clients may upload"),
        max_length=300,
        blank=True,
        help_text=_("Extensions separated by commas, e.g. pdf,jpg,xlsx. Empty: Balie's default list."),
    )
    client_quota_bytes = models.BigIntegerField(
        _("storage per environment for client uploads (bytes)"),
        default=10 * 1024 * 1024 * 1024,
        help_text=_("What clients may supply in total per environment; 0 means no limit."),
    )
    change_policy = models.CharField(
        _("changes of environment data"),
        max_length=10,
        choices=[
            ("review", _("Clients send a change request; the firm reviews it")),
            ("direct", _("Administrators change the data directly, confirmed")),
        ],
        default="review",
        help_text=_("How a client's change of the organisation's data takes effect; an environment may differ."),
    )
    # Until firms choose their modules: whether clients see the accountant's words. A notary's
    # office turns it off, and its clients read "Acties" and plain sentences instead.
    uses_tax_filing = models.BooleanField(
        _("accountancy and tax returns"),
        default=True,
        help_text=_(
            "Clients see the accountant's words (Accorderingen, aangifte, Digipoort). "
            "Turn off for a notary's office: the menu then says Acties."
        ),
    )
    audit_retention_years = models.PositiveSmallIntegerField(
        _("audit trail kept for (years)"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("Older events are removed by whole days, after a sealed daily checkpoint."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=r"^#[0-9a-fA-F]{6}$"), name="firms_firm_colour_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reminder_schedule(self) -> list[int]:
        return sorted({int(day) for day in self.reminder_days.split(",") if day.strip().isdigit()})

    @property
    def brand_ink(self) -> str:
        """Text colour that reads on the firm's colour (white on a dark one, dark on a light one)."""
        return text_on(self.primary_colour)

    @property
    def brand_text(self) -> str:
        """The firm's colour as text on white: itself, or a darker shade of it where it would not read."""
        return readable_against(self.primary_colour)

    @property
    def sender_name(self) -> str:
        return self.email_sender_name or self.name

    @property
    def approvals_name(self) -> str:
        """What the firm's clients call the requests to act on: "Accorderingen" or "Acties"."""
        if self.uses_tax_filing:
            return gettext("Approvals")
        return pgettext("module of a firm without tax returns", "Actions")


class StaffMember(models.Model):
    """A user working for a firm. A user works for one firm at most."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Firm administrator")
        EMPLOYEE = "employee", _("Employee")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="staff")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_member")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    photo = models.ImageField(_("photo"), upload_to="staff-photos/", blank=True)
    # Clients may write to this person (Contact, MSG-1) besides their own relationship managers.
    contactable = models.BooleanField(_("clients can write to this person"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["user__first_name", "user__last_name"]

    def __str__(self) -> str:
        return f"{self.user} ({self.firm})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN
