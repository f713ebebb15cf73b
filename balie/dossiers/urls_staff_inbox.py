from django.urls import path

from balie.dossiers import views_upload

urlpatterns = [path("aangeleverd/", views_upload.inbox, name="list")]
