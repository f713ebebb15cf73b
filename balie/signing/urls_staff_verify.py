"""The back office's part of the ``verify`` namespace: the firm's own seal (Settings › Seal certificate)."""

from django.urls import path

from balie.signing import views_settings

SEAL = "instellingen/zegelcertificaat/"
urlpatterns = [
    path(SEAL, views_settings.seal, name="seal"),
    path(SEAL + "certificaat.pem", views_settings.seal_download, {"form": "pem"}, name="seal_pem"),
    path(SEAL + "certificaat.cer", views_settings.seal_download, {"form": "cer"}, name="seal_cer"),
]
