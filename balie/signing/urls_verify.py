from django.urls import path

from balie.signing.views import verify

urlpatterns = [
    path("handtekeningen-controleren/", verify.verify, name="page"),
    # The seal certificate of one of the person's firms, to trust it in a PDF reader.
    path(
        "zegelcertificaat/<uuid:firm>/certificaat.pem",
        verify.firm_certificate,
        {"form": "pem"},
        name="firm_certificate",
    ),
    path(
        "zegelcertificaat/<uuid:firm>/certificaat.cer",
        verify.firm_certificate,
        {"form": "cer"},
        name="firm_certificate_cer",
    ),
]
