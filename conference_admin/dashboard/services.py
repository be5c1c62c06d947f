"""What a supervisor does to a conference, and what the dashboard reads to show it.

Writes (`<entity>_<action>`) make exactly ONE Twilio call and return the resource Twilio
returned; they never re-fetch. Selectors read. Errors are the client's `TwilioError`
hierarchy and are turned into a response at the edge (the views).

Alongside Twilio, the dashboard keeps a small `ParticipantRecord` per live participant for
what Twilio does not report: the last beep-on-exit it set, and when a hold started.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Unpack

from django.utils import timezone

from conference_admin.twilio import Conference, Participant, TwilioApiError
from conference_admin.twilio.params import CreateParticipantParams

from .client import get_twilio_client
from .models import ParticipantRecord

LIVE_CONFERENCE_STATUSES = ("in-progress", "init")
PENDING_PARTICIPANT_STATUSES = ("queued", "connecting", "ringing")


# --- participant writes -------------------------------------------------------------------


def participant_mute(*, conference_sid: str, call_sid: str) -> Participant:
    return get_twilio_client().update_participant(conference_sid, call_sid, muted=True)


def participant_unmute(*, conference_sid: str, call_sid: str) -> Participant:
    return get_twilio_client().update_participant(conference_sid, call_sid, muted=False)


def participant_hold(
    *, conference_sid: str, call_sid: str, hold_url: str | None = None, hold_method: str | None = None
) -> Participant:
    participant = get_twilio_client().update_participant(
        conference_sid, call_sid, hold=True, hold_url=hold_url, hold_method=hold_method
    )
    _remember(participant, hold_started_at=timezone.now(), hold_start_exact=True)
    return participant


def participant_resume(*, conference_sid: str, call_sid: str) -> Participant:
    participant = get_twilio_client().update_participant(conference_sid, call_sid, hold=False)
    _remember(participant, hold_started_at=None, hold_start_exact=False)
    return participant


def participant_coach(*, conference_sid: str, call_sid: str, call_sid_to_coach: str) -> Participant:
    return get_twilio_client().update_participant(
        conference_sid, call_sid, coaching=True, call_sid_to_coach=call_sid_to_coach
    )


def participant_stop_coaching(*, conference_sid: str, call_sid: str) -> Participant:
    return get_twilio_client().update_participant(conference_sid, call_sid, coaching=False)


def participant_announce(
    *, conference_sid: str, call_sid: str, announce_url: str, announce_method: str | None = None
) -> Participant:
    return get_twilio_client().update_participant(
        conference_sid, call_sid, announce_url=announce_url, announce_method=announce_method
    )


def participant_set_end_conference_on_exit(
    *, conference_sid: str, call_sid: str, end_conference_on_exit: bool
) -> Participant:
    return get_twilio_client().update_participant(
        conference_sid, call_sid, end_conference_on_exit=end_conference_on_exit
    )


def participant_set_beep_on_exit(*, conference_sid: str, call_sid: str, beep_on_exit: bool) -> Participant:
    participant = get_twilio_client().update_participant(conference_sid, call_sid, beep_on_exit=beep_on_exit)
    _remember(participant, beep_on_exit=beep_on_exit)
    return participant


def participant_set_wait_music(
    *, conference_sid: str, call_sid: str, wait_url: str, wait_method: str | None = None
) -> Participant:
    return get_twilio_client().update_participant(
        conference_sid, call_sid, wait_url=wait_url, wait_method=wait_method
    )


def participant_kick(*, conference_sid: str, call_sid: str) -> None:
    """Remove the participant (hang up, or cancel a call still ringing)."""
    get_twilio_client().delete_participant(conference_sid, call_sid)
    participant_forget(conference_sid=conference_sid, call_sid=call_sid)


def participant_add(
    *, conference_sid: str, from_: str, to: str, **params: Unpack[CreateParticipantParams]
) -> Participant:
    participant = get_twilio_client().create_participant(conference_sid, from_=from_, to=to, **params)
    _remember(participant)
    return participant


def participant_forget(*, conference_sid: str, call_sid: str) -> None:
    """Drop the local record of a participant that is no longer in the conference."""
    ParticipantRecord.objects.filter(conference_sid=conference_sid, call_sid=call_sid).delete()


# --- conference writes --------------------------------------------------------------------


def conference_end(*, conference_sid: str) -> Conference:
    conference = get_twilio_client().update_conference(conference_sid, status="completed")
    ParticipantRecord.objects.filter(conference_sid=conference_sid).delete()
    return conference


def conference_announce(*, conference_sid: str, announce_url: str, announce_method: str | None = None) -> Conference:
    return get_twilio_client().update_conference(
        conference_sid, announce_url=announce_url, announce_method=announce_method
    )


# --- selectors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConferenceSummary:
    conference: Conference
    participants: int
    muted: int
    held: int
    coaching: int
    ringing: int
    age: timedelta | None


def conference_get(*, conference_sid: str) -> Conference:
    return get_twilio_client().fetch_conference(conference_sid)


def conference_roster(*, conference_sid: str) -> list[Participant]:
    """Every live participant of the conference, in Twilio's (join) order; syncs the local records."""
    participants = get_twilio_client().list_participants(conference_sid)
    _sync_records(conference_sid, participants)
    return participants


def participant_get(*, conference_sid: str, call_sid: str) -> Participant:
    participant = get_twilio_client().fetch_participant(conference_sid, call_sid)
    _remember(participant)
    return participant


def conference_list_live(*, name_contains: str = "") -> list[ConferenceSummary]:
    """Live conferences (in progress, and init ones waiting to start), newest first, with counts.

    One list call per live status, then the participants of each conference in parallel.
    """
    client = get_twilio_client()
    conferences = [c for status in LIVE_CONFERENCE_STATUSES for c in client.list_conferences(status=status)]
    needle = name_contains.strip().casefold()
    if needle:
        conferences = [c for c in conferences if needle in (c.friendly_name or "").casefold()]
    if not conferences:
        return []
    now = timezone.now()

    def summarise(conference: Conference) -> ConferenceSummary | None:
        try:
            participants = client.list_participants(conference.sid)
        except TwilioApiError as exc:
            if exc.is_not_found:  # ended between the two calls
                return None
            raise
        return ConferenceSummary(
            conference=conference,
            participants=len(participants),
            muted=sum(1 for p in participants if p.muted),
            held=sum(1 for p in participants if p.hold),
            coaching=sum(1 for p in participants if p.coaching),
            ringing=sum(1 for p in participants if p.status in PENDING_PARTICIPANT_STATUSES),
            age=max(timedelta(0), now - conference.date_created) if conference.date_created else None,
        )

    with ThreadPoolExecutor(max_workers=min(8, len(conferences))) as pool:
        summaries = [s for s in pool.map(summarise, conferences) if s is not None]
    oldest = datetime.min.replace(tzinfo=UTC)
    summaries.sort(key=lambda s: s.conference.date_created or oldest, reverse=True)
    return summaries


def participant_records(*, conference_sid: str) -> dict[str, ParticipantRecord]:
    """The local records of a conference's participants, by call SID."""
    return {r.call_sid: r for r in ParticipantRecord.objects.filter(conference_sid=conference_sid)}


# --- local records ------------------------------------------------------------------------

_UNSET = object()


def _remember(participant: Participant, *, beep_on_exit=_UNSET, hold_started_at=_UNSET, hold_start_exact=_UNSET) -> None:
    """Create or update the record of one participant from what Twilio returned."""
    if not participant.conference_sid or not participant.call_sid:
        return
    record, _ = ParticipantRecord.objects.get_or_create(
        conference_sid=participant.conference_sid, call_sid=participant.call_sid
    )
    _apply(record, participant)
    if beep_on_exit is not _UNSET:
        record.beep_on_exit = beep_on_exit
    if hold_started_at is not _UNSET:
        record.hold_started_at = hold_started_at
    if hold_start_exact is not _UNSET:
        record.hold_start_exact = hold_start_exact
    record.save()


def _apply(record: ParticipantRecord, participant: Participant) -> bool:
    """Bring a record in line with Twilio's view; True when something changed."""
    changed = False
    label = participant.label or ""
    if record.label != label:
        record.label, changed = label, True
    if participant.hold and record.hold_started_at is None:
        # Twilio gives no hold start: the last update is the best estimate we have.
        record.hold_started_at = participant.date_updated or timezone.now()
        record.hold_start_exact = False
        changed = True
    elif participant.hold is False and record.hold_started_at is not None:
        record.hold_started_at, record.hold_start_exact, changed = None, False, True
    return changed


def _sync_records(conference_sid: str, participants: list[Participant]) -> None:
    records = participant_records(conference_sid=conference_sid)
    live = {p.call_sid for p in participants}
    gone = [sid for sid in records if sid not in live]
    if gone:
        ParticipantRecord.objects.filter(conference_sid=conference_sid, call_sid__in=gone).delete()
    new = []
    for participant in participants:
        record = records.get(participant.call_sid)
        if record is None:
            record = ParticipantRecord(conference_sid=conference_sid, call_sid=participant.call_sid)
            _apply(record, participant)
            new.append(record)
        elif _apply(record, participant):
            record.save()
    if new:
        # Two refreshes may race to create the same record; either one is right.
        ParticipantRecord.objects.bulk_create(new, ignore_conflicts=True)
