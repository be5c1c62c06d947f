"""The audit trail is append-only for every role and interface; retention is one explicit, audited command."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from conference_admin.access.roles import ADMIN, ROLE_PERMISSIONS, assign_role
from conference_admin.audit.models import AppendOnlyError, AuditRecord
from conference_admin.audit.recorder import audit_attempt, audit_resolution
from conference_admin.twilio import TwilioTimeout

CONF = "CF" + "1" * 32
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger is PostgreSQL's (the production profile); SQLite relies on the application",
)


def make_record(actor, *, action="mute", label="agent:alice", age_days=0) -> AuditRecord:
    when = timezone.now() - timedelta(days=age_days)
    with mock.patch("django.utils.timezone.now", return_value=when):
        with audit_attempt(actor=actor, action=action, conference_sid=CONF, participant_label=label) as attempt:
            attempt.succeeded(request_id="RQ" + action)
    return AuditRecord.objects.filter(action=action).latest("id")


@pytest.fixture
def admin_user(db):
    user = get_user_model().objects.create_user("ada")
    assign_role(user, ADMIN)
    return user


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", None)


@pytest.fixture(params=["admin_role", "superuser"])
def staff_client(request, client, admin_user, superuser):
    client.force_login(admin_user if request.param == "admin_role" else superuser)
    return client


def test_no_role_holds_a_permission_to_change_or_delete_audit_records():
    held = {name for names in ROLE_PERMISSIONS.values() for name in names}
    assert not {name for name in held if name.startswith("audit.") and name != "audit.view_auditrecord"}


def test_admin_delete_page_refuses_for_every_role(staff_client, admin_user):
    record = make_record(admin_user)
    url = f"/admin/audit/auditrecord/{record.pk}/delete/"
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_delete_selected_is_not_offered_and_does_nothing(staff_client, admin_user):
    records = [make_record(admin_user, action=f"a{i}") for i in range(3)]
    page = staff_client.get("/admin/audit/auditrecord/").content.decode()
    assert "delete_selected" not in page
    staff_client.post(
        "/admin/audit/auditrecord/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in records], "post": "yes"},
    )
    assert AuditRecord.objects.count() == 3


def test_the_change_page_is_read_only_and_refuses_a_post(staff_client, admin_user):
    record = make_record(admin_user)
    url = f"/admin/audit/auditrecord/{record.pk}/change/"
    page = staff_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "agent:alice" in html
    assert 'name="outcome"' not in html and 'name="_save"' not in html
    assert f"/admin/audit/auditrecord/{record.pk}/delete/" not in html
    response = staff_client.post(url, {"outcome": "failed", "participant_label": "forged", "actor_username": "x"})
    assert response.status_code == 403
    record.refresh_from_db()
    assert (record.outcome, record.participant_label) == ("ok", "agent:alice")


def test_the_orm_refuses_deletes(admin_user):
    record = make_record(admin_user)
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).delete()
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_resolutions_append_and_never_touch_the_original(admin_user):
    with pytest.raises(TwilioTimeout) as caught:
        with audit_attempt(actor=admin_user, action="add", conference_sid=CONF):
            raise TwilioTimeout("no answer", outcome_unknown=True, method="POST")
    unknown = caught.value.audit_record
    before = AuditRecord.objects.filter(pk=unknown.pk).values().get()
    settled = audit_resolution(unknown, outcome="ok", message="found by label")
    assert AuditRecord.objects.filter(pk=unknown.pk).values().get() == before
    assert settled.pk != unknown.pk and settled.resolves_id == unknown.pk


def test_deleting_an_account_keeps_its_records_and_their_username(admin_user):
    record = make_record(admin_user)
    admin_user.delete()
    record.refresh_from_db()
    assert record.actor_id is None and record.actor_username == "ada"


# --- Retention: manage.py prune_audit ---------------------------------------------------------


@pytest.fixture
def archive_dir(tmp_path, settings) -> Path:
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    settings.AUDIT_RETENTION_DAYS = 30
    return settings.AUDIT_ARCHIVE_DIR


def test_prune_archives_then_removes_records_older_than_the_retention_and_audits_itself(admin_user, archive_dir):
    old = make_record(admin_user, action="old-mute", label='=HYPERLINK("http://evil")', age_days=40)
    older = make_record(admin_user, action="old-kick", age_days=400)
    recent = make_record(admin_user, action="recent", age_days=29)
    out = io.StringIO()
    call_command("prune_audit", stdout=out)

    assert set(AuditRecord.objects.exclude(action="audit-prune").values_list("pk", flat=True)) == {recent.pk}
    prune = AuditRecord.objects.get(action="audit-prune")
    archive = Path(prune.parameters["archive"])
    assert archive.parent == archive_dir and archive.exists()
    assert prune.outcome == "ok" and prune.actor_username.startswith("system")
    assert prune.parameters["pruned"] == 2 and prune.parameters["retention_days"] == 30
    assert prune.parameters["os_user"]
    assert str(archive) in out.getvalue() and "2" in out.getvalue()

    rows = list(csv.reader(io.StringIO(archive.read_text())))
    assert rows[0][:3] == ["created_at", "actor_username", "conference_sid"]
    by_action = {row[rows[0].index("action")]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_action) == {"old-mute", "old-kick"}
    assert by_action["old-mute"]["participant_label"].startswith("'=")  # formula defused
    assert by_action["old-kick"]["twilio_request_id"] == "RQold-kick"
    assert older.pk and old.pk


def test_prune_keeps_an_old_attempt_whose_resolution_is_still_kept(admin_user, archive_dir):
    unknown = make_record(admin_user, action="add", age_days=40)
    resolution = audit_resolution(unknown, outcome="ok", message="found")  # now: inside the retention
    old_pair = make_record(admin_user, action="hold", age_days=50)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=50)):
        old_resolution = audit_resolution(old_pair, outcome="failed", message="gone")
    call_command("prune_audit", "--days", "30", stdout=io.StringIO())
    remaining = set(AuditRecord.objects.exclude(action="audit-prune").values_list("pk", flat=True))
    assert remaining == {unknown.pk, resolution.pk}
    assert not AuditRecord.objects.filter(pk__in=[old_pair.pk, old_resolution.pk]).exists()
    assert AuditRecord.objects.get(action="audit-prune").parameters["pruned"] == 2


def test_prune_with_nothing_old_still_audits_itself(admin_user, archive_dir):
    make_record(admin_user)
    call_command("prune_audit", stdout=io.StringIO())
    assert AuditRecord.objects.count() == 2
    assert AuditRecord.objects.get(action="audit-prune").parameters["pruned"] == 0


def test_prune_refuses_a_retention_under_one_day(admin_user, archive_dir):
    from django.core.management import CommandError

    make_record(admin_user, age_days=5)
    with pytest.raises(CommandError):
        call_command("prune_audit", "--days", "0", stdout=io.StringIO())
    assert AuditRecord.objects.count() == 1


# --- The database itself (PostgreSQL) --------------------------------------------------------


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@POSTGRESQL_ONLY
def test_postgresql_refuses_update_and_delete_outside_the_prune_command(admin_user):
    record = make_record(admin_user)
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [record.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"UPDATE {table} SET outcome = 'failed' WHERE id = %s", [record.pk])
    with pytest.raises(IntegrityError, match="append-only"):  # nulling the actor alone, but also editing
        _raw(f"UPDATE {table} SET actor_id = NULL, actor_username = 'x' WHERE id = %s", [record.pk])
    assert AuditRecord.objects.filter(pk=record.pk, outcome="ok", actor_username="ada").exists()


@POSTGRESQL_ONLY
def test_postgresql_refuses_a_session_that_sets_the_old_prune_switch_and_deletes(admin_user):
    """Before migration 0006 this switch let any session of the application's role delete."""
    record = make_record(admin_user, age_days=400)
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    for setting in ("SET LOCAL conference_admin.audit_prune = 'on'", "SET conference_admin.audit_prune = 'on'"):
        with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(setting)
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", [record.pk])
    _raw("RESET conference_admin.audit_prune")
    assert AuditRecord.objects.filter(pk=record.pk).exists()


@POSTGRESQL_ONLY
def test_postgresql_refuses_a_delete_from_a_look_alike_function(admin_user):
    """A function of the prune function's name and signature, in the session's own (temporary)
    schema, is not the prune function: the trigger refuses its DELETE."""
    record = make_record(admin_user, age_days=400)
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
        _raw(
            "CREATE FUNCTION pg_temp.audit_auditrecord_prune(c timestamptz, i bigint[], a text, p jsonb) "
            "RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN "
            "DELETE FROM audit_auditrecord WHERE id = ANY(i); RETURN 0; END $$; "
            "SELECT pg_temp.audit_auditrecord_prune("
            f"now() - interval '2 days', ARRAY[{record.pk}]::bigint[], '', '{{}}')"
        )
    assert AuditRecord.objects.filter(pk=record.pk).exists()


@POSTGRESQL_ONLY
def test_postgresql_prune_function_keeps_a_day_and_always_records_itself(admin_user):
    """Called directly (not through manage.py prune_audit), the function still refuses records
    younger than a day and leaves the prune's own record in the trail."""
    young = make_record(admin_user, action="young", age_days=0)
    old = make_record(admin_user, action="old", age_days=400)
    with pytest.raises(IntegrityError, match="at least one day"):
        _raw("SELECT audit_auditrecord_prune(now(), %s::bigint[], 'x', '{}')", [[young.pk]])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT audit_auditrecord_prune(now() - interval '2 days', %s::bigint[], 'someone', '{}')",
            [[young.pk, old.pk]],
        )
        record_id = cursor.fetchone()[0]
    assert set(AuditRecord.objects.values_list("action", flat=True)) == {"young", "audit-prune"}
    prune = AuditRecord.objects.get(pk=record_id)
    assert prune.action == "audit-prune" and prune.actor_username == "someone" and prune.parameters == {"pruned": 1}


@POSTGRESQL_ONLY
def test_postgresql_refuses_truncate_even_with_the_prune_switch(admin_user):
    from tests.conftest import AUDIT_NO_TRUNCATE

    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    # The test database runs without this trigger (the test runner truncates); here it is on,
    # inside the test's transaction, so it is off again when the test rolls back.
    _raw(f"SET CONSTRAINTS ALL IMMEDIATE; ALTER TABLE {table} ENABLE TRIGGER {AUDIT_NO_TRUNCATE}")
    record = make_record(admin_user)
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):
        _raw(f"TRUNCATE {table}")
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL conference_admin.audit_prune = 'on'")
            cursor.execute(f"TRUNCATE {table}")
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):  # emptied through a table it references
        _raw(f"TRUNCATE {connection.ops.quote_name(get_user_model()._meta.db_table)} CASCADE")
    assert AuditRecord.objects.filter(pk=record.pk).exists()


@POSTGRESQL_ONLY
def test_postgresql_trigger_lets_the_prune_command_and_account_deletion_through(admin_user, archive_dir):
    make_record(admin_user, action="old", age_days=40)
    kept = make_record(admin_user, action="kept")
    call_command("prune_audit", stdout=io.StringIO())
    assert not AuditRecord.objects.filter(action="old").exists()
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with pytest.raises(IntegrityError, match="append-only"):  # the command opened no way for others
        _raw(f"DELETE FROM {table} WHERE id = %s", [kept.pk])
    admin_user.delete()
    kept.refresh_from_db()
    assert kept.actor_id is None and kept.actor_username == "ada"
