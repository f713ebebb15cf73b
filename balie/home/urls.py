from django.urls import path

from balie.home import views

app_name = "home"
urlpatterns = [
    path("", views.index, name="index"),
    path("o/<uuid:client>/", views.client_home, name="client"),
]
