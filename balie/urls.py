"""Every URL namespace is mounted here once, with its URL modules per area.

An app's URL modules hold paths relative to their area: ``urls.py`` the pages outside an environment
and outside the back office, ``urls_environment.py`` those of one environment (under
``o/<uuid:client>/``), ``urls_staff.py`` the firm's back office (under ``kantoor/``); a further
namespace of the app adds its name (``urls_staff_contacts.py``). The namespaces are given here, not
in the modules, because Django reverses a namespace through one include only, and some namespaces
(``todos``, ``home``, ...) have pages in more than one area.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from balie.core.views import system as core_views

ENVIRONMENT = "o/<uuid:client>/"
STAFF = "kantoor/"

# The operator's admin signs in through Balie's own sign-in, with its throttling.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Balie"
handler400 = "balie.core.views.system.bad_request"  # says so when a form carried more than 100 files


def mount(namespace: str, *, top: str | None = None, environment: str | None = None, staff: str | None = None):
    """One namespace, with its URL modules outside the areas, under an environment and in the back office."""
    parts = []
    if top:
        parts.append(path("", include(top)))
    if environment:
        parts.append(path(ENVIRONMENT, include(environment)))
    if staff:
        parts.append(path(STAFF, include(staff)))
    return path("", include((parts, namespace)))


urlpatterns = [
    path("health", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("balie.accounts.allauth_urls")),
    mount("accounts", top="balie.accounts.urls"),
    mount("twostep", top="balie.twostep.urls"),
    mount("twostep_staff", staff="balie.twostep.urls_staff"),
    mount("firms", top="balie.firms.urls", staff="balie.firms.urls_staff"),
    mount("clients", top="balie.clients.urls", staff="balie.clients.urls_staff"),
    mount("organisation", environment="balie.clients.urls_environment_organisation"),
    mount("organisation_staff", staff="balie.clients.urls_staff_organisation"),
    mount("contacts", environment="balie.clients.urls_environment_contacts"),
    mount("contacts_staff", staff="balie.clients.urls_staff_contacts"),
    mount("audit_staff", staff="balie.audit.urls_staff"),
    mount("notifications", top="balie.notifications.urls", staff="balie.notifications.urls_staff"),
    mount("todos", top="balie.todos.urls", environment="balie.todos.urls_environment", staff="balie.todos.urls_staff"),
    mount("dossiers", environment="balie.dossiers.urls_environment"),
    mount("dossiers_staff", staff="balie.dossiers.urls_staff"),
    mount("dossiers_inbox", staff="balie.dossiers.urls_staff_inbox"),
    mount("approvals", environment="balie.approvals.urls_environment"),
    mount("approvals_staff", environment="balie.approvals.urls_environment_staff", staff="balie.approvals.urls_staff"),
    mount("signing", environment="balie.signing.urls_environment"),
    mount("signing_staff", staff="balie.signing.urls_staff"),
    mount("verify", top="balie.signing.urls_verify", staff="balie.signing.urls_staff_verify"),
    mount("messaging", environment="balie.messaging.urls_environment"),
    mount("messaging_staff", staff="balie.messaging.urls_staff"),
    mount("home", top="balie.home.urls", environment="balie.home.urls_environment"),
]
# No route serves MEDIA_URL, not even with DEBUG: stored documents leave only through the download
# views, which check access; the firm's logo and contact persons' photos have views of their own.
