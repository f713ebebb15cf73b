from django.urls import path

from balie.home.views import start as views

urlpatterns = [
    path("", views.client_home, name="client"),
    path("contactpersoon/<uuid:user>/foto", views.manager_photo, name="manager_photo"),
]
