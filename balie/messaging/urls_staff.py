from django.urls import path

from balie.messaging.views import staff

THREAD = "berichten/<uuid:thread>/"
urlpatterns = [
    path("berichten/", staff.inbox, name="inbox"),
    path("omgevingen/<uuid:client>/bericht/", staff.new, name="new"),
    path(THREAD, staff.thread, name="thread"),
    path(THREAD + "beantwoorden/", staff.reply, name="reply"),
    path(THREAD + "notitie/", staff.note, name="note"),
    path(THREAD + "toewijzen/", staff.assign, name="assign"),
    path(THREAD + "afhandelen/", staff.handle, name="handle"),
]
