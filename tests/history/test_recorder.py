"""History is fed by the live state: reconcile diffs, status callbacks and the conference's end."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from conference_admin.audit.models import AuditRecord
from conference_admin.history.models import ConferenceRecord, ParticipantObservation, ParticipantSession
from conference_admin.history.recorder import history_roster_changed
from conference_admin.live import callbacks, roster
from conference_admin.twilio import Conference, Participant
from tests.live.callback_helpers import ALICE, BOB, CONFERENCE, EPOCH, conference_event

pytestmark = pytest.mark.django_db

JOINED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def receive(params):
    form = QueryDict(mutable=True)
    form.update(params)
    return callbacks.receive_conference_callback(form)


def person(n, **fields):
    values = {
        "call_sid": f"CA{n:032x}",
        "conference_sid": CONFERENCE,
        "label": f"person {n}",
        "status": "connected",
        "muted": False,
        "hold": False,
        "date_created": JOINED + timedelta(seconds=n),
    }
    values.update(fields)
    return Participant(**values)


def session(n):
    return ParticipantSession.objects.get(conference_id=CONFERENCE, call_sid=person(n).call_sid)


def test_seen_in_one_reconcile_and_gone_in_the_next_left_at_an_approximate_time():
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    assert ParticipantSession.objects.count() == 2
    first = session(2)
    # Twilio's date_created says when they joined: that time is exact.
    assert (first.joined_at, first.joined_approximate, first.left_at) == (person(2).date_created, False, None)

    before = datetime.now(UTC)
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    gone = session(2)
    assert gone.left_at >= before and gone.left_approximate and gone.times_approximate
    assert gone.approximate_within >= 1 and gone.left_reason == "gone from the participant list"
    assert session(1).left_at is None and not session(1).times_approximate


def test_an_unchanged_reconcile_writes_nothing():
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    with CaptureQueriesContext(connection) as queries:
        roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    assert len(queries) == 0


def test_a_state_change_seen_by_reconcile_is_observed_once():
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    roster.reconcile(CONFERENCE, [person(1, muted=True)], started_at=time.time())
    roster.reconcile(CONFERENCE, [person(1, muted=True)], started_at=time.time())
    observed = list(ParticipantObservation.objects.values_list("muted", flat=True))
    assert observed == [False, True]


def test_a_reconcile_diff_is_one_short_transaction():
    roster.reconcile(CONFERENCE, [person(n) for n in range(1, 6)], started_at=time.time())
    with CaptureQueriesContext(connection) as queries:
        roster.reconcile(CONFERENCE, [person(n) for n in range(3, 9)], started_at=time.time())
    # ensure conference (insert + fill-ins), dial-out lookup, sessions, departures, observations
    assert len(queries) <= 9, [q["sql"] for q in queries]
    assert ParticipantSession.objects.filter(left_at__isnull=True).count() == 6


def test_callbacks_give_exact_join_and_leave_with_twilio_reason():
    for params in (
        conference_event("conference-start", 1),
        conference_event("participant-join", 2, call_sid=ALICE, label="customer"),
        conference_event("participant-join", 3, call_sid=BOB, label="agent:bob"),
        conference_event(
            "participant-leave", 9, call_sid=ALICE, label="customer", ReasonParticipantLeft="participant_hung_up"
        ),
    ):
        receive(params)
    record = ConferenceRecord.objects.get(sid=CONFERENCE)
    assert (record.friendly_name, record.started_at) == ("Support room", EPOCH + timedelta(seconds=1))
    alice = ParticipantSession.objects.get(call_sid=ALICE)
    assert (alice.label, alice.joined_at, alice.left_at, alice.left_reason) == (
        "customer",
        EPOCH + timedelta(seconds=2),
        EPOCH + timedelta(seconds=9),
        "participant_hung_up",
    )
    assert not alice.times_approximate

    receive(conference_event("conference-end", 12, ReasonConferenceEnded="last-participant-left"))
    record.refresh_from_db()
    assert (record.ended_at, record.reason_ended) == (EPOCH + timedelta(seconds=12), "last-participant-left")
    bob = ParticipantSession.objects.get(call_sid=BOB)
    assert (bob.left_at, bob.left_reason) == (EPOCH + timedelta(seconds=12), "conference ended")


def test_a_redelivered_callback_changes_nothing():
    params = conference_event("participant-join", 2, call_sid=ALICE, label="customer")
    receive(params)
    with CaptureQueriesContext(connection) as queries:
        receive(params)
    assert not any("history_" in q["sql"] for q in queries)


def test_leave_before_join_keeps_both_times():
    receive(conference_event("participant-leave", 5, call_sid=ALICE, label="customer"))
    receive(conference_event("participant-join", 2, call_sid=ALICE, label="customer"))
    alice = ParticipantSession.objects.get(call_sid=ALICE)
    assert (alice.joined_at, alice.left_at) == (EPOCH + timedelta(seconds=2), EPOCH + timedelta(seconds=5))


def test_ending_the_conference_closes_open_sessions_and_a_kick_at_its_own_time():
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    AuditRecord.objects.create(
        actor_username="lea",
        conference_sid=CONFERENCE,
        participant_sid=person(2).call_sid,
        action="kick",
        outcome="ok",
    )
    roster.record_removed(CONFERENCE, person(2).call_sid)
    ended = datetime.now(UTC) + timedelta(minutes=5)
    roster.record_conference(
        Conference(
            sid=CONFERENCE,
            friendly_name="Escalation 14:05",
            status="completed",
            reason_conference_ended="conference-ended-via-api",
            date_created=JOINED,
            date_updated=ended,
        )
    )
    record = ConferenceRecord.objects.get(sid=CONFERENCE)
    assert (record.friendly_name, record.started_at, record.ended_at) == ("Escalation 14:05", JOINED, ended)
    assert (session(1).left_at, session(1).left_reason) == (ended, "conference ended")
    assert session(2).left_reason == "removed by lea" and session(2).left_at < ended


def test_a_dial_out_gets_its_dialled_number_and_direction():
    AuditRecord.objects.create(
        actor_username="lea",
        conference_sid=CONFERENCE,
        participant_sid=person(3).call_sid,
        action="add",
        outcome="ok",
        parameters={"from": "+15005550006", "to": "+15551234567"},
    )
    roster.record_participant(CONFERENCE, person(3, status="queued"))
    dialled = session(3)
    assert (dialled.number, dialled.direction) == ("+15551234567", "outbound-api")
    # A row action on someone already known adds nothing to history.
    with CaptureQueriesContext(connection) as queries:
        roster.record_participant(CONFERENCE, person(3, muted=True))
    assert len(queries) == 0


def test_history_never_breaks_the_caller(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(ParticipantSession.objects, "bulk_create", broken)
    history_roster_changed(CONFERENCE, joined=[person(1)])  # logged, not raised
    assert not ParticipantSession.objects.exists()


def test_a_reconcile_that_finds_the_conference_ended_closes_everyone_at_its_end():
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    ended = datetime.now(UTC) - timedelta(seconds=3)
    completed = Conference(sid=CONFERENCE, friendly_name="Support room", status="completed", date_updated=ended)
    roster.reconcile(CONFERENCE, [], started_at=time.time(), conference=completed)
    assert ConferenceRecord.objects.get(sid=CONFERENCE).ended_at == ended
    for n in (1, 2):
        assert (session(n).left_at, session(n).left_reason, session(n).left_approximate) == (
            ended,
            "conference ended",
            False,
        )


@pytest.mark.parametrize(
    "statuses, summary",
    [
        (["in-progress"], "recorded"),
        (["in-progress", "paused", "in-progress", "paused"], "recorded, paused at times"),
        (["paused"], "recorded, paused at times"),
        (["in-progress", "stopped", "completed"], "recorded, stopped early"),
        (["stopped", "paused"], "recorded, paused at times, stopped early"),
        (["absent"], ""),
    ],
)
def test_the_recording_summary_adds_each_fact_once_in_order(statuses, summary):
    from conference_admin.history.recorder import recording_summary

    known = ""
    for status in statuses:
        known = recording_summary(known, status)
    assert known == summary
