import uuid

import django.utils.timezone
from django.db import migrations, models


def fill(apps, schema_editor):
    """Existing sessions get their own opaque id, and were last seen when they signed in."""
    UserSession = apps.get_model("accounts", "UserSession")
    for row in UserSession.objects.only("pk", "created_at").iterator():
        row.public_id = uuid.uuid4()
        row.last_seen_at = row.created_at
        row.save(update_fields=["public_id", "last_seen_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_invitation_previous_token"),
    ]

    # A unique field on existing rows: add it nullable, fill it per row, then make it unique.
    operations = [
        migrations.AddField(
            model_name="usersession",
            name="last_seen_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="usersession",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="usersession",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
