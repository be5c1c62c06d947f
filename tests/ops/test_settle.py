"""Pending audit records settled from Twilio's current state (dashboard/settle.py), one runner
at a time (ops/settling.py)."""

from __future__ import annotations

import threading

from django.core.management import call_command

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import audit_begin
from conference_admin.dashboard.settle import LOST, settle_pending
from conference_admin.live import roster as rosters
from conference_admin.ops import settling

from .conftest import ESCALATION


def _pending(demo, action: str, label: str = "agent:carol", **parameters) -> AuditRecord:
    sid = demo.sid(ESCALATION)
    call_sid = demo.call_sid(ESCALATION, label) if label else ""
    return audit_begin(
        actor=None,
        action=action,
        conference_sid=sid,
        participant_sid=call_sid,
        participant_label=label,
        parameters=parameters,
    )


def _reloaded(record: AuditRecord) -> AuditRecord:
    return AuditRecord.objects.get(pk=record.pk)


def test_a_mute_twilio_shows_applied_settles_ok_and_clears_the_rows_mark(demo):
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    record = _pending(demo, "mute", muted=True)
    rosters.begin(sid, carol, actor="sam", action="mute")  # the mark the dead process left
    demo.simulator.update_participant(demo.simulator.account_sid, sid, carol, {"Muted": "true"})
    assert rosters.load_marks(sid).by_call.get(carol)

    assert settle_pending(older_than=0) == {"ok": 1}

    settled = _reloaded(record)
    assert settled.outcome == "ok" and settled.error_message.startswith(LOST)
    assert "muted=True" in settled.error_message and settled.twilio_request_id
    assert not rosters.load_marks(sid).by_call.get(carol)
    assert rosters.load(sid).entries[carol].participant.muted is True  # the row shows the truth


def test_a_mute_twilio_does_not_show_settles_failed(demo):
    record = _pending(demo, "mute", muted=True)
    assert settle_pending(older_than=0) == {"failed": 1}
    assert "not applied" in _reloaded(record).error_message


def test_a_kick_of_someone_gone_settles_ok_and_the_row_goes(demo):
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    record = _pending(demo, "kick")
    demo.simulator.delete_participant(demo.simulator.account_sid, sid, carol)
    assert settle_pending(older_than=0) == {"ok": 1}
    assert _reloaded(record).error_message == LOST + "Twilio shows the participant gone."
    assert carol not in rosters.load(sid).entries


def test_a_dial_out_is_looked_up_by_its_label(demo):
    sid = demo.sid(ESCALATION)
    placed = audit_begin(actor=None, action="add", conference_sid=sid, participant_label="agent:carol")
    missing = audit_begin(actor=None, action="add", conference_sid=sid, participant_label="dial-0000")
    assert settle_pending(older_than=0) == {"ok": 1, "failed": 1}
    assert _reloaded(placed).participant_sid == demo.call_sid(ESCALATION, "agent:carol")
    assert _reloaded(missing).outcome == "failed"


def test_only_records_older_than_the_age_and_unreadable_ones_stay_pending(demo, settings):
    record = _pending(demo, "mute", muted=True)
    assert settle_pending(older_than=3600) == {}
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: Twilio cannot be read
    assert settle_pending(older_than=0) == {"error": 1}
    assert _reloaded(record).outcome == "pending"


def test_an_announcement_settles_unknown(demo):
    record = audit_begin(actor=None, action="announce-all", conference_sid=demo.sid(ESCALATION))
    assert settle_pending(older_than=0) == {"unknown": 1}
    assert _reloaded(record).outcome == "unknown"


def test_the_command_refuses_an_age_a_live_action_could_have(demo, capsys):
    record = _pending(demo, "mute", muted=True)
    call_command("settle_pending_audit", "--older-than", "1")
    assert "longer than TWILIO_TOTAL_TIMEOUT" in capsys.readouterr().err
    assert _reloaded(record).outcome == "pending"


def test_one_runner_at_a_time(transactional_db):
    held = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def first():
        from django.db import connection

        with settling.single_flight() as got:
            seen.append(got)
            held.set()
            release.wait(10)
        connection.close()  # this thread's own connection

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(10)
        other: list[bool] = []

        def second():
            from django.db import connection

            with settling.single_flight() as got:
                other.append(got)
            connection.close()

        runner = threading.Thread(target=second)
        runner.start()
        runner.join(10)
        assert seen == [True] and other == [False]
    finally:
        release.set()
        thread.join(10)
    with settling.single_flight() as got:  # free again once the first is done
        assert got


def test_a_pending_record_settled_meanwhile_does_not_fail_the_attempt(demo):
    """The live attempt's own settling finds the record settled by the runner: logged, no error."""
    from conference_admin.audit.recorder import audit_settling

    record = _pending(demo, "mute", muted=True)
    settle_pending(older_than=0)
    with audit_settling(record) as attempt:
        attempt.succeeded(request_id="RQ0")
    assert _reloaded(record).error_message.startswith(LOST)
