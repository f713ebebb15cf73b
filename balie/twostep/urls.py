from django.urls import path

from balie.twostep.views import account as views

urlpatterns = [
    path("accounts/tweede-stap/", views.authenticate, name="authenticate"),
    path("mijn-gegevens/tweestapsverificatie/", views.overview, name="overview"),
    path("mijn-gegevens/tweestapsverificatie/app/", views.totp_add, name="totp_add"),
    path("mijn-gegevens/tweestapsverificatie/sms/", views.sms_add, name="sms_add"),
    path("mijn-gegevens/tweestapsverificatie/pin/", views.pin_activate, name="pin_activate"),
    path("mijn-gegevens/tweestapsverificatie/passkey/", views.passkey_add, name="passkey_add"),
    path(
        "mijn-gegevens/tweestapsverificatie/passkey/<int:pk>/verwijderen/", views.passkey_remove, name="passkey_remove"
    ),
    path("mijn-gegevens/tweestapsverificatie/herstelcodes/", views.recovery_codes, name="recovery_codes"),
    path("mijn-gegevens/tweestapsverificatie/<str:factor>/verwijderen/", views.factor_remove, name="factor_remove"),
    path("mijn-gegevens/wachtwoord/", views.password_change, name="password_change"),
    path("mijn-gegevens/e-mailadres/", views.email_change, name="email_change"),
    path("mijn-gegevens/e-mailadres/bevestigen/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("mijn-gegevens/e-mailadres/intrekken/<uuid:change>/", views.email_change_cancel, name="email_change_cancel"),
    path("bevestigen/<uuid:challenge>/sms/", views.stepup_sms, name="stepup_sms"),
]
