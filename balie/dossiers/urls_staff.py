from django.urls import path

from balie.dossiers.views import bulk
from balie.dossiers.views import staff as views

DOSSIER = "omgevingen/<uuid:client>/dossiers/<uuid:dossier>/"
DOCUMENT = DOSSIER + "documenten/<uuid:document>/"
BULK = "bulk-publiceren/<uuid:publication>/"
urlpatterns = [
    path("omgevingen/<uuid:client>/dossiers/nieuw/", views.dossier_new, name="dossier_new"),
    path(DOSSIER, views.dossier_detail, name="dossier"),
    path(DOSSIER + "wijzigen/", views.dossier_edit, name="dossier_edit"),
    path(DOSSIER + "mappen/", views.folder_add, name="folder_add"),
    path(DOSSIER + "voortgang/", views.step_add, name="step_add"),
    path(DOSSIER + "opvragen/", views.documents_ask, name="documents_ask"),
    path(DOSSIER + "voortgang/<int:step>/", views.step_toggle, name="step_toggle"),
    path(DOSSIER + "publiceren/", views.publish, name="publish"),
    path(DOCUMENT, views.document_detail, name="document"),
    path(DOCUMENT + "nieuwe-versie/", views.document_replace, name="document_replace"),
    path(DOCUMENT + "intrekken/", views.document_withdraw, name="document_withdraw"),
    path(DOCUMENT + "versies/<uuid:version>/download/", views.version_download, name="version_download"),
    path("bulk-publiceren/", bulk.bulk_new, name="bulk_new"),
    path(BULK, bulk.bulk_detail, name="bulk"),
    path(BULK + "bevestigen/", bulk.bulk_confirm, name="bulk_confirm"),
    path(BULK + "annuleren/", bulk.bulk_cancel, name="bulk_cancel"),
    path(BULK + "opnieuw/", bulk.bulk_retry, name="bulk_retry"),
]
