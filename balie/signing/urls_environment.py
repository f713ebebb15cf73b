from django.urls import path

from balie.signing.views import batch, client

urlpatterns = [
    path("ondertekenen/meerdere/", batch.batch, name="batch"),
    path("ondertekenen/<uuid:approval>/", client.detail, name="detail"),
    path("ondertekenen/<uuid:approval>/tekenen/", client.sign, name="sign"),
    path("ondertekenen/<uuid:approval>/voortgang/", client.progress, name="progress"),
    path("ondertekenen/<uuid:approval>/weigeren/", client.decline, name="decline"),
    path("ondertekenen/<uuid:approval>/ondertekend.pdf", client.download, name="download"),
]
