from django.urls import path

from balie.firms.views import firm as views

urlpatterns = [
    path("instellingen/medewerkers/", views.staff_settings, name="staff_settings"),
    path("medewerkers/<uuid:user>/foto", views.staff_photo, name="staff_photo"),
]
