"""Audit checkpoints are evidence like the events: on PostgreSQL a trigger refuses every UPDATE or
DELETE of a row of audit_auditcheckpoint, so the application cannot remove a checkpoint and write
it anew over a rewritten chain. Pruning removes events only, never checkpoints. Inserting stays
possible; Django's flush (TRUNCATE) fires no row triggers. Each checkpoint also names the one
before it (``prev_hash``), so one removed or changed breaks the checkpoints' own chain.
"""

from django.db import migrations, models

# No percent sign in these statements: the driver would read it as a placeholder.
PG_CREATE = [
    "CREATE OR REPLACE FUNCTION audit_auditcheckpoint_immutable() RETURNS trigger AS $$ "
    "BEGIN "
    "RAISE EXCEPTION 'audit_auditcheckpoint rows are evidence: they are never changed or deleted' "
    "USING ERRCODE = 'restrict_violation'; "
    "END; "
    "$$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_auditcheckpoint_immutable ON audit_auditcheckpoint",
    "CREATE TRIGGER audit_auditcheckpoint_immutable BEFORE UPDATE OR DELETE ON audit_auditcheckpoint "
    "FOR EACH ROW EXECUTE FUNCTION audit_auditcheckpoint_immutable()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditcheckpoint_immutable ON audit_auditcheckpoint",
    "DROP FUNCTION IF EXISTS audit_auditcheckpoint_immutable()",
]


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in PG_CREATE:
        schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in PG_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_checkpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditcheckpoint",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
