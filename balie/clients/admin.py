from django.contrib import admin

from balie.clients.models import Client, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "firm", "number", "kvk_number"]
    list_filter = ["firm", "kind"]
    list_select_related = ["firm"]
    search_fields = ["name", "number", "kvk_number"]
    raw_id_fields = ["parent"]
    filter_horizontal = ["relationship_managers"]
    inlines = [MembershipInline]
