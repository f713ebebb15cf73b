from django.urls import path

from balie.clients.views import staff

CLIENT = "omgevingen/<uuid:client>/"
urlpatterns = [
    path("", staff.client_list, name="staff_list"),
    path("omgevingen/nieuw/", staff.client_new, name="staff_new"),
    path(CLIENT, staff.client_detail, name="staff_detail"),
    path(CLIENT + "wijzigen/", staff.client_edit, name="staff_edit"),
    path(CLIENT + "uitnodigen/", staff.client_invite, name="staff_invite"),
    path(CLIENT + "applicaties/", staff.app_tile_add, name="staff_tile_add"),
    path(CLIENT + "applicaties/<uuid:tile>/verwijderen/", staff.app_tile_remove, name="staff_tile_remove"),
    path(
        CLIENT + "uitnodigingen/<uuid:invitation>/opnieuw/",
        staff.invitation_send_again,
        name="staff_invitation_resend",
    ),
]
