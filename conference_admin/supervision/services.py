"""Supervisor power tools: their own line (listen, whisper, barge), bulk actions, safe hold
and who is on the line (alerts and roles: `conference_admin.live.alerts`).

Writes follow the dashboard's rule: ONE Twilio call per participant, audited with
`audit_attempt`, what Twilio returned fed to the shared roster. Bulk actions, which Twilio
does not have, are bounded-concurrency loops of those single calls with a result per
participant, plus ONE `bulk:<name>` audit record with every result.
Reads come from the shared roster (a cache read) with `now` passed in where time matters.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import AuditUnavailable, audit_attempt, audit_begin_many, audit_settling
from conference_admin.dashboard import services as dashboard
from conference_admin.dashboard.client import get_twilio_client
from conference_admin.dashboard.errors import describe_error
from conference_admin.dashboard.models import pick_lists
from conference_admin.live import participants
from conference_admin.live import roster as rosters
from conference_admin.live.roster import Roster, RosterEntry
from conference_admin.offthread import closing_connections
from conference_admin.twilio import Participant, TwilioApiError, TwilioError

from .models import SupervisorProfile

PHONE_CACHE_SECONDS = 3600


class SupervisionError(Exception):
    """Something the supervisor must fix first (no profile number, not on the line...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _username(actor) -> str:
    return actor.get_username()


# --- the supervisor's own line ------------------------------------------------------------


def supervisor_label(actor) -> str:
    return participants.supervisor_label(_username(actor))


def caller_id() -> str:
    """The first configured caller ID (the dashboard's pick list, else settings)."""
    configured = pick_lists()["caller_ids"] or settings.DASHBOARD_CALLER_IDS
    if not configured:
        raise SupervisionError("No caller ID is configured to dial supervisors from.")
    return configured[0]


def _phone_key(user_id) -> str:
    return f"supervision:phone:{user_id}"


def profile_phone(actor) -> str:
    """Where to dial this supervisor ("" when unset); cached, so the polled panel runs no query."""
    phone = cache.get(_phone_key(actor.pk))
    if phone is None:
        profile = SupervisorProfile.objects.filter(user=actor).only("phone").first()
        phone = profile.phone if profile else ""
        cache.set(_phone_key(actor.pk), phone, timeout=PHONE_CACHE_SECONDS)
    return phone


def profile_save(*, actor, phone: str) -> SupervisorProfile:
    profile, _ = SupervisorProfile.objects.update_or_create(user=actor, defaults={"phone": phone})
    cache.delete(_phone_key(actor.pk))
    return profile


def supervisor_line_dial(*, actor, conference_sid: str, to: str | None = None) -> Participant:
    """Listen in: dial the supervisor into the conference, muted, silently, never ending it."""
    to = to or profile_phone(actor)
    if not to:
        raise SupervisionError("Set your phone number or client identity in your profile first.")
    from_ = caller_id()
    label = supervisor_label(actor)
    recorded = dashboard.participant_dial(
        actor=actor,
        action="line:listen-in",
        conference_sid=conference_sid,
        from_=from_,
        to=to,
        muted=True,
        beep="false",
        label=label,
        end_conference_on_exit=False,
    )
    return recorded.participant


def _own_leg(roster: Roster, actor) -> RosterEntry | None:
    label = supervisor_label(actor)
    return next((e for e in roster.entries.values() if e.participant.label == label), None)


def _own_address(actor, conference_sid: str) -> tuple[RosterEntry | None, str, str]:
    """The supervisor's own leg as the roster has it (None: not there), their label, and how
    Twilio is told which participant: by call SID when known, else by label."""
    entry = _own_leg(dashboard.roster_snapshot(conference_sid=conference_sid), actor)
    label = supervisor_label(actor)
    return entry, label, entry.participant.call_sid if entry else label


def _line_update(actor, conference_sid: str, action: str, **params) -> Participant:
    """ONE update on the supervisor's own leg (see `_own_address`)."""
    entry, label, address = _own_address(actor, conference_sid)
    flight = rosters.begin(conference_sid, address, actor=_username(actor), action=action)
    recorded = False
    try:
        with audit_attempt(
            actor=actor,
            action=f"line:{action}",
            conference_sid=conference_sid,
            participant_sid=entry.participant.call_sid if entry else "",
            participant_label=label,
            parameters=params,
        ) as attempt:
            participant = get_twilio_client().update_participant(conference_sid, address, **params)
            attempt.succeeded(
                request_id=participant.request_id,
                participant_sid=participant.call_sid,
                participant_label=participant.label,
            )
        rosters.record_participant(conference_sid, participant)  # the result; clears the mark on its call
        recorded = participant.call_sid == address
    finally:
        rosters.settle(flight, recorded=recorded)
    return participant


def supervisor_line_listen(*, actor, conference_sid: str) -> Participant:
    """Back to listening: nobody hears the supervisor."""
    return _line_update(actor, conference_sid, "listen", muted=True, coaching=False)


def supervisor_line_whisper(*, actor, conference_sid: str, call_sid_to_coach: str) -> Participant:
    """Whisper: only `call_sid_to_coach` hears the supervisor (Twilio: one coached call per coach;
    whispering to someone else is this same single update with the new target)."""
    return _line_update(
        actor, conference_sid, "whisper", muted=False, coaching=True, call_sid_to_coach=call_sid_to_coach
    )


def supervisor_line_barge(*, actor, conference_sid: str) -> Participant:
    """Barge: everyone hears the supervisor."""
    return _line_update(actor, conference_sid, "barge", muted=False, coaching=False)


def supervisor_line_leave(*, actor, conference_sid: str) -> None:
    entry, label, address = _own_address(actor, conference_sid)
    flight = rosters.begin(conference_sid, address, actor=_username(actor), action="leave")
    try:
        with audit_attempt(
            actor=actor,
            action="line:leave",
            conference_sid=conference_sid,
            participant_sid=entry.participant.call_sid if entry else "",
            participant_label=label,
        ) as attempt:
            request_id = get_twilio_client().delete_participant(conference_sid, address)
            attempt.succeeded(request_id=request_id)
        if entry is not None:
            rosters.record_removed(conference_sid, entry.participant.call_sid)  # clears the mark too
    finally:
        rosters.settle(flight, recorded=entry is not None)


@dataclass(frozen=True)
class LineState:
    """What a supervisor's leg is doing, in words the panel shows."""

    mode: str  # off | dialling | listening | whispering | barged
    text: str
    call_sid: str = ""
    target_sid: str = ""
    target_name: str = ""
    username: str = ""


MODE_TEXT = {
    "off": "Not on the line",
    "dialling": "Dialling you…",
    "listening": "Listening (muted: nobody hears you)",
    "whispering": "Whispering to {target} (only they hear you)",
    "barged": "Barged in (everyone hears you)",
}


def _line_state(entry: RosterEntry | None, names: dict[str, str], username: str = "") -> LineState:
    if entry is None:
        return LineState("off", MODE_TEXT["off"], username=username)
    p = entry.participant
    if p.status in participants.PENDING_STATUSES:
        mode = "dialling"
    elif p.coaching:
        mode = "whispering"
    elif p.muted:
        mode = "listening"
    else:
        mode = "barged"
    target = p.call_sid_to_coach or "" if p.coaching else ""
    target_name = names.get(target, target or "someone")
    return LineState(
        mode, MODE_TEXT[mode].format(target=target_name), p.call_sid, target, target_name if target else "", username
    )


def supervisor_line_state(*, roster: Roster, actor) -> LineState:
    return _line_state(_own_leg(roster, actor), roster.names(), _username(actor))


def supervisors_on_line(*, roster: Roster, exclude_username: str = "") -> list[LineState]:
    """Every supervisor leg (label `supervisor:*`) and what it does: who listens to or coaches whom."""
    names = roster.names()
    states = []
    for entry in roster.entries.values():
        username = participants.supervisor_username(entry.participant.label)
        if username is None or username == exclude_username:
            continue
        states.append(_line_state(entry, names, username))
    return states


def whisper_targets(roster: Roster, actor) -> list[tuple[str, str]]:
    """Whom the supervisor may whisper to: connected, not on hold, not a supervisor; agents first."""
    entries = [
        e.participant
        for e in roster.entries.values()
        if e.participant.status == "connected"
        and not e.participant.hold
        and participants.participant_role(e.participant.label) != participants.SUPERVISOR
    ]
    entries.sort(key=lambda p: participants.participant_role(p.label) != participants.AGENT)
    return [(p.call_sid, p.identifier) for p in entries]


# --- safe hold ----------------------------------------------------------------------------


def participant_safe_hold(
    *,
    actor,
    conference_sid: str,
    call_sid: str,
    label: str | None = None,
    hold_url: str | None = None,
    hold_method: str | None = None,
) -> dashboard.Recorded:
    """Clear end-on-exit, then hold: two updates, each audited (a failure of the first stops)."""
    dashboard.participant_set_end_conference_on_exit(
        actor=actor, conference_sid=conference_sid, call_sid=call_sid, end_conference_on_exit=False, label=label
    )
    return dashboard.participant_hold(
        actor=actor,
        conference_sid=conference_sid,
        call_sid=call_sid,
        label=label,
        hold_url=hold_url,
        hold_method=hold_method,
    )


# --- bulk actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkSpec:
    title: str
    action: str  # the per-participant audit action
    select: Callable[[Participant], bool]
    params: dict
    destructive: bool = False
    kick: bool = False
    done: str = "done"


def _live(p: Participant) -> bool:
    return p.status == "connected"


BULK: dict[str, BulkSpec] = {
    "mute-customers": BulkSpec(
        "Mute all except agents and supervisors",
        "mute",
        lambda p: _live(p) and not p.muted and not participants.is_staff(p.label),
        {"muted": True},
        done="muted",
    ),
    "unmute-all": BulkSpec(
        # Supervisors' own legs stay muted: unmuting them would be a barge nobody asked for.
        "Unmute all",
        "unmute",
        lambda p: _live(p) and bool(p.muted) and participants.participant_role(p.label) != participants.SUPERVISOR,
        {"muted": False},
        done="unmuted",
    ),
    "resume-all": BulkSpec(
        "Resume everyone on hold", "resume", lambda p: _live(p) and bool(p.hold), {"hold": False}, done="back from hold"
    ),
    "remove-customers": BulkSpec(
        # Agents stay, and so do supervisors' legs (they leave their own line themselves).
        "Remove everyone but the agents",
        "kick",
        lambda p: not participants.is_staff(p.label),
        {},
        destructive=True,
        kick=True,
        done="removed",
    ),
}
BULK_END = "end"
BULK_TITLES = {**{name: spec.title for name, spec in BULK.items()}, BULK_END: "End the conference"}


@dataclass(frozen=True)
class BulkResult:
    call_sid: str
    name: str
    ok: bool
    message: str
    gone: bool = False
    participant: Participant | None = None


@dataclass(frozen=True)
class BulkOutcome:
    name: str
    title: str
    results: list[BulkResult]
    record: AuditRecord | None = None

    @property
    def failed(self) -> list[BulkResult]:
        return [r for r in self.results if not r.ok]

    @property
    def summary(self) -> str:
        if not self.results:
            return f"{self.title}: nobody to act on."
        done = len(self.results) - len(self.failed)
        if not self.failed:
            return f"{self.title}: all {done} done."
        return f"{self.title}: {done} of {len(self.results)} done, {len(self.failed)} failed."


def _call(spec: BulkSpec, conference_sid: str, participant: Participant):
    """Runs in a worker thread: the one upstream call (marked in flight). No database here."""
    client = get_twilio_client()
    if spec.kick:
        return client.delete_participant(conference_sid, participant.call_sid)
    return client.update_participant(conference_sid, participant.call_sid, **spec.params)


def _settle(
    spec: BulkSpec, conference_sid: str, participant: Participant, record: AuditRecord, future: Future, flight
) -> BulkResult:
    """In the request's thread: settle the participant's own audit record, then ONE roster
    write: the result (which clears the mark), or the mark cleared when there is none."""
    recorded = False
    try:
        result = _result(spec, conference_sid, participant, record, future)
        recorded = result.gone or result.participant is not None
        return result
    finally:
        rosters.settle(flight, recorded=recorded)


def _result(
    spec: BulkSpec, conference_sid: str, participant: Participant, record: AuditRecord, future: Future
) -> BulkResult:
    who = participant.identifier
    try:
        with audit_settling(record) as attempt:
            answer = future.result()
            attempt.succeeded(request_id=answer if isinstance(answer, str) else getattr(answer, "request_id", None))
    except TwilioApiError as error:
        if error.is_not_found:
            rosters.record_removed(conference_sid, participant.call_sid)
            if spec.kick:
                return BulkResult(participant.call_sid, who, True, "Already gone.", gone=True)
            return BulkResult(
                participant.call_sid, who, False, f"No longer in the conference. {describe_error(error)}", gone=True
            )
        return BulkResult(participant.call_sid, who, False, describe_error(error))
    except TwilioError as error:
        return BulkResult(participant.call_sid, who, False, describe_error(error))
    if spec.kick:
        rosters.record_removed(conference_sid, participant.call_sid)
        return BulkResult(participant.call_sid, who, True, f"{spec.done.capitalize()}.", gone=True)
    rosters.record_participant(conference_sid, answer)
    return BulkResult(participant.call_sid, who, True, f"{spec.done.capitalize()}.", participant=answer)


def _bulk_record(actor, conference_sid: str, name: str, results: Iterable[BulkResult]) -> AuditRecord | None:
    """The bulk action's summary; each participant's own record was written before its call,
    so a database gone meanwhile costs only this summary (None)."""
    results = list(results)
    failed = [r for r in results if not r.ok]
    try:
        return _bulk_summary(actor, conference_sid, name, results, failed)
    except DatabaseError:
        return None


def _bulk_summary(actor, conference_sid: str, name: str, results, failed) -> AuditRecord:
    return AuditRecord.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=_username(actor),
        conference_sid=conference_sid,
        action=f"bulk:{name}",
        parameters={
            "targets": len(results),
            "failed": len(failed),
            "results": [{"call_sid": r.call_sid, "label": r.name, "ok": r.ok, "message": r.message} for r in results],
        },
        outcome=AuditRecord.Outcome.FAILED if failed else AuditRecord.Outcome.OK,
        error_message=f"{len(failed)} of {len(results)} failed: " + "; ".join(f"{r.name}: {r.message}" for r in failed)
        if failed
        else "",
    )


def conference_bulk(*, actor, conference_sid: str, name: str) -> BulkOutcome:
    """Run bulk action `name` on everyone it concerns, SUPERVISION_BULK_CONCURRENCY at a time."""
    if name == BULK_END:
        return _bulk_end(actor, conference_sid)
    spec = BULK[name]
    roster = dashboard.roster_snapshot(conference_sid=conference_sid)
    targets = [e.participant for e in roster.entries.values() if spec.select(e.participant)]
    results: list[BulkResult] = []
    if targets:
        # Every participant's record is written (pending) before any call: all of them, or no call.
        try:
            records = audit_begin_many(
                [
                    {
                        "actor": actor,
                        "action": spec.action,
                        "conference_sid": conference_sid,
                        "participant_sid": p.call_sid,
                        "participant_label": p.label or "",
                        "parameters": {**spec.params, "bulk": name},
                    }
                    for p in targets
                ]
            )
        except AuditUnavailable as error:
            results = [BulkResult(p.call_sid, p.identifier, False, describe_error(error)) for p in targets]
            return BulkOutcome(name, spec.title, results, None)
        # Everyone concerned is marked in flight in one roster step (one version).
        flights = rosters.begin_many(
            conference_sid, [p.call_sid for p in targets], actor=_username(actor), action=spec.action
        )
        workers = max(1, min(settings.SUPERVISION_BULK_CONCURRENCY, len(targets)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bulk") as pool:
            # Each call runs in the request's context (its request id on the Twilio log line).
            call = closing_connections(_call)
            futures = [
                (p, r, f, pool.submit(contextvars.copy_context().run, call, spec, conference_sid, p))
                for p, r, f in zip(targets, records, flights, strict=True)
            ]
            results = [_settle(spec, conference_sid, p, r, future, f) for p, r, f, future in futures]
    return BulkOutcome(name, spec.title, results, _bulk_record(actor, conference_sid, name, results))


def _bulk_end(actor, conference_sid: str) -> BulkOutcome:
    title = BULK_TITLES[BULK_END]
    try:
        conference = dashboard.conference_end(actor=actor, conference_sid=conference_sid)
    except TwilioError as error:
        result = BulkResult(conference_sid, title, False, describe_error(error))
    else:
        result = BulkResult(conference_sid, conference.friendly_name or conference.sid, True, "Ended.", gone=True)
    return BulkOutcome(BULK_END, title, [result], _bulk_record(actor, conference_sid, BULK_END, [result]))
