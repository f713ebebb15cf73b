from django.urls import path

from balie.clients.views import staff_contacts

urlpatterns = [
    path("omgevingen/<uuid:client>/contactpersonen/toevoegen/", staff_contacts.contact_add, name="add"),
    path(
        "omgevingen/<uuid:client>/contactpersonen/<uuid:contact>/",
        staff_contacts.contact_detail,
        name="detail",
    ),
    path(
        "omgevingen/<uuid:client>/contactpersonen/<uuid:contact>/e-mailadres/",
        staff_contacts.contact_email,
        name="email",
    ),
    path(
        "omgevingen/<uuid:client>/contactpersonen/<uuid:contact>/wijzigen/",
        staff_contacts.contact_edit,
        name="edit",
    ),
    path(
        "omgevingen/<uuid:client>/contactpersonen/<uuid:contact>/toegang-intrekken/",
        staff_contacts.access_remove,
        name="access_remove",
    ),
    path(
        "omgevingen/<uuid:client>/contactpersonen/<uuid:contact>/verwijderen/",
        staff_contacts.contact_remove,
        name="delete",
    ),
    path(
        "omgevingen/<uuid:client>/contactpersonen/uitnodigingen/<uuid:invitation>/intrekken/",
        staff_contacts.invitation_revoke,
        name="invitation_revoke",
    ),
]
