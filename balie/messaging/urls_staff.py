from django.urls import path

from balie.messaging import views_staff

THREAD = "berichten/<uuid:thread>/"
urlpatterns = [
    path("berichten/", views_staff.inbox, name="inbox"),
    path("omgevingen/<uuid:client>/bericht/", views_staff.new, name="new"),
    path(THREAD, views_staff.thread, name="thread"),
    path(THREAD + "beantwoorden/", views_staff.reply, name="reply"),
    path(THREAD + "notitie/", views_staff.note, name="note"),
    path(THREAD + "toewijzen/", views_staff.assign, name="assign"),
    path(THREAD + "afhandelen/", views_staff.handle, name="handle"),
]
