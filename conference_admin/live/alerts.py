"""What a supervisor should look at now: a conference's alerts.

The one owner of the alerts every page shows, computed from one roster snapshot. The
conferences list and the conference page call the same `conference_alerts`, so they show the
same alerts; an alert with a `call_sid` belongs to that participant's row. A read: nothing
here writes (the page's caller hands what fired to history). Roles are `participants.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q

from conference_admin.clock import clock_text

from . import roster as rosters
from .models import ConferenceEvent
from .participants import AGENT, PENDING_STATUSES, is_staff, participant_role
from .roster import Roster, RosterEntry
from .roster.model import PhraseHit, RecordingState

# --- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    # all-held | alone | waiting-alone | agent-dropped | recording-paused (conference);
    # hold | ringing | hold-ends-conference | recording-paused (row: a participant's call recording)
    # | phrase (row: a watched phrase in the participant's live transcript)
    kind: str
    text: str
    call_sid: str = ""
    severity: str = "warning"  # info | warning | critical
    # What history keeps beside the text: a phrase alert's matched line. Pages never show it (an
    # observer sees alerts, not transcripts); the transcript panel shows the line to who may read it.
    detail: str = ""


def _elapsed(now: datetime, since: datetime) -> timedelta:
    """Time since `since`; a moment a little ahead of our clock (Twilio's clock and ours are
    never exactly alike) counts as just now, not as a negative time that no limit reaches."""
    return max(timedelta(0), now - since)


@dataclass(frozen=True)
class _Limits:
    """The alert settings, read once per call (not once per participant)."""

    hold: timedelta
    ringing: timedelta
    paused: timedelta

    @classmethod
    def configured(cls) -> _Limits:
        return cls(
            timedelta(seconds=settings.SUPERVISION_ALERT_HOLD_SECONDS),
            timedelta(seconds=settings.SUPERVISION_ALERT_RINGING_SECONDS),
            timedelta(seconds=settings.RECORDING_ALERT_PAUSED_SECONDS),
        )


def _entry_alerts(entry: RosterEntry, now: datetime, limits: _Limits) -> list[Alert]:
    """The alerts that belong to one participant's row."""
    alerts: list[Alert] = []
    p = entry.participant
    hit = live_phrase(entry, now)
    if hit is not None:
        text = f"{p.identifier} said “{hit.phrase}” ({hit.rule})"
        alerts.append(Alert("phrase", text, p.call_sid, hit.severity, detail=hit.line))
    if _paused_long(entry.recording, now, limits.paused):
        alerts.append(
            Alert(
                "recording-paused",
                f"{p.identifier}: call recording paused {_minutes(entry.recording, now)} min: resume?",
                p.call_sid,
            )
        )
    if p.status == "connected" and p.hold and entry.hold_since and _elapsed(now, entry.hold_since) >= limits.hold:
        held = clock_text(_elapsed(now, entry.hold_since))
        alerts.append(Alert("hold", f"{p.identifier} on hold {held}", p.call_sid))
    if p.status in PENDING_STATUSES and p.date_created and _elapsed(now, p.date_created) >= limits.ringing:
        ringing = clock_text(_elapsed(now, p.date_created))
        alerts.append(Alert("ringing", f"{p.identifier} ringing {ringing}", p.call_sid))
    if p.status == "connected" and p.hold and p.end_conference_on_exit:
        alerts.append(
            Alert(
                "hold-ends-conference",
                f"{p.identifier} is on hold and ends the conference on exit: if they hang up, "
                "everyone is disconnected.",
                p.call_sid,
            )
        )
    return alerts


def row_alerts(*, roster: Roster, entries: Iterable[RosterEntry], now: datetime) -> list[Alert]:
    """The alerts of these participants' rows, as `conference_alerts` gives them, without
    reading anyone else: a row answered after an action costs one participant, not the room."""
    if roster.ended:
        return []
    limits = _Limits.configured()
    return [alert for entry in entries for alert in _entry_alerts(entry, now, limits)]


def conference_alerts(*, roster: Roster, now: datetime, dropped_agents: Iterable[str] = ()) -> list[Alert]:
    """What a supervisor should look at in this conference, from one roster snapshot at `now`.

    `dropped_agents`: labels of agents Twilio reported leaving (`dropped_agent_labels`); one
    counts as dropped while customers remain and nobody with that label is back. A held agent
    or supervisor does not attend: customers with only held staff are alone.
    """
    if roster.ended:
        return []
    limits = _Limits.configured()
    wait_limit = timedelta(seconds=settings.SUPERVISION_ALERT_WAITING_TO_START_SECONDS)
    entries = list(roster.entries.values())
    alerts: list[Alert] = []
    if _paused_long(roster.recording, now, limits.paused):
        alerts.append(Alert("recording-paused", f"Recording paused {_minutes(roster.recording, now)} min: resume?"))
    for entry in entries:
        alerts.extend(_entry_alerts(entry, now, limits))
    connected = [e.participant for e in entries if e.participant.status == "connected"]
    customers = [p for p in connected if not is_staff(p.label)]
    lone = connected[0] if len(connected) == 1 else None
    waited = _elapsed(now, lone.date_created) if lone is not None and lone.date_created is not None else None
    if lone is not None and waited is not None and roster.conference_status == "init" and waited >= wait_limit:
        alerts.append(
            Alert(
                "waiting-alone",
                f"{lone.identifier} is alone, waiting {clock_text(waited)} for the conference "
                "to start: it starts when a second participant joins.",
            )
        )
    elif connected and all(p.hold for p in connected):
        alerts.append(Alert("all-held", "Everyone still connected is on hold."))
    elif customers and not any(is_staff(p.label) and not p.hold for p in connected):
        alerts.append(Alert("alone", "customer alone" if len(customers) == 1 else f"{len(customers)} customers alone"))
    present = {e.participant.label for e in entries if e.participant.label}
    if customers:
        for label in dict.fromkeys(dropped_agents):
            if label not in present:
                alerts.append(Alert("agent-dropped", f"agent dropped: {label}"))
    return alerts


def live_phrase(entry: RosterEntry, now: datetime) -> PhraseHit | None:
    """The watched phrase this participant said within PHRASE_ALERT_SECONDS, while still connected."""
    hit = entry.phrase_alert
    if hit is None or entry.participant.status != "connected":
        return None
    return hit if _elapsed(now, hit.at) < timedelta(seconds=settings.PHRASE_ALERT_SECONDS) else None


def _paused_long(recording: RecordingState | None, now: datetime, limit: timedelta) -> bool:
    """A recording paused for at least `limit` (a customer may have finished reading a card
    number long ago, and everything since is missing from the recording)."""
    return (
        recording is not None
        and recording.paused
        and recording.since is not None
        and (_elapsed(now, recording.since) >= limit)
    )


def _minutes(recording: RecordingState | None, now: datetime) -> int:
    since = recording.since if recording is not None else None
    return int(_elapsed(now, since).total_seconds() // 60) if since is not None else 0


def by_row(alerts: Iterable[Alert]) -> dict[str, tuple[str, ...]]:
    """The texts of the alerts that belong to rows, by call SID."""
    found: dict[str, tuple[str, ...]] = {}
    for alert in alerts:
        if alert.call_sid:
            found[alert.call_sid] = (*found.get(alert.call_sid, ()), alert.text)
    return found


def dropped_agent_labels(conference_sids: Iterable[str]) -> dict[str, list[str]]:
    """Agent labels Twilio reported leaving, per conference, oldest first: ONE query."""
    sids = list(conference_sids)
    found: dict[str, list[str]] = {sid: [] for sid in sids}
    prefixes = settings.PARTICIPANT_ROLE_PREFIXES.get(AGENT, ())
    if not sids or not prefixes:
        return found
    agent = reduce(or_, (Q(label__istartswith=prefix) for prefix in prefixes))
    rows = (
        ConferenceEvent.objects.filter(agent, conference_sid__in=sids, event="participant-leave")
        .order_by("occurred_at", "id")
        .values_list("conference_sid", "label")
    )
    try:
        events = list(rows)
    except DatabaseError as error:
        # The other alerts come from the rosters: the page still shows them, never a 500.
        logging.getLogger(__name__).warning("agent-dropped alerts unavailable: %s", error)
        return found
    for sid, label in events:
        if participant_role(label) == AGENT:  # "agent" must not also match a supervisor prefix
            found[sid].append(label)
    return found


def conferences_alerts(
    *, conference_sids: Iterable[str], now: datetime, known_rosters: dict[str, Roster] | None = None
) -> dict[str, list[Alert]]:
    """Alerts for each conference: one query for all; rosters the caller already holds are
    used as they are, the others are one cache read each."""
    sids = list(conference_sids)
    dropped = dropped_agent_labels(sids)
    known_rosters = known_rosters or {}
    alerts = {}
    for sid in sids:
        roster = known_rosters.get(sid) or rosters.load(sid)
        alerts[sid] = conference_alerts(roster=roster, now=now, dropped_agents=dropped[sid]) if roster else []
    return alerts
