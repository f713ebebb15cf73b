from django.urls import path

from balie.notifications.views import bell, dev

urlpatterns = [
    path("dev/outbox/", dev.outbox, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", dev.outbox_message, name="dev_outbox_message"),
    path("meldingen/", bell.notification_list, name="list"),
    path("meldingen/gelezen/", bell.notification_read_all, name="read_all"),
    path("meldingen/<uuid:notification>/", bell.notification_open, name="open"),
    path("mijn-gegevens/meldingen/", bell.preferences, name="preferences"),
]
