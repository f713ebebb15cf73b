from django.urls import path

from balie.firms import views

app_name = "firms"
urlpatterns = [
    path("huisstijl/<uuid:firm>.css", views.branding_css, name="branding_css"),
    path("huisstijl/<uuid:firm>/logo", views.logo, name="logo"),
    path("kantoor/instellingen/medewerkers/", views.staff_settings, name="staff_settings"),
    path("kantoor/medewerkers/<uuid:user>/foto", views.staff_photo, name="staff_photo"),
]
