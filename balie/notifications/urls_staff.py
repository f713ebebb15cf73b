from django.urls import path

from balie.notifications import views_staff

urlpatterns = [
    path("verzending/", views_staff.delivery_list, name="staff_delivery"),
    path("verzending/opnieuw/", views_staff.delivery_resend_failed, name="staff_resend_failed"),
    path("verzending/<uuid:message>/opnieuw/", views_staff.delivery_resend, name="staff_resend"),
]
