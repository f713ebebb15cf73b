"""The back office's part of the ``verify`` namespace: the firm's own seal (Settings › Seal certificate)."""

from django.urls import path

from balie.signing.views import seal

SEAL = "instellingen/zegelcertificaat/"
urlpatterns = [
    path(SEAL, seal.seal, name="seal"),
    path(SEAL + "certificaat.pem", seal.seal_download, {"form": "pem"}, name="seal_pem"),
    path(SEAL + "certificaat.cer", seal.seal_download, {"form": "cer"}, name="seal_cer"),
]
