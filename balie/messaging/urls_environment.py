from django.urls import path

from balie.messaging.views import client as views

THREAD = "berichten/<uuid:thread>/"
urlpatterns = [
    path("berichten/", views.thread_list, name="list"),
    path("berichten/historie/", views.thread_history, name="history"),
    path("berichten/vraag/", views.question_new, name="question"),
    path("berichten/contact/", views.contact_new, name="contact"),
    path("dossiers/<uuid:dossier>/berichten/nieuw/", views.dossier_message_new, name="dossier_new"),
    path(THREAD, views.thread, name="thread"),
    path(THREAD + "afgehandeld/", views.thread_handle, name="handle"),
]
