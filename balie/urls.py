from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from balie.core import views as core_views

# The operator's admin signs in through Balie's own sign-in, with its throttling.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Balie"
handler400 = "balie.core.views.bad_request"  # says so when a form carried more than 100 files

urlpatterns = [
    path("health", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("balie.accounts.allauth_urls")),
    path("", include("balie.accounts.urls")),
    path("", include("balie.twostep.urls")),
    path("", include("balie.twostep.urls_staff")),
    path("", include("balie.firms.urls")),
    path("", include("balie.clients.urls")),
    path("", include("balie.clients.urls_org")),
    path("", include("balie.clients.urls_org_staff")),
    path("", include("balie.clients.urls_contacts")),
    path("", include("balie.clients.urls_contacts_staff")),
    path("", include("balie.notifications.urls")),
    path("", include("balie.todos.urls")),
    path("", include("balie.dossiers.urls")),
    path("", include("balie.dossiers.urls_staff")),
    path("", include("balie.dossiers.urls_inbox")),
    path("", include("balie.approvals.urls")),
    path("", include("balie.approvals.urls_staff")),
    path("", include("balie.signing.urls")),
    path("", include("balie.signing.urls_staff")),
    path("", include("balie.signing.urls_verify")),
    path("", include("balie.messaging.urls")),
    path("", include("balie.messaging.urls_staff")),
    path("", include("balie.home.urls")),
]
# No route serves MEDIA_URL, not even with DEBUG: stored documents leave only through the download
# views, which check access; the firm's logo and contact persons' photos have views of their own.
