from django.urls import path

from balie.clients.views import organisation
from balie.clients.views.organisation import change_request_kwarg

urlpatterns = [
    path("organisatie/", organisation.detail, name="detail"),
    path("organisatie/wijzigen/", organisation.edit, name="edit"),
    path(
        "organisatie/verzoeken/<uuid:request>/intrekken/",
        change_request_kwarg(organisation.withdraw),
        name="withdraw",
    ),
    path("organisatie/historie/", organisation.history, name="history"),
    path("organisatie/wie-heeft-bekeken/", organisation.viewers, name="viewers"),
]
