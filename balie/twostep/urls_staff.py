from django.urls import path

from balie.twostep.views import staff

urlpatterns = [
    path(
        "omgevingen/<uuid:client>/personen/<uuid:person>/pinbrief/",
        staff.pin_letter,
        name="pin_letter",
    ),
    path(
        "omgevingen/<uuid:client>/personen/<uuid:person>/tweestapsverificatie-resetten/",
        staff.factors_reset,
        name="factors_reset",
    ),
    path("instellingen/tweestapsverificatie/", staff.policy, name="policy"),
]
