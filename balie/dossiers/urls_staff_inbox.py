from django.urls import path

from balie.dossiers.views import upload

urlpatterns = [path("aangeleverd/", upload.inbox, name="list")]
