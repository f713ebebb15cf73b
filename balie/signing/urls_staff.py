from django.urls import path

from balie.signing.views import staff as views

REQUEST = "accorderingen/<uuid:approval>/"
urlpatterns = [
    path(REQUEST + "ondertekenen/", views.sign, name="sign"),
    path(REQUEST + "ondertekenen/voorbeeld.pdf", views.preview, name="preview"),
    path(REQUEST + "ondertekening/", views.progress, name="progress"),
    path(REQUEST + "herinneren/", views.remind, name="remind"),
    path(REQUEST + "opnieuw-verzegelen/", views.seal_retry, name="seal_retry"),
    path(REQUEST + "ondertekend.pdf", views.signed_download, name="signed_download"),
    path(REQUEST + "ondertekenaars/<int:slot>/plaats/", views.place, name="place"),
]
