"""TRUNCATE is refused on the audit table too (on PostgreSQL).

The row trigger (0002, 0003) sees UPDATE and DELETE but not TRUNCATE, which empties a table
without touching its rows one by one: a statement trigger now refuses it, whoever runs it (a
`TRUNCATE ... CASCADE` from a referenced table included). Retention stays `manage.py
prune_audit`, which deletes rows. The test suite, whose runner empties tables between tests
with TRUNCATE, disables this one trigger in its own test database (tests/conftest.py).
"""

from django.db import migrations

FUNCTION = "audit_auditrecord_no_truncate"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: TRUNCATE refused (retention is manage.py prune_audit)'
        USING ERRCODE = 'restrict_violation';
END;
$$;
DROP TRIGGER IF EXISTS {FUNCTION} ON audit_auditrecord;
CREATE TRIGGER {FUNCTION} BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {FUNCTION} ON audit_auditrecord;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_request_id")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
