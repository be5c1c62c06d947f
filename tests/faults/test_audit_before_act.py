"""Audit before act: an action's record is written (pending) before Twilio is called.

When the database cannot take the record, nothing reaches Twilio and the supervisor reads
why, inline (never a 500); when it goes away after the call, the answer still comes and the
record stays `pending` (the attempt is on the trail).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import AUDIT_UNAVAILABLE, audit_attempt
from conference_admin.supervision.models import SupervisorProfile
from conference_admin.twilio import TwilioTimeout

from .conftest import BILLING, ESCALATION, HTMX, ONBOARDING, SALES, announced, upstream
from .infrastructure import AUDIT_SETTLING, AUDIT_WRITES, database_down

CONF = "CF" + "2" * 32


def post(client, demo, url, data=None):
    demo.simulator.reset_request_log()
    return client.post(url, data or {}, **HTMX)


def mute(client, demo, label="agent:carol", conference=ESCALATION):
    """Mute as the row's form does: the action named in the POST to the participant's URL."""
    url = reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])
    return post(client, demo, url, {"action": "mute"})


# --- the recorder --------------------------------------------------------------------------


def test_the_record_is_pending_while_twilio_is_called_then_settled(db):
    with audit_attempt(actor=None, action="mute", conference_sid=CONF, participant_sid="CA1") as attempt:
        during = AuditRecord.objects.get()
        attempt.succeeded(request_id="RQ1")
    assert during.outcome == "pending" and during.actor_username == "system"
    record = AuditRecord.objects.get()
    assert (record.pk, record.outcome, record.twilio_request_id) == (during.pk, "ok", "RQ1")


def test_an_unknown_outcome_settles_the_same_record(db):
    with pytest.raises(TwilioTimeout) as raised:
        with audit_attempt(actor=None, action="hold", conference_sid=CONF):
            raise TwilioTimeout("read timed out", outcome_unknown=True)
    [record] = AuditRecord.objects.all()
    assert record.outcome == "unknown" and raised.value.audit_record.pk == record.pk


def test_no_record_no_call(db):
    called = []
    with database_down(AUDIT_WRITES) as down:
        with pytest.raises(Exception) as raised:
            with audit_attempt(actor=None, action="mute", conference_sid=CONF):
                called.append("twilio")
    assert called == [] and down.refused
    assert str(raised.value) == AUDIT_UNAVAILABLE
    assert not AuditRecord.objects.exists()


# --- through the views: nothing sent when the record cannot be written ---------------------


def test_row_action_sends_nothing_without_its_record(supervisor_client, demo, seen):
    seen(ESCALATION)
    with database_down(AUDIT_WRITES) as down:
        response = mute(supervisor_client, demo)
    assert down.refused
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode() and AUDIT_UNAVAILABLE in announced(response)
    assert upstream(demo.simulator) == []
    assert demo.participant(ESCALATION, "agent:carol").muted is False
    assert not AuditRecord.objects.exists()


def test_row_action_survives_the_whole_database_being_down(supervisor_client, demo, seen):
    """Session, user, roster and marks are in the cache: only the record needs the database."""
    seen(ESCALATION)
    url = reverse("participant", args=[demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")])
    with database_down():
        response = post(supervisor_client, demo, url, {"action": "mute"})
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode()
    assert upstream(demo.simulator) == []


def test_dial_out_sends_nothing_without_its_record(supervisor_client, demo, seen):
    seen(SALES)
    url = reverse("participant-add", args=[demo.sid(SALES)])
    with database_down(AUDIT_WRITES):
        response = post(supervisor_client, demo, url, {"to": "+14155550199", "from_": "+15005550006"})
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode()
    assert upstream(demo.simulator) == []


def test_end_conference_sends_nothing_without_its_record(supervisor_client, demo):
    url = reverse("conference-end", args=[demo.sid(SALES)])
    with database_down(AUDIT_WRITES):
        response = post(supervisor_client, demo, url)
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode()
    assert upstream(demo.simulator) == []


def test_bulk_action_sends_nothing_without_its_records(supervisor_client, demo, seen):
    seen(ONBOARDING)
    url = reverse("supervision-bulk", args=[demo.sid(ONBOARDING)])
    with database_down(AUDIT_WRITES):
        response = post(supervisor_client, demo, url, {"action": "mute-customers"})
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode()
    assert upstream(demo.simulator) == []
    assert not AuditRecord.objects.exists()


@pytest.mark.django_db(transaction=True)  # the simulator's thread reads what the request committed
def test_bulk_action_writes_every_record_before_any_call(supervisor_client, demo, seen):
    seen(ONBOARDING)
    url = reverse("supervision-bulk", args=[demo.sid(ONBOARDING)])
    pending_when_called = []
    real = demo.simulator.update_participant

    def update_participant(*args, **kwargs):
        pending_when_called.append(AuditRecord.objects.filter(outcome="pending").count())
        return real(*args, **kwargs)

    demo.simulator.update_participant = update_participant
    try:
        response = post(supervisor_client, demo, url, {"action": "mute-customers"})
    finally:
        del demo.simulator.update_participant
    assert response.status_code == 200 and pending_when_called == [1]
    [attempt] = AuditRecord.objects.filter(action="mute")
    assert attempt.outcome == "ok" and attempt.parameters["bulk"] == "mute-customers"


def test_supervisor_line_sends_nothing_without_its_record(supervisor_client, demo, seen, django_user_model):
    SupervisorProfile.objects.create(user=django_user_model.objects.get(username="supervisor"), phone="client:sup")
    seen(BILLING)
    url = reverse("supervision-line-dial", args=[demo.sid(BILLING)])
    with database_down(AUDIT_WRITES):
        response = post(supervisor_client, demo, url)
    assert response.status_code == 200
    assert AUDIT_UNAVAILABLE in response.content.decode()
    assert upstream(demo.simulator) == []


# --- the database goes away after the call -------------------------------------------------


def test_a_record_that_cannot_be_settled_stays_pending_and_the_answer_comes(supervisor_client, demo, seen):
    seen(ESCALATION)
    with database_down(AUDIT_SETTLING) as down:
        response = mute(supervisor_client, demo)
    assert down.refused
    assert response.status_code == 200
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"]
    assert demo.participant(ESCALATION, "agent:carol").muted is True
    [record] = AuditRecord.objects.all()
    assert (record.action, record.outcome) == ("mute", "pending")
