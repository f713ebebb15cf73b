from django.urls import path

from balie.clients.views import client, staff

app_name = "clients"
urlpatterns = [
    path("organisatie-kiezen/", client.switcher, name="switcher"),
    path("kantoor/", staff.client_list, name="staff_list"),
    path("kantoor/omgevingen/nieuw/", staff.client_new, name="staff_new"),
    path("kantoor/omgevingen/<uuid:client>/", staff.client_detail, name="staff_detail"),
    path("kantoor/omgevingen/<uuid:client>/wijzigen/", staff.client_edit, name="staff_edit"),
    path("kantoor/omgevingen/<uuid:client>/uitnodigen/", staff.client_invite, name="staff_invite"),
    path("kantoor/omgevingen/<uuid:client>/applicaties/", staff.app_tile_add, name="staff_tile_add"),
    path(
        "kantoor/omgevingen/<uuid:client>/applicaties/<uuid:tile>/verwijderen/",
        staff.app_tile_remove,
        name="staff_tile_remove",
    ),
    path(
        "kantoor/omgevingen/<uuid:client>/uitnodigingen/<uuid:invitation>/opnieuw/",
        staff.invitation_send_again,
        name="staff_invitation_resend",
    ),
]
