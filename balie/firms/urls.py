from django.urls import path

from balie.firms.views import firm as views

urlpatterns = [
    path("huisstijl/<uuid:firm>.css", views.branding_css, name="branding_css"),
    path("huisstijl/<uuid:firm>/logo", views.logo, name="logo"),
]
