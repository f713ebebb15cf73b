from django.urls import path

from balie.accounts.views import account as views
from balie.accounts.views import signins

urlpatterns = [
    path("mijn-gegevens/", views.profile, name="profile"),
    path("mijn-gegevens/sessies/", views.sessions, name="sessions"),
    path("mijn-gegevens/sessies/<uuid:session>/afmelden/", views.session_end, name="session_end"),
    path("mijn-gegevens/aanmeldingen/", signins.signins, name="signins"),
    path("mijn-gegevens/aanmeldingen/dit-was-ik-niet/", signins.not_me, name="not_me"),
    path("taal/", views.set_language, name="set_language"),
    path("uitnodiging/nieuwe-link/", views.invitation_new_link, name="invitation_new_link"),
    path("uitnodiging/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
