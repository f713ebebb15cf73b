from django.contrib import admin
from django.db import models

from balie.core.admin_widgets import StoredFileAdminWidget
from balie.firms.models import Firm, StaffMember

STORED_FILES = {models.ImageField: {"widget": StoredFileAdminWidget}}


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


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "firm", "role", "job_title"]
    list_filter = ["firm", "role"]
    list_select_related = ["user", "firm"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]
    formfield_overrides = STORED_FILES
