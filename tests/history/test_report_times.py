"""A conference report's time on hold and time muted for a participant who left while held or
muted: the open stretch ends when they left (or were removed), never when the conference ended
or the report was drawn, whichever source told of it (Twilio's event, the dashboard's own
action, a reconcile's observation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conference_admin.access.roles import LEAD
from conference_admin.history.models import ParticipantObservation, ParticipantSession
from conference_admin.history.selectors import conference_report
from conference_admin.live.models import ConferenceEvent

from .factories import act, call_sid, make_conference
from .test_pages import csv_rows, login

pytestmark = pytest.mark.django_db

N = 7  # the conference's number in the factories
WHO = 1  # the participant who leaves while held or muted
EVENT = {"hold": "participant-hold", "muted": "participant-mute"}
UNDO = {"hold": "participant-unhold", "muted": "participant-unmute"}
ACTION = {"hold": "hold", "muted": "mute"}


def event(record, name: str, at, key: str) -> None:
    ConferenceEvent.objects.create(
        conference_sid=record.sid,
        event=name,
        call_sid=call_sid(N, WHO),
        label=f"customer {N}-{WHO}",
        occurred_at=at,
        source="twilio",
        delivery_key=key,
    )


def leaves(at) -> None:
    ParticipantSession.objects.filter(call_sid=call_sid(N, WHO)).update(left_at=at, left_reason="participant hung up")


def report_line(record, now):
    report = conference_report(conference_sid=record.sid, now=now)
    (line,) = [p for p in report.participants if p.call_sid == call_sid(N, WHO)]
    return line


@pytest.fixture
def live_conference():
    """A conference still going: it started half an hour ago; the report is drawn an hour later,
    so a stretch left open would be counted up to then."""
    now = timezone.now()
    record = make_conference(N, participants=2, ended=False, start=now - timedelta(minutes=30))
    return record, now + timedelta(hours=1)


@pytest.mark.parametrize("state", ["hold", "muted"])
@pytest.mark.parametrize("source", ["twilio event", "reconcile observation"])
def test_leaving_while_held_or_muted_ends_the_stretch_when_they_left(live_conference, state, source):
    record, report_time = live_conference
    began, left = record.started_at + timedelta(minutes=1), record.started_at + timedelta(minutes=5)
    if source == "twilio event":
        event(record, EVENT[state], began, "k1")
    else:
        ParticipantObservation.objects.create(
            conference=record, call_sid=call_sid(N, WHO), at=began, muted=state == "muted", hold=state == "hold"
        )
    leaves(left)
    line = report_line(record, report_time)
    other = "muted" if state == "hold" else "hold"
    assert getattr(line, state) == timedelta(minutes=4)
    assert getattr(line, other) == timedelta(0)
    assert getattr(line, f"{state}_text") == "4:00"


@pytest.mark.parametrize("state", ["hold", "muted"])
def test_held_or_muted_by_the_dashboard_then_left_counts_until_they_left(live_conference, state):
    record, report_time = live_conference
    action = act(N, "lea", ACTION[state], participant=WHO)  # now: after the conference started
    leaves(action.created_at + timedelta(minutes=3))
    assert getattr(report_line(record, report_time), state) == timedelta(minutes=3)


@pytest.mark.parametrize("state", ["hold", "muted"])
def test_removed_while_held_or_muted_counts_until_the_removal(live_conference, state):
    record, report_time = live_conference
    kick = act(N, "lea", "kick", participant=WHO)  # Twilio never told of the departure
    event(record, EVENT[state], kick.created_at - timedelta(minutes=4), "k1")
    line = report_line(record, report_time)
    assert line.left_at == kick.created_at
    assert getattr(line, state) == timedelta(minutes=4)


@pytest.mark.parametrize("state", ["hold", "muted"])
def test_news_after_they_left_adds_nothing(live_conference, state):
    """A late event about the stretch (here its end, delivered after the departure) does not
    stretch it past the departure."""
    record, report_time = live_conference
    event(record, EVENT[state], record.started_at + timedelta(minutes=1), "k1")
    leaves(record.started_at + timedelta(minutes=5))
    event(record, UNDO[state], record.started_at + timedelta(minutes=9), "k2")
    assert getattr(report_line(record, report_time), state) == timedelta(minutes=4)


def test_the_report_page_and_its_export_show_the_time_until_they_left(client, live_conference):
    record, _ = live_conference
    login(client, LEAD)
    event(record, EVENT["hold"], record.started_at + timedelta(minutes=1), "k1")
    leaves(record.started_at + timedelta(minutes=3, seconds=30))
    page = client.get(reverse("history-report", args=[record.sid])).content.decode()
    assert "2:30" in page
    header, *rows = csv_rows(client.get(reverse("history-report-export", args=[record.sid])))
    (row,) = [r for r in rows if r[header.index("call_sid")] == call_sid(N, WHO)]
    assert row[header.index("seconds_on_hold")] == "150"
