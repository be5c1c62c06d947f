import csv
import io

import pytest
from django.contrib.auth import get_user_model

from conference_admin.access.roles import LEAD, OBSERVER, SUPERVISOR, assign_role
from conference_admin.audit.models import AppendOnlyError, AuditRecord
from conference_admin.audit.recorder import REDACTED, audit_attempt, audit_resolution
from conference_admin.twilio import TwilioApiError, TwilioTimeout

CONF = "CF" + "1" * 32
CALL = "CA" + "2" * 32


@pytest.fixture
def supervisor(db):
    user = get_user_model().objects.create_user("sam", password="x")
    assign_role(user, SUPERVISOR)
    return user


def test_success_is_recorded_once_with_request_id(supervisor):
    with audit_attempt(
        actor=supervisor,
        action="mute",
        conference_sid=CONF,
        participant_sid=CALL,
        participant_label="agent:alice",
        parameters={"muted": True},
    ) as attempt:
        attempt.succeeded(request_id="RQ1")
    record = AuditRecord.objects.get()
    assert (record.actor_username, record.action, record.outcome, record.twilio_request_id) == (
        "sam",
        "mute",
        "ok",
        "RQ1",
    )
    assert record.parameters == {"muted": True}
    assert record.participant_label == "agent:alice"


def test_twilio_failure_is_recorded_with_its_code_and_reraised(supervisor):
    with pytest.raises(TwilioApiError):
        with audit_attempt(actor=supervisor, action="hold", conference_sid=CONF, participant_sid=CALL):
            raise TwilioApiError("Participant not found", status=404, code=20404, request_id="RQ2")
    record = AuditRecord.objects.get()
    assert (record.outcome, record.error_code, record.twilio_request_id) == ("failed", 20404, "RQ2")


def test_timeout_is_unknown_then_resolved_without_editing(supervisor):
    with pytest.raises(TwilioTimeout) as caught:
        with audit_attempt(actor=supervisor, action="add", conference_sid=CONF):
            raise TwilioTimeout("no answer", outcome_unknown=True, method="POST")
    unknown = caught.value.audit_record
    assert unknown.outcome == "unknown"
    settled = audit_resolution(unknown, outcome="ok", message="found by label")
    unknown.refresh_from_db()
    assert unknown.outcome == "unknown"
    assert settled.resolves == unknown and settled.outcome == "ok"


def test_secrets_are_redacted(supervisor):
    with audit_attempt(
        actor=supervisor,
        action="add",
        conference_sid=CONF,
        parameters={
            "sip_auth_password": "hunter2",
            "call_token": "tok",
            "to": "+15551230000",
            "status_callback_event": ["ringing"],
        },
    ):
        pass
    parameters = AuditRecord.objects.get().parameters
    assert parameters["sip_auth_password"] == REDACTED and parameters["call_token"] == REDACTED
    assert parameters["to"] == "+15551230000" and parameters["status_callback_event"] == ["ringing"]


def test_records_cannot_be_edited(supervisor):
    with audit_attempt(actor=supervisor, action="mute", conference_sid=CONF):
        pass
    record = AuditRecord.objects.get()
    record.outcome = "failed"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.update(outcome="failed")
    assert AuditRecord.objects.get().outcome == "ok"


@pytest.fixture
def records(supervisor):
    other = get_user_model().objects.create_user("lee", password="x")
    for actor, action, outcome in [(supervisor, "mute", None), (other, "kick", 20404), (supervisor, "hold", None)]:
        try:
            with audit_attempt(actor=actor, action=action, conference_sid=CONF, participant_label="=cmd|' /C calc'!A0"):
                if outcome:
                    raise TwilioApiError("gone", status=404, code=outcome)
        except TwilioApiError:
            pass


def test_audit_page_filters(client, supervisor, records):
    client.force_login(supervisor)
    page = client.get("/audit/", {"user": "sam"}).content.decode()
    assert page.count("<tr>") == 3  # header + two of sam's records
    failed = client.get("/audit/", {"outcome": "failed"}).content.decode()
    assert "kick" in failed and "20404" in failed and ">mute<" not in failed
    bad = client.get("/audit/", {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"})
    assert bad.status_code == 200 and "before its start" in bad.content.decode()


def test_csv_export_has_every_matching_record_and_defuses_formulas(client, supervisor, records):
    client.force_login(supervisor)
    response = client.get("/audit/export.csv", {"action": "kick"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "actor_username", "conference_sid"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["actor_username"] == "lee" and row["outcome"] == "failed" and row["error_code"] == "20404"
    assert row["participant_label"].startswith("'=")


@pytest.mark.parametrize("role,allowed", [(OBSERVER, False), (SUPERVISOR, True), (LEAD, True)])
def test_audit_needs_its_permission(client, db, role, allowed):
    user = get_user_model().objects.create_user(f"u-{role}", password="x")
    assign_role(user, role)
    client.force_login(user)
    assert client.get("/audit/").status_code == (200 if allowed else 403)
    assert client.get("/audit/export.csv").status_code == (200 if allowed else 403)


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login/" in response["Location"]
