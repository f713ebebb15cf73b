from django.urls import path

from balie.notifications import views, views_staff

app_name = "notifications"
urlpatterns = [
    path("dev/outbox/", views.outbox, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", views.outbox_message, name="dev_outbox_message"),
    path("kantoor/verzending/", views_staff.delivery_list, name="staff_delivery"),
]
