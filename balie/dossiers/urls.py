from django.urls import path

from balie.dossiers import views, views_upload

app_name = "dossiers"
urlpatterns = [
    path("o/<uuid:client>/dossiers/", views.dossier_list, name="list"),
    path("o/<uuid:client>/dossiers/<uuid:dossier>/", views.dossier_detail, name="detail"),
    path("o/<uuid:client>/dossiers/<uuid:dossier>/aanleveren/", views_upload.upload, name="upload"),
    path("o/<uuid:client>/documenten/<uuid:document>/", views.document_detail, name="document"),
    path("o/<uuid:client>/documenten/<uuid:document>/download/", views.document_download, name="download"),
    path("o/<uuid:client>/documenten/<uuid:document>/inline/", views.document_inline, name="inline"),
]
