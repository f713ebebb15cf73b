from django.urls import path

from balie.clients.views import contacts

app_name = "contacts"
urlpatterns = [
    path("o/<uuid:client>/contactpersonen/", contacts.contact_list, name="list"),
    path("o/<uuid:client>/contactpersonen/toevoegen/", contacts.contact_add, name="add"),
    path("o/<uuid:client>/contactpersonen/<uuid:contact>/", contacts.contact_detail, name="detail"),
    path("o/<uuid:client>/contactpersonen/<uuid:contact>/wijzigen/", contacts.contact_edit, name="edit"),
    path("o/<uuid:client>/contactpersonen/<uuid:contact>/e-mailadres/", contacts.contact_email, name="email"),
    path(
        "o/<uuid:client>/contactpersonen/<uuid:contact>/toegang-intrekken/",
        contacts.access_remove,
        name="access_remove",
    ),
    path("o/<uuid:client>/contactpersonen/<uuid:contact>/verwijderen/", contacts.contact_remove, name="delete"),
    path(
        "o/<uuid:client>/contactpersonen/<uuid:contact>/uitnodiging-opnieuw/",
        contacts.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "o/<uuid:client>/contactpersonen/uitnodigingen/<uuid:invitation>/intrekken/",
        contacts.invitation_revoke,
        name="invitation_revoke",
    ),
]
