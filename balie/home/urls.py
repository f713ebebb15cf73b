from django.urls import path

from balie.home import views

urlpatterns = [
    path("", views.index, name="index"),
]
