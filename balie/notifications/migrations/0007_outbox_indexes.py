import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_outbox_public_id_and_queued_at")]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["firm", "created_at"], name="notif_outbox_firm_all"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"])),
                fields=["channel", "queued_at"],
                name="notif_outbox_waiting",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"])),
                fields=["firm", "channel", "queued_at"],
                name="notif_outbox_firm_waiting",
            ),
        ),
    ]
