"""Feeding history: the public calls made when something happens in the live state.

The live app does not import history: it announces what happened (`live/signals.py`) and
HistoryConfig.ready connects the receivers at the end of this module to those signals. The
alerts a page computed are handed over by the page's caller (`dashboard/services.py`).

    history_conference_seen(conference)            a Conference resource Twilio returned
    history_roster_changed(sid, joined=..., left=..., changed=..., at=..., approximate=...)
                                                   a reconcile diff (or a participant the
                                                   dashboard itself dialled)
    history_conference_ended(sid, reason=..., at=...)
    history_callback(event)                        a status callback, once it is stored
    history_recording_changed(sid, status)         the conference's recording changed
    history_identity_known(sid, {call_sid: (number, direction)})
                                                   who is on these calls (caller identity)
    history_alerts_fired({sid: [alert, ...]}, at=...)
                                                   the alerts a page computed (recorded when
                                                   one first fires)

Each is cheap: nothing at all when there is nothing new, otherwise one short transaction of
bulk statements. None of them ever raises: history must not break a poll or a callback, so a
failure is logged and dropped.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Greatest
from django.utils import timezone

from conference_admin.audit.models import AuditRecord
from conference_admin.live.models import ConferenceEvent
from conference_admin.twilio import Conference, Participant

from .models import ConferenceAlert, ConferenceRecord, ParticipantObservation, ParticipantSession

log = logging.getLogger(__name__)

# Call-progress callbacks that end a call: the participant left (or never got in).
CALL_ENDED = {"call-completed", "call-busy", "call-no-answer", "call-failed", "call-canceled"}
GONE_FROM_LIST = "gone from the participant list"
CONFERENCE_ENDED = "conference ended"
DIAL_OUT_DIRECTION = "outbound-api"


def _never_raises(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            log.exception("History could not record %s", function.__name__)
            return None

    return wrapper


def _ensure_conference(sid: str, *, friendly_name: str = "", started_at: datetime | None = None) -> None:
    ConferenceRecord.objects.bulk_create(
        [ConferenceRecord(sid=sid, friendly_name=friendly_name, started_at=started_at)], ignore_conflicts=True
    )
    if friendly_name:
        ConferenceRecord.objects.filter(sid=sid).exclude(friendly_name=friendly_name).update(
            friendly_name=friendly_name
        )
    if started_at:
        ConferenceRecord.objects.filter(sid=sid, started_at__isnull=True).update(started_at=started_at)


def _dial_outs(conference_sid: str, call_sids: Iterable[str]) -> dict[str, str]:
    """The number the dashboard dialled for each of these calls (its audited `to`)."""
    records = AuditRecord.objects.filter(
        conference_sid=conference_sid, action="add", outcome=AuditRecord.Outcome.OK, participant_sid__in=list(call_sids)
    ).values_list("participant_sid", "parameters")
    return {call_sid: str((parameters or {}).get("to", "")) for call_sid, parameters in records}


@_never_raises
def history_conference_seen(conference: Conference) -> None:
    """Twilio returned this conference: remember its name and start; its end when completed."""
    with transaction.atomic():
        _ensure_conference(
            conference.sid, friendly_name=conference.friendly_name or "", started_at=conference.date_created
        )
    if conference.status == "completed":
        history_conference_ended(
            conference.sid, reason=conference.reason_conference_ended or "", at=conference.date_updated
        )


# What a conference's recording did, as history says it: each status adds its words once.
RECORDING_WORDS = {"in-progress": "recorded", "paused": "paused at times", "stopped": "stopped early"}


def recording_summary(known: str, status: str) -> str:
    """`known` ("recorded, paused at times") with what `status` adds, in a fixed order."""
    words = [word for word in known.split(", ") if word]
    new = RECORDING_WORDS.get(status)
    if new is not None and new not in words:
        words.append(new)
    if words and "recorded" not in words:
        words.insert(0, "recorded")
    order = list(RECORDING_WORDS.values())
    return ", ".join(sorted(words, key=order.index))


@_never_raises
def history_recording_changed(conference_sid: str, status: str) -> None:
    """The conference's recording is now `status` (in-progress, paused, stopped, completed...)."""
    if status not in RECORDING_WORDS:
        return
    with transaction.atomic():
        _ensure_conference(conference_sid)
        record = ConferenceRecord.objects.select_for_update().only("recording_state").get(sid=conference_sid)
        summary = recording_summary(record.recording_state, status)
        if summary != record.recording_state:
            ConferenceRecord.objects.filter(sid=conference_sid).update(recording_state=summary)


def _observation(conference_sid: str, participant: Participant, at: datetime, approximate: bool):
    return ParticipantObservation(
        conference_id=conference_sid,
        call_sid=participant.call_sid,
        at=at,
        muted=participant.muted,
        hold=participant.hold,
        coaching=participant.coaching,
        call_sid_to_coach=(participant.call_sid_to_coach or "") if participant.coaching else "",
        approximate=approximate,
    )


@_never_raises
def history_roster_changed(
    conference_sid: str,
    *,
    joined: Iterable[Participant] = (),
    left: Iterable[str] = (),
    changed: Iterable[Participant] = (),
    at: datetime | None = None,
    approximate: bool = False,
    within: int = 0,
    conference: Conference | None = None,
) -> None:
    """A reconcile diff: who appeared, who is gone, whose state changed, seen at `at`.

    `approximate`: the conference is followed by polling only, so a departure happened at
    most `within` seconds before `at`. A join keeps Twilio's own `date_created` when known.
    `conference`: the conference resource, when the reconcile found its status changed.
    """
    joined, left, changed = list(joined), list(left), list(changed)
    if not (joined or left or changed or conference):
        return
    at = at or timezone.now()
    if conference is not None:
        # First, so that everyone still in a conference found ended left when it ended.
        history_conference_seen(conference)
    with transaction.atomic():
        _ensure_conference(conference_sid)
        if joined:
            numbers = _dial_outs(conference_sid, [p.call_sid for p in joined])
            ParticipantSession.objects.bulk_create(
                [
                    ParticipantSession(
                        conference_id=conference_sid,
                        call_sid=p.call_sid,
                        label=p.label or "",
                        number=numbers.get(p.call_sid, ""),
                        direction=DIAL_OUT_DIRECTION if p.call_sid in numbers else "",
                        joined_at=p.date_created or at,
                        joined_approximate=approximate and p.date_created is None,
                        approximate_within=within if approximate and p.date_created is None else 0,
                        coached_call_sid=(p.call_sid_to_coach or "") if p.coaching else "",
                    )
                    for p in joined
                ],
                ignore_conflicts=True,
            )
        if left:
            ParticipantSession.objects.filter(
                conference__sid=conference_sid, call_sid__in=left, left_at__isnull=True
            ).update(
                left_at=at,
                left_approximate=approximate,
                left_reason=GONE_FROM_LIST,
                approximate_within=Greatest("approximate_within", within if approximate else 0),
            )
        if joined or changed:
            ParticipantObservation.objects.bulk_create(
                [_observation(conference_sid, p, at, approximate) for p in [*joined, *changed]]
            )


@_never_raises
def history_conference_ended(conference_sid: str, *, reason: str = "", at: datetime | None = None) -> None:
    """The conference is over: its end, and everyone still in it left then (a supervisor's
    kick, known from the audit trail, closes that participant at the kick instead)."""
    at = at or timezone.now()
    with transaction.atomic():
        _ensure_conference(conference_sid)
        if not ConferenceRecord.objects.filter(sid=conference_sid, ended_at__isnull=True).update(
            ended_at=at, reason_ended=reason or ""
        ):
            return  # already ended: a second report of the same end changes nothing
        open_sessions = ParticipantSession.objects.filter(conference__sid=conference_sid, left_at__isnull=True)
        kicks = AuditRecord.objects.filter(
            conference_sid=conference_sid, action="kick", outcome=AuditRecord.Outcome.OK
        ).values_list("participant_sid", "created_at", "actor_username")
        for call_sid, kicked_at, actor in kicks:
            open_sessions.filter(call_sid=call_sid).update(
                left_at=min(kicked_at, at), left_reason=f"removed by {actor}"
            )
        open_sessions.update(left_at=at, left_reason=CONFERENCE_ENDED)
        first_join = ParticipantSession.objects.filter(conference__sid=conference_sid).aggregate(first=Min("joined_at"))
        if first_join["first"]:
            ConferenceRecord.objects.filter(sid=conference_sid, started_at__isnull=True).update(
                started_at=first_join["first"]
            )


@_never_raises
def history_identity_known(conference_sid: str, identities: Mapping[str, tuple[str, str]]) -> None:
    """The number (or client/SIP identity) and direction of these participants' calls, found
    after they joined: their sessions (written when they joined) say so from now on."""
    with transaction.atomic():
        for call_sid, (number, direction) in identities.items():
            ParticipantSession.objects.filter(conference__sid=conference_sid, call_sid=call_sid).update(
                number=number[:128], direction=direction[:32]
            )


def _upsert_session(conference_sid: str, call_sid: str, fields: dict, update: list[str]) -> None:
    ParticipantSession.objects.bulk_create(
        [ParticipantSession(conference_id=conference_sid, call_sid=call_sid, **fields)],
        update_conflicts=True,
        unique_fields=["conference", "call_sid"],
        update_fields=update,
    )


@_never_raises
def history_callback(event: ConferenceEvent) -> None:
    """A Twilio status callback, stored once (redeliveries never reach here)."""
    if event.source != ConferenceEvent.Source.TWILIO:
        return
    detail = event.detail or {}
    sid, kind, at = event.conference_sid, event.event, event.occurred_at
    name = str(detail.get("FriendlyName") or "")
    if kind == "conference-end":
        with transaction.atomic():
            _ensure_conference(sid, friendly_name=name)
        history_conference_ended(sid, reason=str(detail.get("ReasonConferenceEnded") or ""), at=at)
    elif kind == "conference-start":
        with transaction.atomic():
            _ensure_conference(sid, friendly_name=name, started_at=at)
    elif kind == "participant-join" and event.call_sid:
        with transaction.atomic():
            _ensure_conference(sid, friendly_name=name)
            number = _dial_outs(sid, [event.call_sid]).get(event.call_sid, "")
            fields = {"joined_at": at, "joined_approximate": False, "label": event.label}
            fields |= {"number": number, "direction": DIAL_OUT_DIRECTION} if number else {}
            _upsert_session(
                sid, event.call_sid, fields, [k for k, v in fields.items() if v or k == "joined_approximate"]
            )
    elif kind == "participant-leave" and event.call_sid:
        reason = str(detail.get("ReasonParticipantLeft") or detail.get("ParticipantCallStatus") or "")
        with transaction.atomic():
            _ensure_conference(sid, friendly_name=name)
            fields = {"left_at": at, "left_approximate": False, "left_reason": reason, "label": event.label}
            _upsert_session(sid, event.call_sid, fields, ["left_at", "left_approximate", "left_reason"])
    elif kind in CALL_ENDED and event.call_sid:
        # A dial-out's call ended: it left, or never got in (busy, no answer); a conference
        # leave callback, when one came first, keeps its own time and reason.
        with transaction.atomic():
            _ensure_conference(sid)
            number = _dial_outs(sid, [event.call_sid]).get(event.call_sid, "")
            fields = {"number": number, "direction": DIAL_OUT_DIRECTION if number else ""}
            ParticipantSession.objects.bulk_create(
                [ParticipantSession(conference_id=sid, call_sid=event.call_sid, **fields)], ignore_conflicts=True
            )
            ParticipantSession.objects.filter(
                conference__sid=sid, call_sid=event.call_sid, left_at__isnull=True
            ).update(left_at=at, left_approximate=False, left_reason=kind.removeprefix("call-"))


# --- alerts ---------------------------------------------------------------------------------


class FiredAlert(Protocol):
    """What history reads of an alert (`live.alerts.Alert`)."""

    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def call_sid(self) -> str: ...
    @property
    def detail(self) -> str: ...


# A conference's alert whose text names what it is about (each dropped agent is its own alert).
ALERTS_BY_TEXT = {"agent-dropped", "phrase"}  # a phrase alert is recorded per matched line
# Alerts this process has already recorded, per conference (bounded, least recently used out):
# a page polled every few seconds shows the same alerts each time, and they are written once.
_alerts_recorded: OrderedDict[str, frozenset[tuple[str, str]]] = OrderedDict()
_alerts_lock = threading.Lock()  # a worker's threads share it
ALERTS_REMEMBERED = 2000


def _alert_line(alert: FiredAlert) -> str:
    """A phrase alert's matched line (kept apart from the text: only who may read transcripts sees it)."""
    return getattr(alert, "detail", "")


def _alert_key(alert: FiredAlert) -> tuple[str, str]:
    if alert.kind in ALERTS_BY_TEXT:
        line = _alert_line(alert)
        return alert.kind, (f"{alert.text}: “{line}”" if line else alert.text)[:256]
    return alert.kind, alert.call_sid


def forget_recorded_alerts() -> None:
    """Forget which alerts this process wrote (the next page showing them writes them again,
    which changes nothing in the database)."""
    with _alerts_lock:
        _alerts_recorded.clear()


def history_alerts_fired(alerts: Mapping[str, Iterable[FiredAlert]], *, at: datetime | None = None) -> None:
    """Alerts a page computed, per conference: each is recorded the first time it fires.

    Costs nothing when every alert was already recorded by this process (the usual poll): a
    set comparison in memory. A new one is one short transaction, once per process."""
    for conference_sid, found in alerts.items():
        keyed = {_alert_key(alert): alert for alert in found}
        known = _alerts_recorded.get(conference_sid, frozenset())
        new = [alert for key, alert in keyed.items() if key not in known]
        if not new:
            continue
        if _record_alerts(conference_sid, new, at or timezone.now()):
            with _alerts_lock:
                _alerts_recorded[conference_sid] = _alerts_recorded.get(conference_sid, frozenset()) | keyed.keys()
                _alerts_recorded.move_to_end(conference_sid)
                while len(_alerts_recorded) > ALERTS_REMEMBERED:
                    _alerts_recorded.popitem(last=False)


@_never_raises
def _record_alerts(conference_sid: str, alerts: list[FiredAlert], at: datetime) -> bool:
    with transaction.atomic():
        _ensure_conference(conference_sid)
        ConferenceAlert.objects.bulk_create(
            [
                ConferenceAlert(
                    conference_id=conference_sid,
                    kind=alert.kind,
                    subject=_alert_key(alert)[1],
                    text=alert.text[:512],
                    line=_alert_line(alert),
                    fired_at=at,
                )
                for alert in alerts
            ],
            ignore_conflicts=True,
        )
        texts = ConferenceAlert.objects.filter(conference__sid=conference_sid).values_list("text", flat=True)
        ConferenceRecord.objects.filter(sid=conference_sid).update(alerts_fired="; ".join(texts))
    return True


# --- receivers of live/signals.py (connected in HistoryConfig.ready) ---------------------------


def on_conference_seen(sender, *, conference: Conference, **kwargs) -> None:
    history_conference_seen(conference)


def on_participants_changed(sender, *, conference_sid: str, signal=None, **diff) -> None:
    history_roster_changed(conference_sid, **diff)


def on_identities_known(sender, *, conference_sid: str, identities: Mapping[str, tuple[str, str]], **kwargs) -> None:
    history_identity_known(conference_sid, identities)


def on_recording_changed(sender, *, conference_sid: str, status: str, **kwargs) -> None:
    history_recording_changed(conference_sid, status)


def on_callback_stored(sender, *, event: ConferenceEvent, **kwargs) -> None:
    history_callback(event)
