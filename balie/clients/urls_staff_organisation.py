from django.urls import path

from balie.clients.views import staff_organisation as views
from balie.clients.views.organisation import change_request_kwarg

urlpatterns = [
    path("wijzigingsverzoeken/", views.requests, name="requests"),
    path(
        "wijzigingsverzoeken/<uuid:request>/",
        change_request_kwarg(views.request_detail),
        name="request",
    ),
    path(
        "wijzigingsverzoeken/<uuid:request>/goedkeuren/",
        change_request_kwarg(views.approve),
        name="approve",
    ),
    path(
        "wijzigingsverzoeken/<uuid:request>/afwijzen/",
        change_request_kwarg(views.reject),
        name="reject",
    ),
    path("instellingen/gegevenswijzigingen/", views.policy, name="policy"),
    path("omgevingen/<uuid:client>/historie/", views.history, name="history"),
]
