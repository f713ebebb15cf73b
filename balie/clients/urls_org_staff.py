from django.urls import path

from balie.clients.views import staff_organisation as views
from balie.clients.views.organisation import change_request_kwarg

app_name = "organisation_staff"
urlpatterns = [
    path("kantoor/wijzigingsverzoeken/", views.requests, name="requests"),
    path(
        "kantoor/wijzigingsverzoeken/<uuid:request>/",
        change_request_kwarg(views.request_detail),
        name="request",
    ),
    path(
        "kantoor/wijzigingsverzoeken/<uuid:request>/goedkeuren/",
        change_request_kwarg(views.approve),
        name="approve",
    ),
    path(
        "kantoor/wijzigingsverzoeken/<uuid:request>/afwijzen/",
        change_request_kwarg(views.reject),
        name="reject",
    ),
    path("kantoor/instellingen/gegevenswijzigingen/", views.policy, name="policy"),
    path("kantoor/omgevingen/<uuid:client>/historie/", views.history, name="history"),
]
