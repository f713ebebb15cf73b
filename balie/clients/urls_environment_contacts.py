from django.urls import path

from balie.clients.views import contacts

urlpatterns = [
    path("contactpersonen/", contacts.contact_list, name="list"),
    path("contactpersonen/toevoegen/", contacts.contact_add, name="add"),
    path("contactpersonen/<uuid:contact>/", contacts.contact_detail, name="detail"),
    path("contactpersonen/<uuid:contact>/wijzigen/", contacts.contact_edit, name="edit"),
    path("contactpersonen/<uuid:contact>/e-mailadres/", contacts.contact_email, name="email"),
    path(
        "contactpersonen/<uuid:contact>/toegang-intrekken/",
        contacts.access_remove,
        name="access_remove",
    ),
    path("contactpersonen/<uuid:contact>/verwijderen/", contacts.contact_remove, name="delete"),
    path(
        "contactpersonen/<uuid:contact>/uitnodiging-opnieuw/",
        contacts.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "contactpersonen/uitnodigingen/<uuid:invitation>/intrekken/",
        contacts.invitation_revoke,
        name="invitation_revoke",
    ),
]
