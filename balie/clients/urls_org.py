from django.urls import path

from balie.clients.views import organisation
from balie.clients.views.organisation import change_request_kwarg

app_name = "organisation"
urlpatterns = [
    path("o/<uuid:client>/organisatie/", organisation.detail, name="detail"),
    path("o/<uuid:client>/organisatie/wijzigen/", organisation.edit, name="edit"),
    path(
        "o/<uuid:client>/organisatie/verzoeken/<uuid:request>/intrekken/",
        change_request_kwarg(organisation.withdraw),
        name="withdraw",
    ),
    path("o/<uuid:client>/organisatie/historie/", organisation.history, name="history"),
]
