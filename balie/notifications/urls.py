from django.urls import path

from balie.notifications import views, views_bell

urlpatterns = [
    path("dev/outbox/", views.outbox, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", views.outbox_message, name="dev_outbox_message"),
    path("meldingen/", views_bell.notification_list, name="list"),
    path("meldingen/gelezen/", views_bell.notification_read_all, name="read_all"),
    path("meldingen/<uuid:notification>/", views_bell.notification_open, name="open"),
    path("mijn-gegevens/meldingen/", views_bell.preferences, name="preferences"),
]
