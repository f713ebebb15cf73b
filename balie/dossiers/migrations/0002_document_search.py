"""Extracted text per document, and the full-text index per database (SQLite FTS5, PostgreSQL tsvector + GIN)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE dossiers_document_fts USING fts5("
    "scope, title, body, tokenize = 'unicode61 remove_diacritics 2')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS dossiers_document_fts"
# No foreign key: documents are withdrawn, not deleted, and Django's flush truncates only its own tables.
PG_CREATE = [
    "CREATE TABLE dossiers_document_search ("
    "document_id bigint PRIMARY KEY, client_id bigint NOT NULL, vector tsvector NOT NULL)",
    "CREATE INDEX dossiers_document_search_vector ON dossiers_document_search USING gin (vector)",
]
PG_DROP = "DROP TABLE IF EXISTS dossiers_document_search"


def create_index(apps, schema_editor):
    statements = [SQLITE_CREATE] if schema_editor.connection.vendor == "sqlite" else PG_CREATE
    if schema_editor.connection.vendor not in ("sqlite", "postgresql"):
        return
    for statement in statements:
        schema_editor.execute(statement)
    # Documents that exist already get their title indexed (their text comes with the next version).
    Document = apps.get_model("dossiers", "Document")
    rows = list(Document.objects.values_list("pk", "client_id", "title"))
    if rows:
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "sqlite":
                cursor.executemany(
                    "INSERT INTO dossiers_document_fts (rowid, scope, title, body) VALUES (%s, %s, %s, '')",
                    [(pk, f"c{client_id}", title) for pk, client_id, title in rows],
                )
            else:
                cursor.executemany(
                    "INSERT INTO dossiers_document_search (document_id, client_id, vector) "
                    "VALUES (%s, %s, setweight(to_tsvector('simple', %s), 'A'))",
                    rows,
                )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentText",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="text",
                        serialize=False,
                        to="dossiers.document",
                    ),
                ),
                ("text", models.TextField(blank=True)),
                ("extracted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("error", models.CharField(blank=True, max_length=500)),
                (
                    "version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="dossiers.documentversion",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["dossier", "direction", "status", "year"], name="dossiers_doc_years"),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
