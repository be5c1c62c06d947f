"""The alerts that fired are recorded in history when they first fire, and history shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conference_admin.dashboard.services import alerts_shown as conferences_alerts
from conference_admin.history.models import ConferenceAlert, ConferenceRecord
from conference_admin.history.recorder import forget_recorded_alerts, history_conference_ended
from conference_admin.live import alerts as live_alerts
from conference_admin.live import roster as rosters
from conference_admin.live.models import ConferenceEvent
from conference_admin.twilio import Participant
from tests.dashboard.conftest import SALES, demo, seen, supervisor_client  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db

CONF = "CF" + "e" * 32
T0 = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def person(n: int, label: str, **values) -> Participant:
    return Participant(
        call_sid=f"CA{n:032x}",
        conference_sid=CONF,
        label=label,
        **{"status": "connected", "muted": False, "hold": False, "date_created": T0, **values},
    )


def roster_of(*participants: Participant) -> rosters.Roster:
    roster = rosters.Roster(conference_sid=CONF, conference_status="in-progress")
    for n, p in enumerate(participants):
        roster.entries[p.call_sid] = rosters.RosterEntry(p, n, hold_since=T0 if p.hold else None)
    return roster


def history_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "history_" in q["sql"]]


def test_an_alert_is_recorded_once_as_it_read_when_it_first_fired(settings):
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 120
    roster = roster_of(person(1, "agent:bob"), person(2, "customer:Dana", hold=True))
    known = {CONF: roster}
    assert conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=60), known_rosters=known)[CONF] == []
    assert not ConferenceAlert.objects.exists()

    conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=120), known_rosters=known)
    alert = ConferenceAlert.objects.get()
    assert (alert.kind, alert.subject, alert.text) == ("hold", person(2, "").call_sid, "customer:Dana on hold 2:00")
    assert alert.fired_at == T0 + timedelta(seconds=120)
    assert ConferenceRecord.objects.get(sid=CONF).alerts_fired == "customer:Dana on hold 2:00"

    # The same alert on every later poll (its text now says 3:12): nothing is written or read.
    with CaptureQueriesContext(connection) as captured:
        later = conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=192), known_rosters=known)
    assert [a.text for a in later[CONF]] == ["customer:Dana on hold 3:12"]
    assert history_queries(captured) == []
    # Another process (or this one restarted) writes it again: still one, as it first read.
    forget_recorded_alerts()
    conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=200), known_rosters=known)
    assert list(ConferenceAlert.objects.values_list("text", flat=True)) == ["customer:Dana on hold 2:00"]


def test_computing_alerts_writes_nothing(settings):
    """A read has no side effect: live/alerts.py computes; the page's caller hands them to history."""
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0
    known = {CONF: roster_of(person(1, "agent:bob"), person(2, "customer:Dana", hold=True))}
    found = live_alerts.conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=5), known_rosters=known)
    assert [a.kind for a in found[CONF]] == ["hold"]
    assert not ConferenceAlert.objects.exists() and not ConferenceRecord.objects.exists()


def test_each_participant_and_each_dropped_agent_is_its_own_alert():
    roster = roster_of(person(1, "customer:Eve"), person(2, "customer:Fay"))
    known = {CONF: roster}
    conferences_alerts(conference_sids=[CONF], now=T0, known_rosters=known)
    assert list(ConferenceAlert.objects.values_list("kind", "text")) == [("alone", "2 customers alone")]
    # One customer leaves: still the "alone" alert (its text changed), not a second one.
    del roster.entries[person(2, "").call_sid]
    conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=5), known_rosters=known)
    assert ConferenceAlert.objects.count() == 1
    # Two agents Twilio reported leaving are two alerts.
    for n, label in enumerate(["agent:dave", "agent:gus"]):
        ConferenceEvent.objects.create(
            conference_sid=CONF,
            event="participant-leave",
            label=label,
            occurred_at=T0,
            source="twilio",
            delivery_key=f"leave-{n}",
        )
    conferences_alerts(conference_sids=[CONF], now=T0 + timedelta(seconds=9), known_rosters=known)
    assert list(ConferenceAlert.objects.values_list("text", flat=True)) == [
        "2 customers alone",
        "agent dropped: agent:dave",
        "agent dropped: agent:gus",
    ]
    assert ConferenceRecord.objects.get(sid=CONF).alerts_fired == (
        "2 customers alone; agent dropped: agent:dave; agent dropped: agent:gus"
    )


def test_the_alert_the_conferences_page_showed_is_in_the_report_and_the_list(supervisor_client, demo, settings):  # noqa: F811
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0  # the demo's held customer alerts at once
    body = supervisor_client.get(reverse("conference-list")).content.decode()
    assert "customer:Dana Whitfield on hold" in body
    sid = demo.sid(SALES)
    fired = ConferenceAlert.objects.get(conference_id=sid, kind="hold")
    assert fired.text.startswith("customer:Dana Whitfield on hold")

    # The next poll of the page shows it again and writes nothing.
    with CaptureQueriesContext(connection) as captured:
        assert "customer:Dana Whitfield on hold" in supervisor_client.get(reverse("conference-list")).content.decode()
    assert [q for q in history_queries(captured) if not q.startswith("SELECT")] == []
    assert ConferenceAlert.objects.filter(conference_id=sid).count() == 1

    report = supervisor_client.get(reverse("history-report", args=[sid])).content.decode()
    alerts = report.split('id="report-alerts"', 1)[1].split("</ul>", 1)[0]
    assert fired.text in alerts
    assert f"Alert: {fired.text}" in report.split('id="report-timeline"', 1)[1]

    history_conference_ended(sid, reason="conference-ended-via-api")
    listed = supervisor_client.get(reverse("history-list")).content.decode()
    row = listed.split(f'id="history-{sid}"', 1)[1].split("</tr>", 1)[0]
    assert fired.text in row
