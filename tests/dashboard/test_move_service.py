"""`services.participant_move`: one audited UpdateCall with the builder's TwiML (CONTRACT.md section 14)."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import AuditUnavailable
from conference_admin.dashboard import services
from conference_admin.twilio import TwilioClient, TwilioTimeout
from conference_admin.twilio.twiml import TwimlRefused

from .conftest import ESCALATION, upstream


@pytest.fixture
def lead(django_user_model, db):
    return django_user_model.objects.create_user("sam")


def test_one_update_call_moves_the_customer_keeping_their_label(demo, lead, seen) -> None:
    seen(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "customer:+14155550103")
    moved = services.participant_move(
        actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=call_sid, room="Side room 2", muted=True
    )
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateCall"]
    twiml = upstream(demo.simulator)[0].params["Twiml"][0]
    noun = fromstring(twiml).find("Dial/Conference")
    assert noun is not None and (noun.text, noun.get("participantLabel"), noun.get("muted")) == (
        "Side room 2",
        "customer:+14155550103",
        "true",
    )
    assert (moved.call.sid, moved.call.status, moved.room) == (call_sid, "in-progress", "Side room 2")
    assert call_sid not in moved.roster.entries  # the room it left, as the removal's write left it
    side = [c for c in demo.simulator.list_conferences(demo.simulator.account_sid) if c.friendly_name == "Side room 2"]
    assert [p.label for p in demo.simulator.list_participants(demo.simulator.account_sid, side[0].sid)] == [
        "customer:+14155550103"
    ]
    record = AuditRecord.objects.get(action="move")
    assert (record.outcome, record.actor_username, record.participant_sid) == ("ok", "sam", call_sid)
    assert record.parameters["to_room"] == "Side room 2" and record.parameters["from_room"] == ESCALATION
    assert record.parameters["twiml"] == twiml


def test_the_audit_record_is_written_before_the_call_and_without_it_nothing_is_sent(
    demo, lead, seen, audit_writes_refused
) -> None:
    seen(ESCALATION)

    with pytest.raises(AuditUnavailable):
        services.participant_move(
            actor=lead,
            conference_sid=demo.sid(ESCALATION),
            call_sid=demo.call_sid(ESCALATION, "agent:carol"),
            room="Side room",
        )
    assert upstream(demo.simulator) == []


def test_what_twilio_would_refuse_is_refused_before_the_audit_and_the_call(demo, lead, seen) -> None:
    seen(ESCALATION)
    with pytest.raises(TwimlRefused):
        services.participant_move(
            actor=lead,
            conference_sid=demo.sid(ESCALATION),
            call_sid=demo.call_sid(ESCALATION, "agent:carol"),
            room="x" * 129,
        )
    assert upstream(demo.simulator) == [] and not AuditRecord.objects.exists()


def test_twilios_refusal_is_kept_with_its_code_and_audited_failed(demo, lead, seen) -> None:
    seen(ESCALATION)
    ringing = demo.call_sid(ESCALATION, "customer:Acme on-call")
    with pytest.raises(Exception) as caught:
        services.participant_move(actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=ringing, room="Side")
    assert getattr(caught.value, "code", None) == 21220
    record = AuditRecord.objects.get(action="move")
    assert (record.outcome, record.error_code) == ("failed", 21220)


def test_a_timeout_is_unknown_and_the_reread_settles_it(demo, lead, seen, monkeypatch) -> None:
    """The move may have happened: the re-read finds the participant gone from the room and settles it ok."""
    seen(ESCALATION)
    conference_sid = demo.sid(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    real_update = TwilioClient.update_call

    def applied_then_lost(self, *args, **kwargs):
        real_update(self, *args, **kwargs)
        raise TwilioTimeout("Twilio did not answer in time", outcome_unknown=True, method="POST")

    monkeypatch.setattr(TwilioClient, "update_call", applied_then_lost)
    with pytest.raises(TwilioTimeout) as caught:
        services.participant_move(actor=lead, conference_sid=conference_sid, call_sid=call_sid, room="Side")
    assert AuditRecord.objects.get(action="move").outcome == "unknown"
    reread = services.participant_reread_after_unknown(
        conference_sid=conference_sid, call_sid=call_sid, error=caught.value, expected={}
    )
    assert (reread.recorded, reread.applied) == (None, True)  # gone from this room: moved
    resolution = AuditRecord.objects.exclude(resolves=None).get()
    assert (resolution.outcome, resolution.resolves.action) == ("ok", "move")
