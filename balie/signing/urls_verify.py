from django.urls import path

from balie.signing import views_settings, views_verify

app_name = "verify"
SEAL = "kantoor/instellingen/zegelcertificaat/"
urlpatterns = [
    path("handtekeningen-controleren/", views_verify.verify, name="page"),
    # The seal certificate of one of the person's firms, to trust it in a PDF reader.
    path(
        "zegelcertificaat/<uuid:firm>/certificaat.pem",
        views_verify.firm_certificate,
        {"form": "pem"},
        name="firm_certificate",
    ),
    path(
        "zegelcertificaat/<uuid:firm>/certificaat.cer",
        views_verify.firm_certificate,
        {"form": "cer"},
        name="firm_certificate_cer",
    ),
    # The firm's own seal (Settings › Seal certificate).
    path(SEAL, views_settings.seal, name="seal"),
    path(SEAL + "certificaat.pem", views_settings.seal_download, {"form": "pem"}, name="seal_pem"),
    path(SEAL + "certificaat.cer", views_settings.seal_download, {"form": "cer"}, name="seal_cer"),
]
