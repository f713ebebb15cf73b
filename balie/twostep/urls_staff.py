from django.urls import path

from balie.twostep import views_staff

app_name = "twostep_staff"
urlpatterns = [
    path(
        "kantoor/omgevingen/<uuid:client>/personen/<uuid:person>/pinbrief/",
        views_staff.pin_letter,
        name="pin_letter",
    ),
    path(
        "kantoor/omgevingen/<uuid:client>/personen/<uuid:person>/tweestapsverificatie-resetten/",
        views_staff.factors_reset,
        name="factors_reset",
    ),
    path("kantoor/instellingen/tweestapsverificatie/", views_staff.policy, name="policy"),
]
