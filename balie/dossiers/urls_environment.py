from django.urls import path

from balie.dossiers.views import client as views
from balie.dossiers.views import upload

urlpatterns = [
    path("dossiers/", views.dossier_list, name="list"),
    path("dossiers/<uuid:dossier>/", views.dossier_detail, name="detail"),
    path("dossiers/<uuid:dossier>/aanleveren/", upload.upload, name="upload"),
    path("documenten/<uuid:document>/", views.document_detail, name="document"),
    path("documenten/<uuid:document>/download/", views.document_download, name="download"),
    path("documenten/<uuid:document>/inline/", views.document_inline, name="inline"),
]
