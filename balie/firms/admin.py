from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext as _

from balie.core.admin_widgets import StoredFileAdminWidget
from balie.core.colours import AA_TEXT, WHITE, brand_palette, contrast_ratio
from balie.firms.models import Firm, StaffMember

STORED_FILES = {models.ImageField: {"widget": StoredFileAdminWidget}}


def colour_advice(colour: str) -> str | None:
    """What pages do with a colour that white text does not read on (WCAG 1.4.3), or None."""
    ratio = contrast_ratio(colour, WHITE)
    if ratio >= AA_TEXT:
        return None
    palette = brand_palette(colour)
    return _(
        "The colour %(colour)s has a contrast of only %(ratio).1f:1 with white: text on it is shown in "
        "%(ink)s, and links and buttons on white use the darker shade %(shade)s."
    ) % {"colour": colour, "ratio": ratio, "ink": palette["brand-ink"], "shade": palette["brand-text"]}


class StaffMemberInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    raw_id_fields = ["user"]
    formfield_overrides = STORED_FILES


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "primary_colour", "uses_tax_filing", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StaffMemberInline]
    formfield_overrides = STORED_FILES

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        advice = colour_advice(obj.primary_colour)
        if advice:
            messages.warning(request, advice)


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "firm", "role", "job_title"]
    list_filter = ["firm", "role"]
    list_select_related = ["user", "firm"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]
    formfield_overrides = STORED_FILES
