from django.urls import path

from balie.signing import views_batch, views_client

app_name = "signing"
urlpatterns = [
    path("o/<uuid:client>/ondertekenen/meerdere/", views_batch.batch, name="batch"),
    path("o/<uuid:client>/ondertekenen/<uuid:approval>/", views_client.detail, name="detail"),
    path("o/<uuid:client>/ondertekenen/<uuid:approval>/tekenen/", views_client.sign, name="sign"),
    path("o/<uuid:client>/ondertekenen/<uuid:approval>/voortgang/", views_client.progress, name="progress"),
    path("o/<uuid:client>/ondertekenen/<uuid:approval>/weigeren/", views_client.decline, name="decline"),
    path("o/<uuid:client>/ondertekenen/<uuid:approval>/ondertekend.pdf", views_client.download, name="download"),
]
