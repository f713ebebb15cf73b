from django.urls import path

from balie.dossiers import views_upload

app_name = "dossiers_inbox"
urlpatterns = [path("kantoor/aangeleverd/", views_upload.inbox, name="list")]
