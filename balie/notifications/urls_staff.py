from django.urls import path

from balie.notifications.views import staff

urlpatterns = [
    path("verzending/", staff.delivery_list, name="staff_delivery"),
    path("verzending/opnieuw/", staff.delivery_resend_failed, name="staff_resend_failed"),
    path("verzending/<uuid:message>/opnieuw/", staff.delivery_resend, name="staff_resend"),
]
