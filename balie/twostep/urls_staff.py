from django.urls import path

from balie.twostep import views_staff

urlpatterns = [
    path(
        "omgevingen/<uuid:client>/personen/<uuid:person>/pinbrief/",
        views_staff.pin_letter,
        name="pin_letter",
    ),
    path(
        "omgevingen/<uuid:client>/personen/<uuid:person>/tweestapsverificatie-resetten/",
        views_staff.factors_reset,
        name="factors_reset",
    ),
    path("instellingen/tweestapsverificatie/", views_staff.policy, name="policy"),
]
