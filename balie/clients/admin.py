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

    def get_readonly_fields(self, request, obj=None):
        # Changing the kind goes through the back office's service, which enforces that a
        # personal environment has exactly one member; here it is fixed once created.
        return ["kind"] if obj is not None else []
