"""Audit events are evidence: on PostgreSQL a trigger refuses every UPDATE or DELETE of a row of
audit_auditevent, whatever the code (or person) that tries it. Inserting stays possible.

Django's flush empties the table with TRUNCATE, which fires no row triggers, so tests that reset the
database keep working. Other databases rely on the model and its QuerySet, which refuse as well;
``balie audit verify`` finds a change made around both (the hash chain).
"""

from django.db import migrations

# No percent sign in these statements: the driver would read it as a placeholder.
PG_CREATE = [
    "CREATE OR REPLACE FUNCTION audit_auditevent_immutable() RETURNS trigger AS $$ "
    "BEGIN "
    "RAISE EXCEPTION 'audit_auditevent rows are evidence: they are never changed or deleted' "
    "USING ERRCODE = 'restrict_violation'; "
    "END; "
    "$$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent",
    "CREATE TRIGGER audit_auditevent_immutable BEFORE UPDATE OR DELETE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_auditevent_immutable()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_immutable()",
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
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
