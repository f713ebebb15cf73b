from django.urls import path

from balie.approvals.views import staff as views

REQUEST = "accorderingen/<uuid:approval>/"
urlpatterns = [
    path("accorderingen/", views.request_list, name="list"),
    path("accorderingen/instellingen-per-type/", views.flow_defaults, name="flow_defaults"),
    path(REQUEST, views.request_detail, name="detail"),
    path(REQUEST + "intrekken/", views.withdraw, name="withdraw"),
    path(REQUEST + "opnieuw-indienen/", views.retry, name="retry"),
    path(REQUEST + "afstemmen/", views.reconcile, name="reconcile"),
    path(REQUEST + "beslissing-vastleggen/", views.record, name="record"),
    path(REQUEST + "verklaring.pdf", views.certificate, name="certificate"),
    path("instellingen/accordering/", views.flows, name="flows"),
    path("instellingen/koppeling/", views.receiver, name="receiver"),
]
