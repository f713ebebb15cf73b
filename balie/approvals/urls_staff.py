from django.urls import path

from balie.approvals.views import staff as views

app_name = "approvals_staff"
REQUEST = "kantoor/accorderingen/<uuid:approval>/"
urlpatterns = [
    path("kantoor/accorderingen/", views.request_list, name="list"),
    path("kantoor/accorderingen/instellingen-per-type/", views.flow_defaults, name="flow_defaults"),
    path(REQUEST, views.request_detail, name="detail"),
    path(REQUEST + "intrekken/", views.withdraw, name="withdraw"),
    path(REQUEST + "opnieuw-indienen/", views.retry, name="retry"),
    path(REQUEST + "afstemmen/", views.reconcile, name="reconcile"),
    path(REQUEST + "beslissing-vastleggen/", views.record, name="record"),
    path(REQUEST + "verklaring.pdf", views.certificate, name="certificate"),
    path("kantoor/instellingen/accordering/", views.flows, name="flows"),
    path("kantoor/instellingen/koppeling/", views.receiver, name="receiver"),
    # The certificate for members of the environment (APR-7), next to the client's request page.
    path(
        "o/<uuid:client>/accordering/<uuid:approval>/verklaring.pdf",
        views.client_certificate,
        name="client_certificate",
    ),
]
