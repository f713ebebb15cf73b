"""The environment's part of the ``approvals_staff`` namespace."""

from django.urls import path

from balie.approvals.views import staff as views

urlpatterns = [
    # The certificate for members of the environment (APR-7), next to the client's request page.
    path("accordering/<uuid:approval>/verklaring.pdf", views.client_certificate, name="client_certificate"),
]
