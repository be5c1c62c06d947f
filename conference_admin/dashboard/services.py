"""What a supervisor does to a conference, and what the dashboard reads to show it.

Writes (`<entity>_<action>`) make exactly ONE Twilio call, are audited once whatever
happens, feed what Twilio returned into the shared roster, and return it (no re-fetch).
Reads come from the shared roster (`conference_admin.live.roster`), reconciled with
Twilio at most once per interval per conference however many supervisors watch.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Unpack

from django.conf import settings
from django.core.cache import cache, caches
from django.urls import reverse
from django.utils import timezone

from conference_admin.audit.recorder import audit_attempt, audit_resolution
from conference_admin.cache import Bucket
from conference_admin.history.recorder import history_alerts_fired
from conference_admin.live import roster as rosters
from conference_admin.live.alerts import Alert, conferences_alerts
from conference_admin.live.participants import PENDING_STATUSES
from conference_admin.live.roster import CallIdentity, Roster, RosterMeta, Snapshot
from conference_admin.twilio import Call, Conference, Participant, TwilioApiError, TwilioError
from conference_admin.twilio.params import CreateParticipantParams, UpdateConferenceParams
from conference_admin.twilio.twiml import conference_twiml

from .client import audited, get_twilio_client
from .errors import describe_read_error
from .moves import Arrival, arrival_of, forget_arrival, remember_arrival
from .recordings import conference_recording_refresh, with_recording_callbacks

LIVE_CONFERENCE_STATUSES = ("in-progress", "init")
CALL_PROGRESS_EVENTS = ["initiated", "ringing", "answered", "completed"]
CONFERENCE_EVENT_GROUPS = ["start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"]


# --- participant writes -------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """What an action's one roster write produced: Twilio's answer and the roster as that
    write left it, so the response is built without reading the roster again."""

    participant: Participant
    roster: Roster


def _update(
    actor,
    action: str,
    conference_sid: str,
    call_sid: str,
    *,
    label: str | None,
    held_now: bool = False,
    remember_beep_on_exit: bool | None = None,
    **params,
) -> Recorded:
    """One audited update; what Twilio returned goes into the shared roster (one write).

    `label`: how the caller knows the participant (the audit record's, should the call
    fail); read from the roster only when the caller does not say."""
    if label is None:
        label = participant_name(conference_sid=conference_sid, call_sid=call_sid, default="")
    with audit_attempt(
        actor=actor,
        action=action,
        conference_sid=conference_sid,
        participant_sid=call_sid,
        participant_label=label,
        parameters=params,
    ) as attempt:
        participant = get_twilio_client().update_participant(conference_sid, call_sid, **params)
        attempt.succeeded(request_id=participant.request_id, participant_label=participant.label)
    roster = rosters.record_participant(
        conference_sid, participant, held_now=held_now, beep_on_exit=remember_beep_on_exit
    )
    return Recorded(participant, roster)


# Every participant write takes `label` (how the caller knows them: None reads the roster)
# and returns what its one roster write produced.


def participant_mute(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Recorded:
    return _update(actor, "mute", conference_sid, call_sid, label=label, muted=True)


def participant_unmute(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Recorded:
    return _update(actor, "unmute", conference_sid, call_sid, label=label, muted=False)


def participant_hold(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    label: str | None = None,
    hold_url: str | None = None,
    hold_method: str | None = None,
) -> Recorded:
    return _update(
        actor,
        "hold",
        conference_sid,
        call_sid,
        label=label,
        held_now=True,
        hold=True,
        hold_url=hold_url,
        hold_method=hold_method,
    )


def participant_resume(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Recorded:
    return _update(actor, "resume", conference_sid, call_sid, label=label, hold=False)


def participant_coach(
    *, actor, conference_sid: str, call_sid: str, call_sid_to_coach: str, label: str | None = None
) -> Recorded:
    return _update(
        actor, "coach", conference_sid, call_sid, label=label, coaching=True, call_sid_to_coach=call_sid_to_coach
    )


def participant_stop_coaching(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Recorded:
    return _update(actor, "stop-coaching", conference_sid, call_sid, label=label, coaching=False)


def participant_announce(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    announce_url: str,
    announce_method: str | None = None,
    label: str | None = None,
) -> Recorded:
    return _update(
        actor,
        "announce",
        conference_sid,
        call_sid,
        label=label,
        announce_url=announce_url,
        announce_method=announce_method,
    )


def participant_set_end_conference_on_exit(
    *, actor, conference_sid: str, call_sid: str, end_conference_on_exit: bool, label: str | None = None
) -> Recorded:
    return _update(
        actor, "end-on-exit", conference_sid, call_sid, label=label, end_conference_on_exit=end_conference_on_exit
    )


def participant_set_beep_on_exit(
    *, actor, conference_sid: str, call_sid: str, beep_on_exit: bool, label: str | None = None
) -> Recorded:
    # Twilio does not report beep_on_exit back, so the roster remembers what was set.
    return _update(
        actor,
        "beep-on-exit",
        conference_sid,
        call_sid,
        label=label,
        remember_beep_on_exit=beep_on_exit,
        beep_on_exit=beep_on_exit,
    )


def participant_set_wait_music(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    wait_url: str,
    wait_method: str | None = None,
    label: str | None = None,
) -> Recorded:
    return _update(
        actor, "wait-music", conference_sid, call_sid, label=label, wait_url=wait_url, wait_method=wait_method
    )


@dataclass(frozen=True)
class Removed:
    """A kick that worked; `already` when a retry found the participant gone (our first try did it)."""

    already: bool = False
    roster: Roster | None = None  # as the removal's write left it


def participant_kick(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Removed:
    """Remove the participant (hang up, or cancel a call still ringing)."""
    if label is None:
        label = participant_name(conference_sid=conference_sid, call_sid=call_sid, default="")
    already = False
    with audit_attempt(
        actor=actor, action="kick", conference_sid=conference_sid, participant_sid=call_sid, participant_label=label
    ) as attempt:
        try:
            request_id = get_twilio_client().delete_participant(conference_sid, call_sid)
        except TwilioApiError as error:
            # A retried DELETE that finds nobody: the first attempt most likely removed them.
            if not (error.is_not_found and error.retried_after_unknown_outcome):
                raise
            request_id, already = error.request_id, True
        attempt.succeeded(request_id=request_id)
    return Removed(already=already, roster=rosters.record_removed(conference_sid, call_sid))


MOVE = "move"


@dataclass(frozen=True)
class Moved:
    """A move Twilio accepted: the call as Twilio returned it, and the room it left as the
    removal's roster write left it (the room it joined learns of it from Twilio's events)."""

    call: Call
    room: str
    roster: Roster


def participant_move(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    room: str,
    muted: bool = False,
    coach: str | None = None,
    end_conference_on_exit: bool = False,
    label: str | None = None,
    returning: bool = False,
) -> Moved:
    """Move the participant's call into the conference named `room` (opened by that name if no
    live one has it): ONE audited UpdateCall with `<Dial><Conference>` TwiML (CONTRACT.md section 14).

    The call keeps its label there; muted, hold and coaching do not follow it (Twilio resets
    them), so how it arrives is what `muted`, `coach` (a call SID in that room) and
    `end_conference_on_exit` say. Raises `TwimlRefused` before anything is written or sent when
    Twilio would refuse the instructions. `returning`: bringing them back where they came from (the
    room they are in forgets them as an arrival, and the room they return to does not learn one)."""
    if label is None:
        label = participant_name(conference_sid=conference_sid, call_sid=call_sid, default="")
    known = rosters.load(conference_sid)
    from_room = known.conference.friendly_name if known and known.conference else ""
    public = settings.PUBLIC_BASE_URL.rstrip("/")
    twiml = conference_twiml(
        room,
        participant_label=label if label and label != call_sid else None,
        muted=muted,
        coach=coach,
        end_conference_on_exit=end_conference_on_exit,
        # A room this move opens reports to the dashboard as a dial-out's room does.
        status_callback=f"{public}{reverse('webhook-conference-status')}" if public else None,
        status_callback_event=CONFERENCE_EVENT_GROUPS if public else (),
    )
    parameters = {
        "to_room": room.strip(),
        "from_room": from_room or "",
        "muted": muted,
        "coach": coach,
        "end_conference_on_exit": end_conference_on_exit,
        "twiml": twiml,
        "returning": returning,
    }
    call = audited(
        lambda: get_twilio_client().update_call(call_sid, twiml=twiml),
        actor=actor,
        action=MOVE,
        conference_sid=conference_sid,
        participant_sid=call_sid,
        participant_label=label,
        parameters=parameters,
    )
    if returning:
        forget_arrival(call_sid)
    else:
        by = getattr(actor, "get_username", lambda: "")() or "system"
        remember_arrival(call_sid, Arrival(conference_sid, from_room or conference_sid, room.strip(), by))
    return Moved(call=call, room=room.strip(), roster=rosters.record_removed(conference_sid, call_sid))


def participant_bring_back(*, actor, conference_sid: str, call_sid: str, label: str | None = None) -> Moved:
    """Move a participant who was moved here back to the room they came from (by its name: if it
    ended meanwhile, Twilio opens a new room of that name). Raises `NothingToBringBack` when
    where they came from is not known."""
    arrival = arrival_of(call_sid)
    return participant_move(
        actor=actor,
        conference_sid=conference_sid,
        call_sid=call_sid,
        room=arrival.from_room,
        label=label,
        returning=True,
    )


@dataclass(frozen=True)
class WarmTransfer:
    """The specialist dialled into the side room, who was moved there, and any move Twilio refused."""

    room: str
    dialled: Participant
    moved: list[Moved]
    failed: list[tuple[str, TwilioError]]


def conference_warm_transfer(
    *,
    actor,
    conference_sid: str,
    room: str,
    move_call_sids: list[str],
    from_: str,
    to: str,
    **params: Unpack[CreateParticipantParams],
) -> WarmTransfer:
    """Dial `to` into the side room `room` (opened by that name; every create parameter), then move
    each of `move_call_sids` there: one audited CreateParticipant, then one audited UpdateCall per
    person. A refused dial raises (nobody is moved); a refused move is reported, the others go on."""
    sent: dict[str, Any] = dict(params)
    if not sent.get("label"):
        sent["label"] = f"{DIAL_LABEL_PREFIX}{secrets.token_hex(4)}"
    public = settings.PUBLIC_BASE_URL.rstrip("/")
    if public and not sent.get("conference_status_callback"):
        # The side room's own events; a call-progress callback would need its SID, unknown until Twilio opens it.
        sent["conference_status_callback"] = f"{public}{reverse('webhook-conference-status')}"
        sent["conference_status_callback_event"] = CONFERENCE_EVENT_GROUPS
    label = str(sent["label"])
    with audit_attempt(
        actor=actor,
        action="warm-transfer",
        conference_sid=conference_sid,
        participant_label=label,
        parameters={"to_room": room, "from": from_, "to": to, **sent},
    ) as attempt:
        dialled = get_twilio_client().create_participant(room, from_=from_, to=to, **sent)
        attempt.succeeded(
            request_id=dialled.request_id, participant_sid=dialled.call_sid, participant_label=dialled.label
        )
    if dialled.conference_sid:
        identity = CallIdentity(from_=from_, to=to, direction="outbound-api")
        rosters.record_participant(dialled.conference_sid, dialled, identity=identity)
    moved, failed = [], []
    for call_sid in move_call_sids:
        try:
            moved.append(participant_move(actor=actor, conference_sid=conference_sid, call_sid=call_sid, room=room))
        except TwilioError as error:
            failed.append((participant_name(conference_sid=conference_sid, call_sid=call_sid), error))
    return WarmTransfer(room=room, dialled=dialled, moved=moved, failed=failed)


def move_destinations(*, conference_sid: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The live conferences a participant can be moved to (not `conference_sid`), by name, each with
    its connected participants (call SID, name) to coach there: the conferences list as last listed
    and the rosters the dashboard holds, from the cache only (opening a row's menu asks Twilio nothing)."""
    listing = cache.get(LIVE_LIST_KEY)
    destinations = []
    for conference in listing.conferences if isinstance(listing, LiveListing) else ():
        if conference.sid == conference_sid or not conference.friendly_name:
            continue
        roster = rosters.load(conference.sid)
        present = [
            (sid, entry.participant.identifier)
            for sid, entry in (roster.entries.items() if roster else ())
            if entry.participant.status == "connected"
        ]
        destinations.append((conference.friendly_name, present))
    return sorted(destinations)


def with_status_callbacks(conference_sid: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Ask Twilio to tell us about this call and conference, when it can reach us."""
    public = settings.PUBLIC_BASE_URL.rstrip("/")
    params = dict(params)
    if not public:
        return params
    if not params.get("status_callback"):
        params["status_callback"] = f"{public}{reverse('webhook-call-status')}?conference={conference_sid}"
        params["status_callback_event"] = CALL_PROGRESS_EVENTS
    if not params.get("conference_status_callback"):
        params["conference_status_callback"] = f"{public}{reverse('webhook-conference-status')}"
        params["conference_status_callback_event"] = CONFERENCE_EVENT_GROUPS
    return with_recording_callbacks(conference_sid, params)  # a create that starts a recording


DIAL_LABEL_PREFIX = "dial:"


def participant_dial(
    *, actor, action: str, conference_sid: str, from_: str, to: str, **params: Unpack[CreateParticipantParams]
) -> Recorded:
    """One audited dial-out (audit action `action`), with status callbacks asked for when Twilio
    can reach the dashboard; what Twilio returned goes into the roster. On failure the raised
    error carries the dial's label (`participant_label`)."""
    sent = with_status_callbacks(conference_sid, params)
    label = sent.get("label") or ""
    try:
        with audit_attempt(
            actor=actor,
            action=action,
            conference_sid=conference_sid,
            participant_label=label,
            parameters={"from": from_, "to": to, **sent},
        ) as attempt:
            participant = get_twilio_client().create_participant(conference_sid, from_=from_, to=to, **sent)
            attempt.succeeded(
                request_id=participant.request_id,
                participant_sid=participant.call_sid,
                participant_label=participant.label,
            )
    except TwilioError as error:
        error.participant_label = label or None
        raise
    # The dashboard dialled `to` itself: who is on this call is known, nothing to fetch.
    dialled = CallIdentity(from_=from_, to=to, direction="outbound-api")
    return Recorded(participant, rosters.record_participant(conference_sid, participant, identity=dialled))


def participant_add(
    *, actor, conference_sid: str, from_: str, to: str, **params: Unpack[CreateParticipantParams]
) -> Recorded:
    """Dial out. Every dial carries a label (one is made up when none was typed), so that
    when Twilio's answer is lost the dashboard can ask by label whether the call was placed
    (`participant_add_check()`)."""
    if not params.get("label"):
        params["label"] = f"{DIAL_LABEL_PREFIX}{secrets.token_hex(4)}"
    return participant_dial(actor=actor, action="add", conference_sid=conference_sid, from_=from_, to=to, **params)


def participant_add_check(*, conference_sid: str, label: str, error: TwilioError) -> Recorded | None:
    """After a dial-out whose outcome is unknown, ask Twilio for the label it set (one read).

    Returns the participant if the call was placed, None if nobody has that label; settles
    the `unknown` audit record either way. Raises the read's own TwilioError if it fails.
    """
    record = getattr(error, "audit_record", None)
    try:
        participant = get_twilio_client().fetch_participant(conference_sid, label)
    except TwilioApiError as check_error:
        if not check_error.is_not_found:
            raise
        if record is not None:
            audit_resolution(
                record,
                outcome="failed",
                message=f"Checked by label {label}: not placed.",
                request_id=check_error.request_id or "",
            )
        return None
    roster = rosters.record_participant(conference_sid, participant)
    if record is not None:
        audit_resolution(
            record,
            outcome="ok",
            message=f"Checked by label {label}: placed as {participant.call_sid}.",
            request_id=participant.request_id or "",
        )
    return Recorded(participant, roster)


@dataclass(frozen=True)
class Reread:
    """What the re-read after a timeout found: the participant as Twilio has it now (None:
    gone), and whether the action was applied (None: the re-read cannot tell)."""

    recorded: Recorded | None
    applied: bool | None


def participant_reread_after_unknown(
    *, conference_sid: str, call_sid: str, error: TwilioError, expected: dict[str, Any]
) -> Reread:
    """After a timeout, read the truth once; settle the audit record when the truth tells.

    Raises the re-read's own TwilioError when even that fails.
    """
    record = getattr(error, "audit_record", None)
    # What the service sent (e.g. muted=True) is in the audit record; the form's kwargs may not say.
    expected = {**(record.parameters if record is not None else {}), **expected}
    # A kick or a move: the participant leaving this room is what was asked for.
    kick = record is not None and record.action in ("kick", MOVE)
    try:
        participant = get_twilio_client().fetch_participant(conference_sid, call_sid)
    except TwilioApiError as reread_error:
        if not reread_error.is_not_found:
            raise
        rosters.record_removed(conference_sid, call_sid)
        if kick and record is not None:
            audit_resolution(record, outcome="ok", message="Re-read: the participant is gone.")
        return Reread(None, True if kick else None)
    recorded = Recorded(participant, rosters.record_participant(conference_sid, participant))
    if kick and record is not None:
        audit_resolution(
            record,
            outcome="failed",
            message="Re-read: still in the conference.",
            request_id=participant.request_id or "",
        )
        return Reread(recorded, False)
    checkable = {key: value for key, value in expected.items() if hasattr(participant, key) and isinstance(value, bool)}
    if not checkable:
        return Reread(recorded, None)
    applied = all(getattr(participant, key) == value for key, value in checkable.items())
    if record is not None:
        audit_resolution(
            record,
            outcome="ok" if applied else "failed",
            message=f"Re-read: {'applied' if applied else 'not applied'}.",
            request_id=participant.request_id or "",
        )
    return Reread(recorded, applied)


# --- conference writes --------------------------------------------------------------------


def conference_end(*, actor, conference_sid: str) -> Conference:
    conference = audited(
        lambda: get_twilio_client().update_conference(conference_sid, status="completed"),
        actor=actor,
        action="end-conference",
        conference_sid=conference_sid,
        parameters={"status": "completed"},
    )
    rosters.record_conference(conference)
    return conference


def conference_announce(
    *, actor, conference_sid: str, announce_url: str, announce_method: str | None = None
) -> Conference:
    params: UpdateConferenceParams = {"announce_url": announce_url}
    if announce_method:
        params["announce_method"] = announce_method
    return audited(
        lambda: get_twilio_client().update_conference(conference_sid, **params),
        actor=actor,
        action="announce-all",
        conference_sid=conference_sid,
        parameters={"announce_url": announce_url, "announce_method": announce_method},
    )


# --- selectors ----------------------------------------------------------------------------


def call_fetch(call_sid: str) -> Call:
    """Who is on a call (FetchCall): a read, not audited. Called only by live/identity.py, in
    the background, once per call (see DashboardConfig.ready)."""
    return get_twilio_client().fetch_call(call_sid)


def _fetch_roster(conference_sid: str) -> tuple[list[Participant], Conference | None]:
    client = get_twilio_client()
    participants = client.list_participants(conference_sid)
    # An empty list may mean the conference ended: only then is the conference read too.
    conference = None if participants else client.fetch_conference(conference_sid)
    return participants, conference


class ConferenceNotFound(Exception):
    """Twilio has no such conference (or said so less than UNKNOWN_CONFERENCE_CACHE_SECONDS ago)."""


class UserBudgetSpent(Exception):
    """This user has sent their share of requests to Twilio for this minute."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests to Twilio from your account: wait {retry_after} s and try again.")
        self.retry_after = retry_after


def _missing_key(conference_sid: str) -> str:
    return f"conference:missing:{conference_sid}"


def conference_is_known(*, conference_sid: str) -> bool:
    """Whether the dashboard holds this conference's roster (a cache read, no upstream call)."""
    return rosters.read_meta(conference_sid) is not None


def conference_lookup_allowed(*, actor, conference_sid: str) -> None:
    """Before a read that may reach Twilio for a conference the dashboard has not seen:
    raise ConferenceNotFound if Twilio said recently that it does not exist, else count
    one lookup against the user's share (UserBudgetSpent past it). Known ones cost nothing."""
    if conference_is_known(conference_sid=conference_sid):
        return
    if cache.get(_missing_key(conference_sid)) is not None:
        raise ConferenceNotFound(conference_sid)
    user_budget_spend(actor=actor, kind="lookup")


def _remember_missing(conference_sid: str) -> None:
    cache.set(_missing_key(conference_sid), 1, timeout=settings.UNKNOWN_CONFERENCE_CACHE_SECONDS)


# A budget bucket untouched this long is full again: it may expire.
BUDGET_SECONDS = 60


def user_budget_spend(*, actor, kind: str = "request") -> None:
    """Count one request this user makes Twilio answer; raise UserBudgetSpent past the limit.

    `kind`: "lookup" (reading a conference the dashboard has not seen) or "request" (any
    other call sent on the user's behalf). A token bucket per user and kind: it holds the
    per-minute limit and refills at that rate, so no burst across a clock minute's boundary
    passes twice the limit (a fixed per-minute window let it). One cache round trip on Redis
    (a script reads, refills and takes: two requests of one user at the same instant cannot
    both take the last token); a refusal takes nothing.
    """
    bucket = user_budget(actor=actor, kind=kind)
    budget_check(bucket, bucket.take_from(caches["default"]))


def user_budget(*, actor, kind: str = "request") -> Bucket:
    """This user's token bucket of `kind` (see `user_budget_spend`), to take from now; a caller
    may take from it in a round trip it makes anyway (the participant action's roster step)."""
    limit = (
        settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE if kind == "lookup" else settings.USER_TWILIO_REQUESTS_PER_MINUTE
    )
    return Bucket(
        key=f"budget:{kind}:{actor.pk}",
        capacity=float(limit),
        rate=max(limit, 1) / BUDGET_SECONDS,  # tokens per second
        now=timezone.now().timestamp(),
        ttl=BUDGET_SECONDS * 2,
    )


def budget_check(bucket: Bucket, tokens: float) -> None:
    """Raise UserBudgetSpent when the bucket held no whole token (`tokens`: what it held)."""
    if tokens < 1:
        raise UserBudgetSpent(retry_after=max(1, math.ceil((1 - tokens) / bucket.rate)))


def roster_refresh(*, conference_sid: str) -> RosterMeta | None:
    """Reconcile if due (single-flight) and say which version the roster is at: the cheap path.

    Raises ConferenceNotFound for a conference the dashboard has not seen and Twilio does
    not know: nothing is kept for it but a short-lived "missing" mark.
    """
    if cache.get(_missing_key(conference_sid)) is not None:
        raise ConferenceNotFound(conference_sid)

    def on_error(error: Exception) -> str:
        if isinstance(error, TwilioApiError) and error.is_not_found and rosters.read_meta(conference_sid) is None:
            _remember_missing(conference_sid)
            rosters.release_reconcile(conference_sid)
            raise ConferenceNotFound(conference_sid) from error
        return describe_read_error(error)

    meta = rosters.refresh(conference_sid, partial(_fetch_roster, conference_sid), on_error=on_error)
    # The recording state a page shows is read at most once per interval too (dashboard/recordings.py).
    if (
        meta is not None
        and not meta.ended
        and conference_recording_refresh(conference_sid=conference_sid, only_if_read=True)
    ):
        meta = rosters.read_meta(conference_sid)
    return meta


def conference_roster(*, conference_sid: str) -> Roster:
    roster_refresh(conference_sid=conference_sid)
    return rosters.load(conference_sid) or Roster(conference_sid=conference_sid)


def roster_snapshot(*, conference_sid: str) -> Roster:
    """The roster as it is now, without reconciling (a cache read)."""
    return rosters.load(conference_sid) or Roster(conference_sid=conference_sid)


def roster_view(*, conference_sid: str) -> Snapshot:
    """The roster and its in-flight marks as they are now, without reconciling: ONE cache read."""
    return rosters.snapshot(conference_sid)


def conference_view(*, conference_sid: str) -> Snapshot:
    """The roster and its marks, reconciled with Twilio first if due (single-flight)."""
    roster_refresh(conference_sid=conference_sid)
    return rosters.snapshot(conference_sid)


def participant_forget(*, conference_sid: str, call_sid: str) -> None:
    """Twilio says this participant is gone: drop them from the shared roster."""
    rosters.record_removed(conference_sid, call_sid)


def conference_get(*, conference_sid: str) -> Conference:
    """The conference's header facts, from the roster when known (no upstream call)."""
    known = rosters.load(conference_sid)
    if known is not None and known.conference is not None:
        return known.conference
    if cache.get(_missing_key(conference_sid)) is not None:
        raise ConferenceNotFound(conference_sid)
    try:
        conference = get_twilio_client().fetch_conference(conference_sid)
    except TwilioApiError as error:
        if error.is_not_found:
            _remember_missing(conference_sid)
            raise ConferenceNotFound(conference_sid) from error
        raise
    rosters.record_conference(conference)
    return conference


def participant_name(*, conference_sid: str, call_sid: str, default: str | None = None) -> str:
    """How a supervisor knows this participant (label, else call SID), from the roster."""
    known = rosters.load(conference_sid)
    entry = known.entries.get(call_sid) if known else None
    if entry is not None:
        return entry.participant.identifier
    return call_sid if default is None else default


@dataclass(frozen=True)
class ConferenceSummary:
    conference: Conference
    participants: int
    muted: int
    held: int
    coaching: int
    ringing: int
    age: timedelta | None
    roster: Roster
    alerts: tuple[Alert, ...] = ()


def _summary(conference: Conference, roster: Roster, now: datetime) -> ConferenceSummary:
    entries = list(roster.entries.values())
    return ConferenceSummary(
        conference=conference,
        participants=len(entries),
        muted=sum(1 for e in entries if e.participant.muted),
        held=sum(1 for e in entries if e.participant.hold),
        coaching=sum(1 for e in entries if e.participant.coaching),
        ringing=sum(1 for e in entries if e.participant.status in PENDING_STATUSES),
        age=max(timedelta(0), now - conference.date_created) if conference.date_created else None,
        roster=roster,
    )


LIVE_LIST_KEY = "conferences:live"


@dataclass(frozen=True)
class LiveListing:
    """Twilio's live conferences as last listed, and whether the latest attempt failed.

    `fetched_at` moves only when a list call succeeds, so old data is never shown as new;
    `refresh_error` stays set until a later list call succeeds.
    """

    conferences: list[Conference]
    fetched_at: datetime
    refresh_error: str | None = None
    failed_at: datetime | None = None


def _live_listing() -> LiveListing:
    """Twilio's live conferences, listed at most once per poll interval for everyone.

    Raises TwilioError only when the list fails and no earlier list is known.
    """
    listing = cache.get(LIVE_LIST_KEY)
    if listing is not None and not cache.add(
        f"{LIVE_LIST_KEY}:lease", 1, timeout=settings.ROSTER_POLL_INTERVAL_SECONDS
    ):
        return listing
    client = get_twilio_client()
    try:
        conferences = [c for status in LIVE_CONFERENCE_STATUSES for c in client.list_conferences(status=status)]
    except TwilioError as error:
        if listing is None:
            raise
        listing = replace(listing, refresh_error=describe_read_error(error), failed_at=timezone.now())
        cache.set(LIVE_LIST_KEY, listing, timeout=settings.ROSTER_CACHE_SECONDS)
        return listing
    listing = LiveListing(conferences=conferences, fetched_at=timezone.now())
    cache.set(LIVE_LIST_KEY, listing, timeout=settings.ROSTER_CACHE_SECONDS)
    cache.set(f"{LIVE_LIST_KEY}:lease", 1, timeout=settings.ROSTER_POLL_INTERVAL_SECONDS)
    for conference in conferences:
        known = rosters.load(conference.sid)
        if known is None or known.conference != conference:
            rosters.record_conference(conference)
    return listing


def conference_alerts(*, roster: Roster, now: datetime) -> list[Alert]:
    """This conference's alerts, the same the conferences list shows (one query); history
    records each the first time it fires."""
    return alerts_shown(
        conference_sids=[roster.conference_sid], now=now, known_rosters={roster.conference_sid: roster}
    )[roster.conference_sid]


def alerts_shown(
    *, conference_sids: list[str], now: datetime, known_rosters: dict[str, Roster] | None = None
) -> dict[str, list[Alert]]:
    """The alerts a page shows for these conferences (`live.alerts.conferences_alerts`, a read),
    handed to history, which writes only an alert this process has not recorded yet."""
    found = conferences_alerts(conference_sids=conference_sids, now=now, known_rosters=known_rosters)
    history_alerts_fired(found, at=now)
    return found


@dataclass(frozen=True)
class ConferenceListing:
    summaries: list[ConferenceSummary]
    fetched_at: datetime
    refresh_error: str | None
    failed_at: datetime | None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


# What a typed phone number may contain besides digits: "+1 (415) 555-0101".
PHONE_PUNCTUATION = set(" +()-.")


def _finds(needle: str, conference: Conference, roster: Roster) -> bool:
    """Whether `needle` (casefolded) is in the conference's name, or in a participant's label or
    number; a typed phone number matches whatever its punctuation ("415 555-0101")."""
    if needle in (conference.friendly_name or "").casefold():
        return True
    digits = _digits(needle)
    dialled = len(digits) >= 3 and all(ch.isdigit() or ch in PHONE_PUNCTUATION for ch in needle)
    for entry in roster.entries.values():
        number = entry.identity.number if entry.identity else ""
        if needle in (entry.participant.label or "").casefold() or needle in number.casefold():
            return True
        if dialled and digits in _digits(number):
            return True
    return False


def conference_list_live(*, matching: str = "") -> ConferenceListing:
    """Live conferences (in progress, and init ones waiting to start), newest first, with counts
    and alerts, and when Twilio was last listed successfully. `matching`: only those whose name,
    or a participant's label or number, contains it.

    The list and each roster come from the shared cache, refreshed single-flight, so a page
    of supervisors polling this costs Twilio the same as one.
    """
    listing = _live_listing()
    needle = matching.strip().casefold()
    now = timezone.now()
    summaries = []
    for conference in listing.conferences:
        roster = conference_roster(conference_sid=conference.sid)
        if roster.ended or (needle and not _finds(needle, conference, roster)):
            continue
        summaries.append(_summary(conference, roster, now))
    found = alerts_shown(
        conference_sids=[s.conference.sid for s in summaries],
        now=now,
        known_rosters={s.conference.sid: s.roster for s in summaries},
    )
    summaries = [replace(s, alerts=tuple(found[s.conference.sid])) for s in summaries]
    oldest = datetime.min.replace(tzinfo=UTC)
    summaries.sort(key=lambda s: s.conference.date_created or oldest, reverse=True)
    return ConferenceListing(
        summaries=summaries,
        fetched_at=listing.fetched_at,
        refresh_error=listing.refresh_error,
        failed_at=listing.failed_at,
    )
