from django.urls import path

from balie.approvals.views import batch, client

urlpatterns = [
    path("accordering/<uuid:approval>/", client.detail, name="detail"),
    path("accordering/<uuid:approval>/beslissen/", client.decide, name="decide"),
    path("accordering/<uuid:approval>/gezien/", client.acknowledge, name="acknowledge"),
    path("accordering/<uuid:approval>/verzenden/", client.send, name="send"),
    path("akkoord-geven/", batch.batch, name="batch"),
    path("klaar-om-te-verzenden/", client.ready, name="ready"),
    path("overzicht-documenten/", client.history, name="history"),
]
