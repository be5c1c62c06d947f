"""Reading history: the list of ended conferences, search, and one conference's report.

Every page costs a fixed number of queries whatever its size: one for the page, one for its
count, then one per kind of fact the page shows (participant counts, supervisors, matched
participants), each for the whole page at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from heapq import merge
from operator import itemgetter
from typing import Any, NamedTuple
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from conference_admin.audit.models import AuditRecord
from conference_admin.clock import clock
from conference_admin.live.models import ConferenceEvent, TranscriptLine
from conference_admin.live.timeline import EVENT_TEXT, HIDDEN_EVENTS, audit_detail, moves_into
from conference_admin.live.words import ENDED_REASONS, LEFT_REASONS, action_text, reason_text
from conference_admin.sids import CALL_SID

from .models import ConferenceAlert, ConferenceRecord, ParticipantObservation, ParticipantSession

PAGE_SIZE = 50
NOT_RECORDED = "not recorded"
NUMBER_LIKE = re.compile(r"^[+\d(][\d\s().-]*$")


class HistoryNotFound(Exception):
    """No history for this conference."""


class _Printed:
    """A row the templates print many of. Django's template engine looks `row.name` up as
    `row["name"]` first and only then as an attribute; answering the subscript saves an
    exception per printed value (a quarter of a 250-participant table's rendering)."""

    __slots__ = ()

    def __getitem__(self, name: str):
        try:
            return getattr(self, name)
        except (AttributeError, TypeError):
            raise KeyError(name) from None


# --- the list and search ------------------------------------------------------------------


def _stamp(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A time as the page shows it, in the configured zone ("" when unknown). Formatted here:
    a few hundred template `date` filters cost more than the page's queries."""
    return timezone.localtime(moment).strftime(pattern) if moment else ""


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


class _ConferenceFacts:
    """What a history row and a report both say of one conference."""

    record: ConferenceRecord
    supervisors: list[str]

    @property
    def duration(self) -> timedelta | None:
        return self.record.duration

    @property
    def duration_text(self) -> str:
        return clock(self.duration)

    @property
    def started_text(self) -> str:
        return _stamp(self.record.started_at)

    @property
    def ended_text(self) -> str:
        return _stamp(self.record.ended_at)

    @property
    def supervisors_text(self) -> str:
        return ", ".join(self.supervisors)


@dataclass(frozen=True)
class ConferenceRow(_ConferenceFacts, _Printed):
    record: ConferenceRecord
    participants: int
    supervisors: list[str]
    recording: str
    report_url: str
    matched: list[str] = field(default_factory=list)

    @property
    def sid(self) -> str:
        return self.record.sid

    @property
    def name(self) -> str:
        return self.record.friendly_name or self.record.sid

    @property
    def alerts_text(self) -> str:
        return self.record.alerts_fired

    @property
    def started_iso(self) -> str:
        return _iso(self.record.started_at)

    @property
    def ended_iso(self) -> str:
        return _iso(self.record.ended_at)

    @property
    def matched_text(self) -> str:
        return "; ".join(self.matched)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_bounds(period: str, since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """today / week (the last 7 days, today included) / range (whole days, both included)."""
    today = timezone.localdate()
    if period == "today":
        return _day_start(today), None
    if period == "week":
        return _day_start(today - timedelta(days=6)), None
    return (_day_start(since) if since else None, _day_start(until + timedelta(days=1)) if until else None)


def _report_urls(sids: list[str]) -> dict[str, str]:
    """Each conference's report URL: reversed once, not once a row (50 `{% url %}` were a
    tenth of the list page's time)."""
    marker = "CF" + "0" * 32
    pattern = reverse("history-report", args=[marker])
    head, tail = pattern[: pattern.rindex(marker)], pattern[pattern.rindex(marker) + len(marker) :]
    return {sid: f"{head}{quote(sid, safe='')}{tail}" for sid in sids}


def _rows(records: Iterable[ConferenceRecord], matched: dict[str, list[str]] | None = None) -> list[ConferenceRow]:
    records = list(records)
    sids = [record.sid for record in records]
    counts = {
        str(sid): n
        for sid, n in ParticipantSession.objects.filter(conference__sid__in=sids)
        .values("conference_id")
        .annotate(n=Count("id"))
        .values_list("conference_id", "n")
    }
    supervisors: dict[str, list[str]] = defaultdict(list)
    for sid, username in (
        AuditRecord.objects.filter(conference_sid__in=sids)
        .values_list("conference_sid", "actor_username")
        .distinct()
        .order_by("conference_sid", "actor_username")
    ):
        supervisors[sid].append(username)
    urls = _report_urls(sids)
    return [
        ConferenceRow(
            record=record,
            participants=counts.get(record.sid, 0),
            supervisors=supervisors.get(record.sid, []),
            recording=record.recording_state or NOT_RECORDED,
            report_url=urls[record.sid],
            matched=(matched or {}).get(record.sid, []),
        )
        for record in records
    ]


def _page(records: QuerySet, number) -> Page:
    return Paginator(records, PAGE_SIZE).get_page(number)


def history_page(*, period: str = "", since: date | None = None, until: date | None = None, page=1) -> Page:
    """Ended conferences, most recently ended first, in the period."""
    start, end = period_bounds(period, since, until)
    records = ConferenceRecord.objects.filter(ended_at__isnull=False)
    if start:
        records = records.filter(ended_at__gte=start)
    if end:
        records = records.filter(ended_at__lt=end)
    page_ = _page(records.order_by("-ended_at", "-id"), page)
    page_.object_list = _rows(page_.object_list)
    return page_


def _number_fragment(text: str) -> str:
    """What a typed number is stored as: +, digits; '(555) 123-45' finds '+1555123456'."""
    return re.sub(r"[^\d+]", "", text) if NUMBER_LIKE.match(text) else ""


def _participant_filter(text: str) -> Q:
    text = text.strip()
    if CALL_SID.match(text):
        return Q(call_sid=text)
    match = Q(label__icontains=text)
    number = _number_fragment(text)
    if number:
        # Also in labels: without caller identity a customer's label often is its number.
        match |= Q(number__contains=number) | Q(label__icontains=number)
    return match


@dataclass(frozen=True)
class SearchCriteria:
    participant: str = ""
    conference: str = ""
    supervisor: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.participant or self.conference or self.supervisor or self.since or self.until)


def _search_records(criteria: SearchCriteria) -> QuerySet:
    records = ConferenceRecord.objects.all()
    if criteria.participant:
        sessions = ParticipantSession.objects.filter(_participant_filter(criteria.participant))
        records = records.filter(sid__in=sessions.values("conference_id"))
    if criteria.conference:
        name = criteria.conference.strip()
        records = records.filter(Q(friendly_name__icontains=name) | Q(sid=name))
    if criteria.supervisor:
        acted = AuditRecord.objects.filter(actor_username__iexact=criteria.supervisor.strip())
        records = records.filter(sid__in=acted.values("conference_sid"))
    start, end = period_bounds("range", criteria.since, criteria.until)
    if start:
        records = records.filter(started_at__gte=start)
    if end:
        records = records.filter(started_at__lt=end)
    return records.order_by(F("started_at").desc(nulls_last=True), "-id")


def _matched(criteria: SearchCriteria, sids: list[str]) -> dict[str, list[str]]:
    if not criteria.participant:
        return {}
    found: dict[str, list[str]] = defaultdict(list)
    sessions = (
        ParticipantSession.objects.filter(_participant_filter(criteria.participant), conference__sid__in=sids)
        .order_by("joined_at", "id")
        .values_list("conference_id", "label", "number", "call_sid")
    )
    for sid, label, number, call_sid in sessions:
        found[str(sid)].append(" ".join(part for part in (label or call_sid, number) if part))
    return found


def history_search(*, criteria: SearchCriteria, page=1) -> Page:
    """Conferences (live or ended) matching every given criterion, newest first."""
    page_ = _page(_search_records(criteria), page)
    records = list(page_.object_list)
    page_.object_list = _rows(records, _matched(criteria, [r.sid for r in records]))
    return page_


def history_search_all(*, criteria: SearchCriteria) -> Iterable[ConferenceRow]:
    """Every match, for the CSV export: fetched in chunks of one page, each a fixed number of queries."""
    records = _search_records(criteria)
    paginator = Paginator(records, 500)
    for number in paginator.page_range:
        chunk = list(paginator.page(number).object_list)
        yield from _rows(chunk, _matched(criteria, [r.sid for r in chunk]))


# --- one conference's report --------------------------------------------------------------


DASH = "—"


def _hms(moment: datetime | None, zone) -> str:
    if moment is None:
        return DASH
    local = moment.astimezone(zone)
    return f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"


class _Epoch(Func):
    """A timestamp as seconds since the epoch (PostgreSQL): a float, which the database driver
    reads in C, where Django's own timestamp-with-zone loader is Python (half the CPU of a
    report's 1,000-event query went into it). Exact to the microsecond."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()


def _timestamp(name: str):
    """Select a timestamp column for `_moment` (an epoch float on PostgreSQL, else as is)."""
    return _Epoch(name) if connection.vendor == "postgresql" else F(name)


def _instant(value: float | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)


def _moment(value: float | datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


class _Session(NamedTuple):
    """A participant session as the report reads it (no model instance: 250 of them are read
    for one report)."""

    call_sid: str
    label: str
    number: str
    direction: str
    joined_at: datetime | None
    left_at: datetime | None
    left_reason: str
    coached_call_sid: str
    joined_approximate: bool
    left_approximate: bool
    approximate_within: int

    @property
    def times_approximate(self) -> bool:
        return self.joined_approximate or self.left_approximate


def _sessions(conference_sid: str) -> list[_Session]:
    rows = (
        ParticipantSession.objects.filter(conference__sid=conference_sid)
        .order_by("joined_at", "id")
        .values_list(
            "call_sid",
            "label",
            "number",
            "direction",
            _timestamp("joined_at"),
            _timestamp("left_at"),
            "left_reason",
            "coached_call_sid",
            "joined_approximate",
            "left_approximate",
            "approximate_within",
        )
    )
    return [
        _Session(call_sid, label, number, direction, _moment(joined), _moment(left), *rest)
        for call_sid, label, number, direction, joined, left, *rest in rows
    ]


@dataclass(slots=True)
class ParticipantReport(_Printed):
    """One participant's line of the report. Every text is made here, ready to print: a
    250-participant report is mostly template lookups, so the template only prints."""

    session: _Session
    name: str
    joined_at: datetime | None
    left_at: datetime | None
    left_reason: str
    joined_note: str
    left_note: str
    hold: timedelta
    muted: timedelta
    coached: str
    call_sid: str = ""
    number: str = ""
    direction: str = ""
    joined_text: str = ""
    left_text: str = ""
    hold_text: str = ""
    muted_text: str = ""

    def texts(self, zone) -> ParticipantReport:
        self.call_sid = self.session.call_sid
        self.number = self.session.number or DASH
        self.direction = self.session.direction or DASH
        self.joined_text = _hms(self.joined_at, zone)
        self.left_text = _hms(self.left_at, zone)
        self.hold_text = clock(self.hold)
        self.muted_text = clock(self.muted)
        self.left_reason = self.left_reason or DASH
        self.coached = self.coached or DASH
        return self


@dataclass(slots=True)
class ReportItem(_Printed):
    at: datetime
    text: str
    source: str  # twilio | dashboard | history | alert
    actor: str = ""
    outcome: str = ""
    detail: str = ""

    @property
    def time_text(self) -> str:
        return _hms(self.at, timezone.get_current_timezone())

    @property
    def iso(self) -> str:
        return _iso(self.at)

    @property
    def by(self) -> str:
        return f"by {self.actor}" if self.actor else ""

    @property
    def detail_text(self) -> str:
        return f"— {self.detail}" if self.detail else ""

    @property
    def flagged_outcome(self) -> str:
        """The outcome, when it is worth a chip (not plain success)."""
        return "" if self.outcome in ("", "ok") else self.outcome


@dataclass
class Timeline:
    """The merged timeline, oldest first. Its entries are only sorted; an item's text is made
    when that slice is shown (a page shows a slice, the CSV export all of it)."""

    entries: list[tuple[datetime, Callable[[Any], ReportItem], Any]]

    def __len__(self) -> int:
        return len(self.entries)

    def items(self, start: int = 0, end: int | None = None) -> list[ReportItem]:
        return [build(source) for _at, build, source in self.entries[start:end]]

    def __iter__(self):
        return iter(self.items())


@dataclass(frozen=True, slots=True)
class ReportAlert(_Printed):
    """An alert that fired in the conference, as the report lists it."""

    text: str
    fired_at: datetime
    time_text: str
    iso: str
    line: str = ""  # a phrase alert's matched line, when the reader may read transcripts

    @property
    def line_text(self) -> str:
        return f"“{self.line}”" if self.line else ""


@dataclass
class ConferenceReport(_ConferenceFacts):
    record: ConferenceRecord
    live: bool
    participants: list[ParticipantReport]
    timeline: Timeline
    supervisors: list[str]
    recording: str
    alerts: list[ReportAlert] = field(default_factory=list)

    @property
    def ended_reason_text(self) -> str:
        reason = self.record.reason_ended
        return ENDED_REASONS.get(reason, reason)


# State a participant is in, as each source reports it: (field, value) pairs.
_EVENT_STATE = {
    "participant-mute": [("muted", True)],
    "participant-unmute": [("muted", False)],
    "participant-hold": [("hold", True)],
    "participant-unhold": [("hold", False)],
}
_ACTION_STATE = {
    "mute": [("muted", True)],
    "unmute": [("muted", False)],
    "hold": [("hold", True)],
    "resume": [("hold", False)],
    "coach": [("coaching", True)],
    "stop-coaching": [("coaching", False)],
    "line:listen": [("muted", True), ("coaching", False)],
    "line:whisper": [("muted", False), ("coaching", True)],
    "line:barge": [("muted", False), ("coaching", False)],
}


class _Event(NamedTuple):
    """The few facts of a stored callback the report uses (no model, no JSON decoding)."""

    occurred_at: datetime
    event: str
    call_sid: str
    label: str
    source: str
    muted: str | None
    hold: str | None
    coaching: str | None
    reason: str | None


def _flag(value) -> bool | None:
    return None if value is None else str(value).lower() == "true"


@dataclass
class _State:
    since: dict[str, datetime] = field(default_factory=dict)
    total: dict[str, timedelta] = field(default_factory=lambda: defaultdict(timedelta))
    coached: list[str] = field(default_factory=list)

    def set(self, name: str, value: bool | None, at: datetime) -> None:
        if value is None:
            return
        if value and name not in self.since:
            self.since[name] = at
        elif not value and name in self.since:
            self.total[name] += max(timedelta(0), at - self.since.pop(name))

    def coach(self, call_sid: str) -> None:
        if call_sid and call_sid not in self.coached:
            self.coached.append(call_sid)

    def close(self, at: datetime) -> None:
        for name in list(self.since):
            self.set(name, False, at)


def time_on_hold_and_muted(
    points: Iterable[tuple[datetime, str, str, bool | None]], *, until: dict[str, datetime], default_end: datetime
) -> dict[str, _State]:
    """Replay (at, call_sid, field, value) points in time order: per call, how long it was
    on hold and muted, closing open stretches when it left (`until`) or at `default_end`."""
    states: dict[str, _State] = defaultdict(_State)
    for at, call_sid, name, value in sorted(points, key=lambda point: point[0]):
        end = until.get(call_sid)
        states[call_sid].set(name, value, min(at, end) if end else at)
    for call_sid, state in states.items():
        state.close(until.get(call_sid) or default_end)
    return states


def _time_note(approximate: bool, within: int) -> str:
    return f"≈ within {within} s" if approximate else ""


def conference_report(
    *, conference_sid: str, now: datetime | None = None, transcript_lines: bool = False
) -> ConferenceReport:
    """Everyone ever in the conference, their times and states, and the merged timeline.

    A phrase alert says who said which watched phrase; the line they said comes with it only when
    `transcript_lines` (the reader may read transcripts).

    Six queries whatever the size: the record, its sessions, its polled observations, its
    Twilio events, its audit records and the alerts that fired.
    """
    now = now or timezone.now()
    record = ConferenceRecord.objects.filter(sid=conference_sid).first()
    if record is None:
        raise HistoryNotFound(conference_sid)
    sessions = _sessions(conference_sid)
    observations = list(ParticipantObservation.objects.filter(conference__sid=conference_sid).order_by("at", "id"))
    events = [
        _Event(_instant(at), *row)
        for at, *row in ConferenceEvent.objects.filter(conference_sid=conference_sid)
        .exclude(event__in=HIDDEN_EVENTS)
        .order_by("occurred_at", "id")
        .values_list(
            _timestamp("occurred_at"),
            "event",
            "call_sid",
            "label",
            "source",
            KT("detail__Muted"),
            KT("detail__Hold"),
            KT("detail__Coaching"),
            Coalesce(KT("detail__ReasonParticipantLeft"), KT("detail__ReasonConferenceEnded")),
        )
    ]
    own = AuditRecord.objects.filter(conference_sid=conference_sid)
    if record.friendly_name:
        # Moves into this room are recorded by the rooms they came from.
        opened = min(filter(None, (record.started_at, record.created_at)))
        arrivals = moves_into(record.friendly_name, since=opened, until=record.ended_at)
        own = own | arrivals.exclude(conference_sid=conference_sid)
    actions = list(own.order_by("created_at", "id"))
    zone = timezone.get_current_timezone()
    alerts = [
        ReportAlert(
            text=text, fired_at=at, time_text=_hms(at, zone), iso=_iso(at), line=line if transcript_lines else ""
        )
        for text, line, at in ConferenceAlert.objects.filter(conference__sid=conference_sid)
        .order_by("fired_at", "id")
        .values_list("text", "line", "fired_at")
    ]

    names = {s.call_sid: s.label or s.number or s.call_sid for s in sessions}
    kicks = {
        a.participant_sid: a
        for a in actions
        if a.action == "kick" and a.outcome == AuditRecord.Outcome.OK and a.participant_sid
    }
    # Moves out of this room (its own move records; arrivals are the other rooms'): the last one wins.
    moves = {
        a.participant_sid: a
        for a in actions
        if a.action == "move"
        and a.conference_sid == conference_sid
        and a.outcome == AuditRecord.Outcome.OK
        and a.participant_sid
        and not a.resolves_id
    }
    end = record.ended_at or now
    left: dict[str, datetime] = {}
    for s in sessions:
        kick = kicks.get(s.call_sid) or moves.get(s.call_sid)
        if s.left_at:
            left[s.call_sid] = s.left_at
        elif kick is not None:
            left[s.call_sid] = kick.created_at

    points: list[tuple[datetime, str, str, bool | None]] = []
    for event in events:
        if event.source != ConferenceEvent.Source.TWILIO or not event.call_sid:
            continue
        if event.event == "participant-join":
            points += [(event.occurred_at, event.call_sid, "muted", _flag(event.muted))]
            points += [(event.occurred_at, event.call_sid, "hold", _flag(event.hold))]
        for name, value in _EVENT_STATE.get(event.event, []):
            points.append((event.occurred_at, event.call_sid, name, value))
    for action in actions:
        if action.outcome != AuditRecord.Outcome.OK or not action.participant_sid or action.resolves_id:
            continue
        for name, value in _ACTION_STATE.get(action.action, []):
            points.append((action.created_at, action.participant_sid, name, value))
    for seen in observations:
        points += [(seen.at, seen.call_sid, "muted", seen.muted), (seen.at, seen.call_sid, "hold", seen.hold)]
    states = time_on_hold_and_muted(points, until=left, default_end=end)

    coached: dict[str, list[str]] = defaultdict(list)

    def coaches(call_sid: str, target: str) -> None:
        if target and target not in coached[call_sid]:
            coached[call_sid].append(target)

    for s in sessions:
        coaches(s.call_sid, s.coached_call_sid)
    for seen in observations:
        if seen.coaching:
            coaches(seen.call_sid, seen.call_sid_to_coach)
    for action in actions:
        if action.outcome == AuditRecord.Outcome.OK and action.action in ("coach", "line:whisper"):
            coaches(action.participant_sid, str((action.parameters or {}).get("call_sid_to_coach", "")))

    participants = []
    for s in sessions:
        kick = kicks.get(s.call_sid)
        state = states.get(s.call_sid) or _State()
        moved = moves.get(s.call_sid)
        if kick is not None:
            reason = f"removed by {kick.actor_username}"
        elif moved is not None and (s.left_at is None or s.left_at >= moved.created_at):
            who = moved.participant_label or names[s.call_sid]
            reason = f"{action_text('move', who, moved.parameters).removeprefix(who).strip()} by {moved.actor_username}"
        elif s.left_at is None:
            reason = "still in the call" if record.ended_at is None else ""
        else:
            reason = LEFT_REASONS.get(s.left_reason, s.left_reason)
        participants.append(
            ParticipantReport(
                session=s,
                name=names[s.call_sid],
                joined_at=s.joined_at,
                left_at=left.get(s.call_sid),
                left_reason=reason,
                joined_note=_time_note(s.joined_approximate, s.approximate_within),
                left_note=_time_note(s.left_approximate and s.call_sid not in kicks, s.approximate_within),
                hold=state.total["hold"],
                muted=state.total["muted"],
                coached=", ".join(names.get(target, target) for target in coached.get(s.call_sid, [])),
            ).texts(zone)
        )
    return ConferenceReport(
        record=record,
        live=record.ended_at is None,
        participants=participants,
        timeline=_timeline(events, actions, sessions, names, alerts, conference_sid=conference_sid),
        supervisors=sorted({a.actor_username for a in actions}),
        recording=record.recording_state or NOT_RECORDED,
        alerts=alerts,
    )


def _event_item(event: _Event, names: dict[str, str]) -> ReportItem:
    who = event.label or names.get(event.call_sid) or event.call_sid or "someone"
    text = EVENT_TEXT.get(event.event, event.event).format(who=who)
    if event.event == "participant-modify" and event.coaching == "true":
        text = f"{who} is coaching"
    return ReportItem(at=event.occurred_at, text=text, source="twilio", detail=reason_text(event.reason or ""))


def _action_item(record: AuditRecord, names: dict[str, str], here: str = "") -> ReportItem:
    who = record.participant_label or names.get(record.participant_sid, record.participant_sid)
    return ReportItem(
        at=record.created_at,
        text=action_text(record.action, who, record.parameters, here=record.conference_sid == here or not here),
        source="dashboard",
        actor=record.actor_username,
        outcome=record.outcome,
        detail=audit_detail(record),
    )


def _polled_items(sessions: list[_Session], names: dict[str, str], reported: set[str]) -> list[ReportItem]:
    """Joins and departures known only from polling (no callback told of them)."""
    items = []
    for s in sessions:
        if s.call_sid in reported:
            continue
        if s.joined_at:
            note = _time_note(s.joined_approximate, s.approximate_within)
            items.append(ReportItem(at=s.joined_at, text=f"{names[s.call_sid]} joined", source="history", detail=note))
        if s.left_at:
            note = _time_note(s.left_approximate, s.approximate_within)
            reason = LEFT_REASONS.get(s.left_reason, s.left_reason)
            detail = "; ".join(part for part in (reason, note) if part)
            items.append(ReportItem(at=s.left_at, text=f"{names[s.call_sid]} left", source="history", detail=detail))
    return sorted(items, key=lambda item: item.at)


def _alert_item(alert: ReportAlert) -> ReportItem:
    return ReportItem(at=alert.fired_at, text=f"Alert: {alert.text}", source="alert", detail=alert.line_text)


def _timeline(events, actions, sessions, names, alerts=(), *, conference_sid: str = "") -> Timeline:
    """Oldest first: Twilio's events, supervisors' actions, what polling alone saw, and the
    alerts when they first fired."""
    reported = {e.call_sid for e in events if e.event in ("participant-join", "participant-leave") and e.call_sid}
    event_item = partial(_event_item, names=names)
    action_item = partial(_action_item, names=names, here=conference_sid)
    return Timeline(
        list(
            merge(
                ((e.occurred_at, event_item, e) for e in events),
                ((a.created_at, action_item, a) for a in actions),
                ((item.at, _itself, item) for item in _polled_items(sessions, names, reported)),
                ((alert.fired_at, _alert_item, alert) for alert in alerts),
                key=itemgetter(0),
            )
        )
    )


def _itself(item: ReportItem) -> ReportItem:
    return item


# --- live transcripts, searched by phrase (live/transcripts.py keeps them) --------------------

TRANSCRIPT_RESULTS = 200


def transcript_search(*, phrase: str, limit: int | None = TRANSCRIPT_RESULTS) -> list[TranscriptLine]:
    """Final transcript lines that say `phrase` (any case), newest first (`limit` None: all)."""
    phrase = " ".join(phrase.split())
    if not phrase:
        return []
    found = TranscriptLine.objects.filter(final=True, text__icontains=phrase).order_by("-spoken_at", "-id")
    return list(found if limit is None else found[:limit])
