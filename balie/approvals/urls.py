from django.urls import path

from balie.approvals.views import batch, client

app_name = "approvals"
urlpatterns = [
    path("o/<uuid:client>/accordering/<uuid:approval>/", client.detail, name="detail"),
    path("o/<uuid:client>/accordering/<uuid:approval>/beslissen/", client.decide, name="decide"),
    path("o/<uuid:client>/accordering/<uuid:approval>/gezien/", client.acknowledge, name="acknowledge"),
    path("o/<uuid:client>/accordering/<uuid:approval>/verzenden/", client.send, name="send"),
    path("o/<uuid:client>/akkoord-geven/", batch.batch, name="batch"),
    path("o/<uuid:client>/klaar-om-te-verzenden/", client.ready, name="ready"),
    path("o/<uuid:client>/overzicht-documenten/", client.history, name="history"),
]
