"""Backup and restore (docs/OPERATIONS.md): `pg_dump --format=custom` of the database, restored
with `pg_restore` into a fresh database, has the audit trail intact and still append-only
(UPDATE, DELETE and TRUNCATE refused; a pending record still settles once)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import audit_attempt, audit_begin, audit_resolution
from conference_admin.twilio import TwilioTimeout
from tests.conftest import AUDIT_NO_TRUNCATE

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backup and restore are PostgreSQL's (the production profile)"
)

COLUMNS = "id, created_at, actor_username, conference_sid, action, parameters::text, outcome, error_code, " + (
    "error_message, twilio_request_id, resolves_id, request_id"
)


def _pg_args(database: str) -> list[str]:
    db = connection.settings_dict
    return ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres", database]


def _connect(database: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres", dbname=database
    )


def _rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(f"SELECT {COLUMNS} FROM audit_auditrecord ORDER BY id").fetchall()


def _refused(conn: psycopg.Connection, sql: str) -> str:
    try:
        with conn.transaction():
            conn.execute(sql)
    except psycopg.errors.RestrictViolation as error:
        return str(error)
    return "accepted"


def _trail() -> None:
    with audit_attempt(actor=None, action="mute", conference_sid="CF" + "1" * 32, parameters={"muted": True}) as a:
        a.succeeded(request_id="RQ" + "1" * 32)
    try:
        with audit_attempt(actor=None, action="hold", conference_sid="CF" + "1" * 32, parameters={"hold": True}):
            raise TwilioTimeout("Twilio did not answer in time", outcome_unknown=True)
    except TwilioTimeout as error:
        audit_resolution(error.audit_record, outcome="ok", message="Re-read: applied.")  # type: ignore[attr-defined]
    audit_begin(actor=None, action="kick", conference_sid="CF" + "1" * 32, participant_sid="CA" + "2" * 32)


def test_a_restored_dump_has_the_audit_trail_intact_and_append_only(transactional_db, tmp_path: Path):
    _trail()
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "conference_admin.dump"
    with connection.cursor() as cursor:  # as in production: the TRUNCATE trigger on
        cursor.execute(f"ALTER TABLE audit_auditrecord ENABLE TRIGGER {AUDIT_NO_TRUNCATE}")
    try:
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), *_pg_args(source)], check=True)
        subprocess.run(["dropdb", "--if-exists", *_pg_args(restored)], check=True)
        subprocess.run(["createdb", *_pg_args(restored)], check=True)
        host_port_user = _pg_args(restored)[:-1]
        subprocess.run(["pg_restore", "--exit-on-error", *host_port_user, "--dbname", restored, str(dump)], check=True)

        with _connect(source) as original, _connect(restored) as copy:
            expected = _rows(original)
            assert len(expected) == 4 and _rows(copy) == expected
            assert copy.execute(
                "SELECT 1 FROM django_migrations WHERE app = 'audit' AND name = '0005_refuse_truncate'"
            ).fetchone()
            pending = copy.execute("SELECT id FROM audit_auditrecord WHERE outcome = 'pending'").fetchone()[0]
            settled_ok = copy.execute("SELECT id FROM audit_auditrecord WHERE action = 'mute'").fetchone()[0]

            for sql in (
                f"UPDATE audit_auditrecord SET outcome = 'failed' WHERE id = {settled_ok}",
                f"DELETE FROM audit_auditrecord WHERE id = {settled_ok}",
                "TRUNCATE audit_auditrecord",
                f"UPDATE audit_auditrecord SET action = 'mute', outcome = 'ok' WHERE id = {pending}",
            ):
                assert "append-only" in _refused(copy, sql), sql
            # The one change a pending record takes, once.
            with copy.transaction():
                copy.execute(f"UPDATE audit_auditrecord SET outcome = 'ok' WHERE id = {pending}")
            again = f"UPDATE audit_auditrecord SET outcome = 'failed' WHERE id = {pending}"
            assert "append-only" in _refused(copy, again)
            assert len(_rows(copy)) == 4
    finally:
        subprocess.run(["dropdb", "--if-exists", *_pg_args(restored)], check=False)
        with connection.cursor() as cursor:  # the test runner empties tables with TRUNCATE
            cursor.execute(f"ALTER TABLE audit_auditrecord DISABLE TRIGGER {AUDIT_NO_TRUNCATE}")
    assert AuditRecord.objects.count() == 4
