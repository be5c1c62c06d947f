"""A pending record takes its outcome once; nothing else about it, or about a settled one, changes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from conference_admin.audit.models import AppendOnlyError, AuditRecord
from conference_admin.audit.recorder import audit_begin

CONF = "CF" + "3" * 32
POSTGRESQL_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


@pytest.fixture
def pending(db) -> AuditRecord:
    return audit_begin(actor=None, action="mute", conference_sid=CONF, participant_sid="CA1")


def test_settled_once_by_the_application(pending):
    AuditRecord.objects.settle(pending, outcome="ok", twilio_request_id="RQ1")
    assert AuditRecord.objects.get().outcome == "ok"
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.settle(pending, outcome="failed")


def test_settling_keeps_who_what_and_with_what(pending):
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.settle(pending, outcome="ok", actor_username="someone-else")
    assert AuditRecord.objects.get().outcome == "pending"


def _raw_update(sql: str, record: AuditRecord) -> None:
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), [record.pk])


@POSTGRESQL_ONLY
def test_trigger_lets_a_pending_record_settle_once_and_nothing_else(pending):
    _raw_update("UPDATE {table} SET outcome = 'ok', twilio_request_id = 'RQ' WHERE id = %s", pending)
    with pytest.raises((IntegrityError, InternalError)):
        _raw_update("UPDATE {table} SET outcome = 'failed' WHERE id = %s", pending)


@POSTGRESQL_ONLY
def test_trigger_refuses_rewriting_who_acted_on_a_pending_record(pending):
    with pytest.raises((IntegrityError, InternalError)):
        _raw_update("UPDATE {table} SET outcome = 'ok', actor_username = 'x' WHERE id = %s", pending)
    with pytest.raises((IntegrityError, InternalError)):
        _raw_update("UPDATE {table} SET action = 'unmute' WHERE id = %s", pending)


@pytest.mark.django_db
def test_a_misspelled_field_is_refused_not_left_unrecorded():
    with pytest.raises(TypeError, match="participant_sidd"):
        audit_begin(actor=None, action="mute", conference_sid="CF" + "0" * 32, participant_sidd="CA" + "1" * 32)
    assert not AuditRecord.objects.exists()
