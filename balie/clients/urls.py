from django.urls import path

from balie.clients.views import client

urlpatterns = [
    path("organisatie-kiezen/", client.switcher, name="switcher"),
]
