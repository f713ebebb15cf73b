from django.urls import path

from balie.home.views import start as views

urlpatterns = [
    path("", views.index, name="index"),
]
