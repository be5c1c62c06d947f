"""One classifier and one set of alert rules, whatever page shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conference_admin.live import alerts, participants
from conference_admin.live import roster as rosters
from conference_admin.twilio import Participant

CONF = "CF" + "c" * 32
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def person(n: int, label: str | None, **values) -> Participant:
    return Participant(
        call_sid=f"CA{n:032x}",
        conference_sid=CONF,
        label=label,
        **{"status": "connected", "muted": False, "hold": False, "date_created": T0, **values},
    )


def roster_of(*participants: Participant, status: str = "in-progress") -> rosters.Roster:
    roster = rosters.Roster(conference_sid=CONF, conference_status=status)
    for n, p in enumerate(participants):
        roster.entries[p.call_sid] = rosters.RosterEntry(p, n, hold_since=T0 if p.hold else None)
    return roster


def kinds(found) -> list[str]:
    return [a.kind for a in found]


def test_one_setting_classifies_every_participant(settings):
    assert participants.participant_role("supervisor:sam") == "supervisor"
    assert participants.participant_role("Agent:Bob") == "agent"
    assert participants.participant_role("customer:Dana") == "customer"
    assert participants.participant_role(None) == "customer"
    settings.PARTICIPANT_ROLE_PREFIXES = {"agent": ("rep-", "staff:"), "supervisor": ("boss:",)}
    assert participants.participant_role("staff:kim") == "agent"
    assert participants.participant_role("agent:bob") == "customer"
    assert participants.supervisor_label("sam") == "boss:sam"
    assert participants.supervisor_username("boss:sam") == "sam"


def test_a_held_agent_does_not_attend_the_customer():
    roster = roster_of(person(1, "agent:bob", hold=True), person(2, "customer:Eve"))
    assert kinds(alerts.conference_alerts(roster=roster, now=T0)) == ["alone"]


def test_everyone_on_hold():
    roster = roster_of(person(1, "agent:bob", hold=True), person(2, "customer:Eve", hold=True))
    assert "all-held" in kinds(alerts.conference_alerts(roster=roster, now=T0))


def test_a_held_participant_whose_exit_ends_the_conference_is_a_row_alert():
    roster = roster_of(person(1, "agent:bob", hold=True, end_conference_on_exit=True), person(2, "agent:kim"))
    (alert,) = alerts.conference_alerts(roster=roster, now=T0)
    assert alert.kind == "hold-ends-conference" and alert.call_sid == person(1, None).call_sid


@pytest.mark.parametrize("label", ["customer:Eve", "agent:bob"])
def test_someone_alone_in_a_conference_that_never_started(settings, label):
    settings.SUPERVISION_ALERT_WAITING_TO_START_SECONDS = 60
    roster = roster_of(person(1, label), status="init")
    assert "waiting-alone" not in kinds(alerts.conference_alerts(roster=roster, now=T0 + timedelta(seconds=59)))
    found = alerts.conference_alerts(roster=roster, now=T0 + timedelta(seconds=65))
    assert kinds(found) == ["waiting-alone"]
    assert found[0].text == (
        f"{label} is alone, waiting 1:05 for the conference to start: it starts when a second participant joins."
    )
    # Started, or someone else is in: not waiting alone.
    assert "waiting-alone" not in kinds(
        alerts.conference_alerts(roster=roster_of(person(1, label)), now=T0 + timedelta(hours=1))
    )
    two = roster_of(person(1, label), person(2, "agent:kim"), status="init")
    assert "waiting-alone" not in kinds(alerts.conference_alerts(roster=two, now=T0 + timedelta(hours=1)))


def test_a_time_a_little_ahead_of_our_clock_counts_as_just_now(settings):
    """Twilio's clock and the dashboard's differ a little: a hold or a ring that Twilio dates a
    few seconds ahead still reaches a zero limit, and reads 0:00, not a negative time."""
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0
    settings.SUPERVISION_ALERT_RINGING_SECONDS = 0
    ahead = T0 + timedelta(seconds=3)
    held = person(1, "customer:Dana", hold=True)
    ringing = person(2, "agent:bob", status="ringing", date_created=ahead)
    roster = roster_of(held, ringing)
    roster.entries[held.call_sid].hold_since = ahead
    found = alerts.conference_alerts(roster=roster, now=T0)
    texts = {a.kind: a.text for a in found}
    assert texts["hold"] == "customer:Dana on hold 0:00"
    assert texts["ringing"] == "agent:bob ringing 0:00"


def test_a_rows_alerts_alone_are_the_conference_alerts_of_that_row():
    """A row answered after an action reads only its own alerts (`row_alerts`): each row's are
    exactly those `conference_alerts` gives it, and no conference-wide alert is among them."""
    later = T0 + timedelta(minutes=5)
    roster = roster_of(
        person(1, "customer:Dana", hold=True, end_conference_on_exit=True),  # held long, ends the room
        person(2, "customer:Acme", status="ringing"),  # ringing long
        person(3, "agent:bob", hold=True),
        person(4, "customer:Eve"),  # nothing of its own
    )
    everything = alerts.conference_alerts(roster=roster, now=later)
    assert "alone" in kinds(everything)  # a conference alert the rows must not carry
    for entry in roster.entries.values():
        sid = entry.participant.call_sid
        own = alerts.row_alerts(roster=roster, entries=[entry], now=later)
        assert own == [a for a in everything if a.call_sid == sid]
    assert kinds(alerts.row_alerts(roster=roster, entries=roster.entries.values(), now=later)) == [
        "hold",
        "hold-ends-conference",
        "ringing",
        "hold",
    ]
    ended = roster_of(person(1, "customer:Dana", hold=True), status="completed")
    assert alerts.row_alerts(roster=ended, entries=ended.entries.values(), now=later) == []
