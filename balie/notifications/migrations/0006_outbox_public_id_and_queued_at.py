import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    """Existing messages: a public id each, and queued when they were created."""
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    OutboxMessage.objects.update(queued_at=models.F("created_at"))
    while True:
        batch = list(OutboxMessage.objects.filter(public_id__isnull=True).only("pk")[:1000])
        if not batch:
            break
        for row in batch:
            row.public_id = uuid.uuid4()
        OutboxMessage.objects.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):
    # Its own migration: PostgreSQL refuses to alter a table in the transaction that updated its rows.
    dependencies = [("notifications", "0005_outbox_give_up_and_resend")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
