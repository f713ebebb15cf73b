from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from balie.accounts import services
from balie.accounts.models import Invitation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal details"), {"fields": ["first_name", "last_name", "mobile_number", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):
        was_active = change and User.objects.filter(pk=obj.pk, is_active=True).exists()
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            services.user_end_sessions(user=obj)

    @admin.action(description=_("Disable the selected accounts and end their sessions"))
    def deactivate(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, actor=request.user)
        self.message_user(request, _("%(count)d accounts disabled.") % {"count": queryset.count()}, messages.SUCCESS)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "client", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["client"]
    search_fields = ["email"]
    readonly_fields = ["token_hash"]
    raw_id_fields = ["client", "invited_by"]
