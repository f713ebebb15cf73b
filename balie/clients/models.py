from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

kvk_validator = RegexValidator(r"^\d{8}$", _("A KvK number has 8 digits."))


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
    street = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
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
    # Copied from the client's kind on every save, so that the database itself can refuse a
    # second member of a personal environment (see the partial unique constraint below).
    is_personal = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

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
