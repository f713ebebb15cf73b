"""Demo messages (MSG-1 .. MSG-3), made through the same services as the pages.

Pieter asked about the company car; Sanne answered, so a reply task waits for him. Fatima wrote to
Mark through Contact, with her annual statement attached; it waits in the firm's inbox with an
internal note. A thread in the BV's dossier was handled earlier.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from balie.core.demo import DemoContext

HINTS = [
    "Messages: Pieter has Sanne's answer about the company car as a task (Taken → Beantwoorden); Fatima's "
    "question to Mark waits in the firm's inbox (Kantoor → Berichten) with an internal note."
]


def load(context: DemoContext) -> None:
    from balie.dossiers.demo import demo_pdf
    from balie.dossiers.models import Dossier
    from balie.messaging import services

    objects = context.objects
    sanne, mark, pieter, fatima = objects["sanne"].user, objects["mark"].user, objects["pieter"], objects["fatima"]
    company = objects["company"]

    car = services.thread_start(
        client=company,
        user=pieter,
        kind="question",
        subject="Bijtelling auto van de zaak",
        body=(
            "<p>Goedemorgen Sanne,</p><p>Wij overwegen een <b>elektrische bestelauto</b>. Geldt daarvoor ook "
            "bijtelling als ik hem privé gebruik?</p><ul><li>Cataloguswaarde ongeveer € 48.000</li>"
            "<li>Levering in maart</li></ul><p>Groet, Pieter</p>"
        ),
    )
    services.reply(
        thread=car,
        user=sanne,
        body=(
            "<p>Dag Pieter,</p><p>Voor een bestelauto die <i>(bijna) alleen zakelijk</i> wordt gebruikt geldt geen "
            "bijtelling, mits u een verklaring geen privégebruik bestelauto aanvraagt bij de Belastingdienst. "
            "Zal ik die voor u regelen?</p><p>Met vriendelijke groet,<br>Sanne de Vries</p>"
        ),
    )

    own = objects["fatima_private"]
    # Mark is not Fatima's relationship manager; the firm lets clients write to him too.
    type(objects["mark"]).objects.filter(pk=objects["mark"].pk).update(contactable=True)
    statement = SimpleUploadedFile(
        "Jaaropgave 2025.pdf", demo_pdf("Jaaropgave 2025", "Loon: EUR 41.250", "Ingehouden loonheffing: EUR 9.870")
    )
    question = services.thread_start(
        client=own,
        user=fatima,
        kind="contact",
        recipient=mark,
        subject="Jaaropgave 2025 en hypotheekrente",
        body=(
            "<p>Beste Mark,</p><p>Hierbij mijn jaaropgave. De renteopgave van de hypotheek volgt nog. "
            "Kunt u de aangifte al voorbereiden?</p><p>Fatima</p>"
        ),
        uploads=[statement],
    )
    services.note_add(thread=question, user=mark, body="Renteopgave volgt eind februari; aangifte pas daarna indienen.")

    dossier = Dossier.objects.filter(client=company).order_by("pk").first()
    handled = services.thread_start(
        client=company,
        user=pieter,
        kind="dossier",
        dossier=dossier,
        subject="Bankafschriften december",
        body="<p>De afschriften van december staan erin.</p>",
    )
    services.reply(thread=handled, user=sanne, body="<p>Dank u, ze zijn verwerkt.</p>")
    services.thread_handle(thread=handled, user=pieter)
