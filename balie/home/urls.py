from django.urls import path

from balie.home import views

app_name = "home"
urlpatterns = [
    path("", views.index, name="index"),
    path("o/<uuid:client>/", views.client_home, name="client"),
    path("o/<uuid:client>/contactpersoon/<uuid:user>/foto", views.manager_photo, name="manager_photo"),
]
