"""TRUNCATE is refused on the audit table too (on PostgreSQL).

The row trigger (0002, 0003) sees UPDATE and DELETE but not TRUNCATE, which empties a table
without touching its rows one by one: a statement trigger now refuses it, whoever runs it (a
`TRUNCATE ... CASCADE` from a referenced table included). Retention stays `manage.py
prune_audit`, which deletes rows. The test suite, whose runner empties tables between tests
with TRUNCATE, disables this one trigger in its own test database (tests/conftest.py).
"""

from django.db import migrations

from . import _sql

FUNCTION = "audit_auditrecord_no_truncate"

REFUSE_TRUNCATE = """
    RAISE EXCEPTION 'audit records are append-only: TRUNCATE refused (retention is manage.py prune_audit)'
        USING ERRCODE = 'restrict_violation';"""
CREATE = _sql.trigger_function(FUNCTION, REFUSE_TRUNCATE) + _sql.trigger(
    FUNCTION, when="BEFORE TRUNCATE", each="STATEMENT"
)
DROP = _sql.drop_trigger(FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_request_id")]

    operations = [migrations.RunPython(_sql.on_postgresql(CREATE), _sql.on_postgresql(DROP))]
