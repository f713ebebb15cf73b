from django.urls import path

from balie.messaging import views

app_name = "messaging"
THREAD = "o/<uuid:client>/berichten/<uuid:thread>/"
urlpatterns = [
    path("o/<uuid:client>/berichten/", views.thread_list, name="list"),
    path("o/<uuid:client>/berichten/historie/", views.thread_history, name="history"),
    path("o/<uuid:client>/berichten/vraag/", views.question_new, name="question"),
    path("o/<uuid:client>/berichten/contact/", views.contact_new, name="contact"),
    path("o/<uuid:client>/dossiers/<uuid:dossier>/berichten/nieuw/", views.dossier_message_new, name="dossier_new"),
    path(THREAD, views.thread, name="thread"),
    path(THREAD + "afgehandeld/", views.thread_handle, name="handle"),
]
