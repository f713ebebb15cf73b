"""The parts of allauth's account URLs Balie uses.

Self sign-up and e-mail address management are left out on purpose: accounts come from
invitations, and changing the sign-in address is a guarded change of its own. So are allauth's
reauthentication pages and its two-step pages: Balie confirms with its own step-up (twostep).
Every route here is crawled by balie/core/tests/test_isolation.py; the rest of allauth's are 404.
"""

from allauth.account import views
from allauth.mfa.webauthn import views as webauthn_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from balie.accounts.views import account as balie_views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("logout/", views.logout, name="account_logout"),
    path("inactive/", views.account_inactive, name="account_inactive"),
    # Changing the password needs a second factor too: Balie's own page (twostep:password_change).
    path(
        "password/change/",
        RedirectView.as_view(pattern_name="twostep:password_change"),
        name="account_change_password",
    ),
    # Signing in with a passkey alone (it is two factors: the device and its PIN or fingerprint).
    path("2fa/webauthn/login/", webauthn_views.login_webauthn, name="mfa_login_webauthn"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path("password/reset/done/", views.password_reset_done, name="account_reset_password_done"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        balie_views.password_reset_from_key,  # trusts the browser that completes the reset
        name="account_reset_password_from_key",
    ),
    path("password/reset/key/done/", views.password_reset_from_key_done, name="account_reset_password_from_key_done"),
]
