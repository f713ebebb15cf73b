"""Decisions are evidence (APR-7): on PostgreSQL a trigger refuses every UPDATE or DELETE of a row of
approvals_decision, whatever the code (or person) that tries it. Inserting stays possible.

Django's flush empties the table with TRUNCATE, which fires no row triggers, so tests that reset the
database keep working. Other databases rely on the model and its QuerySet, which refuse as well.
"""

from django.db import migrations

# No percent sign in these statements: the driver would read it as a placeholder.
PG_CREATE = [
    "CREATE OR REPLACE FUNCTION approvals_decision_immutable() RETURNS trigger AS $$ "
    "BEGIN "
    "RAISE EXCEPTION 'approvals_decision rows are evidence: they are never changed or deleted' "
    "USING ERRCODE = 'restrict_violation'; "
    "END; "
    "$$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS approvals_decision_immutable ON approvals_decision",
    "CREATE TRIGGER approvals_decision_immutable BEFORE UPDATE OR DELETE ON approvals_decision "
    "FOR EACH ROW EXECUTE FUNCTION approvals_decision_immutable()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS approvals_decision_immutable ON approvals_decision",
    "DROP FUNCTION IF EXISTS approvals_decision_immutable()",
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
        ("approvals", "0002_receivers"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
