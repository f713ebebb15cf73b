from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

kvk_validator = RegexValidator(r"^\d{8}$", _("A KvK number has 8 digits."))
# Dutch postcode: four digits (not starting with 0), optional space, two letters (not SA, SD, SS).
postal_code_validator = RegexValidator(
    r"^[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}$", _("Enter a Dutch postcode such as 1234 AB.")
)
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{7,18}[0-9]$", _("Enter a phone number of 10 digits, or with a country code such as +31.")
)


class ChangePolicy(models.TextChoices):
    """How a client's change of the environment's data takes effect (ORG-3, FIRM-3)."""

    REVIEW = "review", _("Clients send a change request; the firm reviews it")
    DIRECT = "direct", _("Administrators change the data directly, confirmed")


class LegalForm(models.TextChoices):
    SOLE_TRADER = "eenmanszaak", _("Sole proprietorship (eenmanszaak)")
    VOF = "vof", _("General partnership (vof)")
    MAATSCHAP = "maatschap", _("Partnership (maatschap)")
    CV = "cv", _("Limited partnership (cv)")
    BV = "bv", _("Private limited company (bv)")
    NV = "nv", _("Public limited company (nv)")
    FOUNDATION = "stichting", _("Foundation (stichting)")
    ASSOCIATION = "vereniging", _("Association (vereniging)")
    COOPERATIVE = "cooperatie", _("Cooperative (coöperatie)")
    OTHER = "other", _("Other")


class Client(models.Model):
    """An environment (omgeving): a person, company or holding that a firm serves."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal")
        COMPANY = "company", _("Company")
        HOLDING = "holding", _("Holding")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("firms.Firm", on_delete=models.PROTECT, related_name="clients")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("holding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        help_text=_("The holding this company belongs to."),
    )
    name = models.CharField(_("name"), max_length=200)
    number = models.CharField(_("client number"), max_length=30, blank=True)
    kvk_number = models.CharField(_("KvK number"), max_length=8, blank=True, validators=[kvk_validator])
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices, blank=True)
    street = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True, validators=[postal_code_validator])
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    change_policy = models.CharField(
        _("changes of data"),
        max_length=10,
        choices=ChangePolicy.choices,
        blank=True,
        help_text=_("Empty: the firm's setting."),
    )
    relationship_managers = models.ManyToManyField(
        "firms.StaffMember", verbose_name=_("relationship managers"), blank=True, related_name="managed_clients"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("environment")
        verbose_name_plural = _("environments")
        ordering = ["name"]
        indexes = [models.Index(fields=["firm", "name"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("pk")), name="clients_client_not_own_parent"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(kind="personal"),
                name="clients_client_personal_has_no_holding",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("home:client", args=[self.public_id])

    @property
    def is_personal(self) -> bool:
        return self.kind == self.Kind.PERSONAL

    @property
    def effective_change_policy(self) -> str:
        """The environment's own policy, else its firm's (needs ``firm`` loaded)."""
        return self.change_policy or self.firm.change_policy


class MembershipQuerySet(models.QuerySet):
    def active(self, *, on=None):
        """Memberships whose access has not ended: no end date, or an end date today or later (BEY-4)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))


class Membership(models.Model):
    """A user's access to a client environment, with a role and flags."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")  # Beheerder
        EMPLOYEE = "employee", _("Employee")  # Medewerker
        EMPLOYEE_PLUS = "employee_plus", _("Employee+")  # Medewerker+

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    is_director = models.BooleanField(_("director"), default=False)
    may_handle_documents = models.BooleanField(_("may handle documents"), default=False)
    ends_on = models.DateField(
        _("access until"),
        null=True,
        blank=True,
        help_text=_("Access ends by itself after this day, e.g. for a bookkeeper until 31 December."),
    )
    # Copied from the client's kind on every save, so that the database itself can refuse a
    # second member of a personal environment (see the partial unique constraint below).
    is_personal = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="clients_membership_unique"),
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_personal=True), name="clients_membership_one_per_personal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.client}"

    def save(self, *args, **kwargs) -> None:
        self.is_personal = self.client.kind == Client.Kind.PERSONAL
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_personal"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if (
            self.client_id
            and self.client.is_personal
            and Membership.objects.filter(client_id=self.client_id).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(_("A personal environment has exactly one member."), code="personal_has_member")


class ContactPerson(models.Model):
    """A person the firm may approach for this environment (ORG-4); with portal access when linked
    to a membership. Removing access keeps the contact person."""

    class Salutation(models.TextChoices):
        MR = "mr", _("Mr")
        MS = "ms", _("Ms")
        NEUTRAL = "neutral", _("Neutral (first and last name)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    salutation = models.CharField(_("salutation"), max_length=10, choices=Salutation.choices)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=150)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["client", "last_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ChangeRequest(models.Model):
    """A client's proposed change of the environment's data, reviewed by the firm (ORG-3)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="change_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="change_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # {field: value} of the fields the client changed, and what those fields held when proposed.
    old_values = models.JSONField(default=dict)
    new_values = models.JSONField(default=dict)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="pending"), name="clients_one_pending_change_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} ({self.get_status_display()})"


class ChangeLogEntry(models.Model):
    """One change of an environment's data, contact persons or access: who, when, old → new (ORG-3)."""

    class Subject(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation data")
        CONTACT = "contact", _("Contact person")
        ACCESS = "access", _("Portal access")

    class Via(models.TextChoices):
        REQUEST = "request", _("Change request approved")
        DIRECT = "direct", _("Changed by the client")
        FIRM = "firm", _("Changed by the firm")
        EXPIRY = "expiry", _("End date reached")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="change_log")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the history still says who after an account is gone.
    actor_name = models.CharField(max_length=260, blank=True)
    subject = models.CharField(max_length=20, choices=Subject.choices)
    subject_label = models.CharField(max_length=260, blank=True)  # e.g. the contact person's name
    via = models.CharField(max_length=10, choices=Via.choices)
    # [[field name, old, new], ...] with values as shown (choices as their stored value).
    changes = models.JSONField(default=list)
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "at"])]

    def __str__(self) -> str:
        return f"{self.client_id} {self.subject} {self.at:%Y-%m-%d %H:%M}"


class AppTile(models.Model):
    """A tile on the client's start page to an online service (APP-1): it only links there.

    Balie stores no third-party passwords: the service's own sign-in (or single sign-on) applies.
    """

    class Icon(models.TextChoices):
        BOOKKEEPING = "bookkeeping", _("Bookkeeping")
        PAYROLL = "payroll", _("Payroll")
        BANK = "bank", _("Bank")
        TAX = "tax", _("Tax")
        INVOICES = "invoices", _("Invoices")
        CLOUD = "cloud", _("Other online service")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="app_tiles")
    name = models.CharField(_("name"), max_length=60)
    url = models.URLField(_("web address"), max_length=500, help_text=_("The address the tile opens, https://…"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    icon = models.CharField(_("icon"), max_length=20, choices=Icon.choices, default=Icon.CLOUD)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("application tile")
        verbose_name_plural = _("application tiles")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name
