"""Trigram indexes for history search, on PostgreSQL only (SQLite keeps working without them).

Supervisors search a fragment anywhere in a label, a number or a conference name ("northwind",
the last digits "4567"): a prefix (btree pattern) index cannot serve a leading wildcard, a
trigram GIN index can. The label and name indexes are on UPPER(...), the expression Django's
`icontains` compares; numbers are matched with `contains` on the column itself.
"""

from django.db import migrations

INDEXES = [
    ("history_session_label_trgm", "history_participantsession", "UPPER(label) gin_trgm_ops"),
    ("history_session_number_trgm", "history_participantsession", "number gin_trgm_ops"),
    ("history_conf_name_trgm", "history_conferencerecord", "UPPER(friendly_name) gin_trgm_ops"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("history", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
