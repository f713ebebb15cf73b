from django.urls import path

from balie.signing import views_batch, views_client

urlpatterns = [
    path("ondertekenen/meerdere/", views_batch.batch, name="batch"),
    path("ondertekenen/<uuid:approval>/", views_client.detail, name="detail"),
    path("ondertekenen/<uuid:approval>/tekenen/", views_client.sign, name="sign"),
    path("ondertekenen/<uuid:approval>/voortgang/", views_client.progress, name="progress"),
    path("ondertekenen/<uuid:approval>/weigeren/", views_client.decline, name="decline"),
    path("ondertekenen/<uuid:approval>/ondertekend.pdf", views_client.download, name="download"),
]
