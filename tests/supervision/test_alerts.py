"""Alerts on the conferences page fire at their thresholds, on a clock the test controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conference_admin.live import roster as rosters
from conference_admin.live.alerts import conference_alerts, conferences_alerts
from conference_admin.live.models import ConferenceEvent
from conference_admin.twilio import Participant

from .conftest import SALES

CONF = "CF" + "a" * 32
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def person(n: int, label: str | None, **values) -> Participant:
    return Participant(
        call_sid=f"CA{n:032x}",
        conference_sid=CONF,
        label=label,
        **{"status": "connected", "muted": False, "hold": False, **values},
    )


def roster_of(*participants: Participant, held_since: datetime | None = None) -> rosters.Roster:
    roster = rosters.Roster(conference_sid=CONF)
    for n, p in enumerate(participants):
        roster.entries[p.call_sid] = rosters.RosterEntry(p, n, hold_since=held_since if p.hold else None)
    return roster


def texts(alerts):
    return [a.text for a in alerts]


@pytest.fixture
def thresholds(settings):
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 120
    settings.SUPERVISION_ALERT_RINGING_SECONDS = 45


def test_on_hold_fires_at_the_threshold(thresholds):
    roster = roster_of(person(1, "agent:bob"), person(2, "customer:Dana", hold=True), held_since=T0)
    assert texts(conference_alerts(roster=roster, now=T0 + timedelta(seconds=119))) == []
    assert texts(conference_alerts(roster=roster, now=T0 + timedelta(seconds=120))) == ["customer:Dana on hold 2:00"]
    assert texts(conference_alerts(roster=roster, now=T0 + timedelta(seconds=192))) == ["customer:Dana on hold 3:12"]


def test_ringing_fires_at_the_threshold(thresholds):
    roster = roster_of(
        person(1, "agent:bob"), person(2, "customer:Acme", status="ringing", date_created=T0), person(3, "customer:Eve")
    )
    assert texts(conference_alerts(roster=roster, now=T0 + timedelta(seconds=44))) == []
    assert texts(conference_alerts(roster=roster, now=T0 + timedelta(seconds=45))) == ["customer:Acme ringing 0:45"]


def test_customer_alone():
    alone = roster_of(person(1, "customer:Eve"), person(2, "agent:bob", status="ringing", date_created=T0))
    assert "customer alone" in texts(conference_alerts(roster=alone, now=T0))
    attended = roster_of(person(1, "customer:Eve"), person(2, "agent:bob"))
    assert conference_alerts(roster=attended, now=T0) == []
    two = roster_of(person(1, "customer:Eve"), person(2, None))
    assert "2 customers alone" in texts(conference_alerts(roster=two, now=T0))


def test_agent_dropped_while_customers_remain():
    roster = roster_of(person(1, "customer:Eve"), person(2, "agent:carol"))
    assert texts(conference_alerts(roster=roster, now=T0, dropped_agents=["agent:dave"])) == [
        "agent dropped: agent:dave"
    ]
    # Back in the conference: no longer dropped.
    assert conference_alerts(roster=roster, now=T0, dropped_agents=["agent:carol"]) == []
    # Nobody left to strand: no alert.
    only_agents = roster_of(person(2, "agent:carol"))
    assert conference_alerts(roster=only_agents, now=T0, dropped_agents=["agent:dave"]) == []


@pytest.mark.django_db
def test_agent_dropped_comes_from_the_conference_events_in_one_query(django_assert_num_queries):
    rosters.record_participant(CONF, person(1, "customer:Eve"))
    ConferenceEvent.objects.create(
        conference_sid=CONF,
        event="participant-leave",
        label="agent:dave",
        occurred_at=T0,
        source="twilio",
        delivery_key="k1",
    )
    ConferenceEvent.objects.create(
        conference_sid=CONF,
        event="participant-leave",
        label="customer:Old",
        occurred_at=T0,
        source="twilio",
        delivery_key="k2",
    )
    with django_assert_num_queries(1):  # a read: history is written by the page's caller
        alerts = conferences_alerts(conference_sids=[CONF, "CF" + "b" * 32], now=T0)
    assert texts(alerts[CONF]) == ["customer alone", "agent dropped: agent:dave"]
    assert alerts["CF" + "b" * 32] == []


def test_the_conferences_page_shows_alerts_per_conference(supervisor_client, demo, settings):
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0  # the demo's held customer alerts at once
    body = supervisor_client.get(reverse("conference-list")).content.decode()
    assert f'id="alerts-{demo.sid(SALES)}"' in body
    assert "customer:Dana Whitfield on hold" in body
