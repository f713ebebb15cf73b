from django.urls import path

from balie.audit.views import staff as views

urlpatterns = [
    path("logboek/", views.log, name="log"),
    path("logboek/export.csv", views.export, {"kind": "csv"}, name="export_csv"),
    path("logboek/export.jsonl", views.export, {"kind": "jsonl"}, name="export_jsonl"),
]
