"""Demo: two-step verification as firms use it.

Van Dijk & Partners accepts a PIN for confirmations; Pieter Bakker signs in with an SMS code;
Fatima El Amrani has a PIN letter waiting; Notariskantoor Hoekstra requires two-step
verification for its clients, so Anna Visser sets it up at her first sign-in.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from balie.core.demo import DemoContext
from balie.twostep.enrolment import recovery_codes_ensure
from balie.twostep.models import PinLetter, SmsFactor

DEMO_PIN = "246810"

HINTS = [
    "Pieter Bakker signs in with an SMS code: read it in the outbox.",
    f"Fatima El Amrani has an activation letter by post with PIN {DEMO_PIN} (Mijn gegevens → Tweestapsverificatie).",
    "Notariskantoor Hoekstra requires two-step verification: Anna Visser sets it up at her first sign-in.",
]


def load(context: DemoContext) -> None:
    objects = context.objects
    vandijk, hoekstra = objects["firm"], objects["other_firm"]
    vandijk.address = "Oudegracht 120\n3511 AX Utrecht"
    vandijk.stepup_factors = ["webauthn", "totp", "sms", "pin"]
    vandijk.save(update_fields=["address", "stepup_factors"])
    hoekstra.address = "Zuiderplein 4\n8911 AN Leeuwarden"
    hoekstra.twostep_required_for_clients = True
    hoekstra.save(update_fields=["address", "twostep_required_for_clients"])

    pieter = objects["pieter"]
    SmsFactor.objects.create(user=pieter, phone_number=pieter.mobile_number, verified_with="sms")
    recovery_codes_ensure(user=pieter)

    now = timezone.now()
    PinLetter.objects.create(
        user=objects["fatima"],
        firm=vandijk,
        pin_hash=make_password(DEMO_PIN),
        created_by=objects["sanne"].user,
        created_at=now - timedelta(days=3),
        expires_at=now + timedelta(days=27),
    )
