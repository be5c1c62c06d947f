"""The simulator's state machine: conferences and participants in memory, no HTTP.

One `Simulator` holds every account's conferences behind one lock. Time comes from an injected
clock and dial-out progression is lazy: `tick()` applies every transition that is due at
`clock.now()`. The HTTP layer calls it at the start of each request; a background thread may
call it too. Write operations take the request's form params exactly as Twilio receives them
(PascalCase, one value or a list per key), so the engine enforces the same rules as the API.
"""

from __future__ import annotations

import copy
import heapq
import hmac
import itertools
import logging
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from conference_admin.twilio.signature import compute_signature

from . import errors, speech, transcriptions, twiml, validation
from .activity import Activity
from .callbacks import CallbackSender
from .calls import Call, CallLedger
from .clock import Clock, ManualClock, SystemClock
from .errors import SimulatorError, invalid
from .faults import FaultInjector
from .recordings import DEFAULT_CALLBACK_EVENTS as DEFAULT_RECORDING_EVENTS
from .recordings import Recording, RecordingLedger, snapshot
from .transcriptions import SpeechTimings, Transcription, TranscriptionLedger
from .validation import ConferenceFilters, DateFilter, Params, ParticipantFilters, Validated

logger = logging.getLogger(__name__)

__all__ = [
    "BUSY_NUMBER",
    "DEMO_ACCOUNT_SID",
    "DEMO_AUTH_TOKEN",
    "FAILED_NUMBER",
    "NO_ANSWER_NUMBER",
    "Announcement",
    "Conference",
    "Credentials",
    "DialTimings",
    "ManualClock",
    "Participant",
    "RequestRecord",
    "Simulator",
    "SimulatorError",
    "SimulatorEvent",
    "SystemClock",
]

DEMO_ACCOUNT_SID = "AC00000000000000000000000000000000"
# Not a secret: the token a bare `Simulator()` accepts, for tests and scripts.
DEMO_AUTH_TOKEN = "simulator-demo-auth-token"

# Destinations with scripted outcomes (documented in docs/SIMULATOR.md).
NO_ANSWER_NUMBER = "+15005550010"  # rings until Timeout, then leaves with no-answer
DIAL_IN_NUMBER = "+15005550006"  # the number callers added with join() dialled
ANNOUNCEMENT_FETCH_FAILED = "Unable to fetch the AnnounceUrl"
BUSY_NUMBER = "+15005550011"  # connecting, then busy
FAILED_NUMBER = "+15005550012"  # fails while connecting

DEFAULT_TIMEOUT = 60
# Twilio waits 15 seconds for a TwiML document (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides).
TWIML_FETCH_TIMEOUT = 15.0
MOVED = "participant_updated_via_api"  # ReasonParticipantLeft of a call redirected away (CONTRACT.md section 14)
DEFAULT_MAX_PARTICIPANTS = 250
DEFAULT_REGION = "us1"
LIVE_STATUSES = ("init", "in-progress")
CONFERENCE_SID = re.compile(r"^CF[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class DialTimings:
    """Seconds after creation at which an answered dial-out reaches each status."""

    connect_after: float = 0.5
    ring_after: float = 1.0
    answer_after: float = 3.0

    def __post_init__(self) -> None:
        if not 0 <= self.connect_after <= self.ring_after <= self.answer_after:
            raise ValueError("need 0 <= connect_after <= ring_after <= answer_after")


@dataclass(frozen=True)
class Credentials:
    """One account's accepted logins: its Auth Token and optionally one API key."""

    account_sid: str
    auth_token: str
    api_key_sid: str = ""
    api_key_secret: str = ""


@dataclass(frozen=True)
class Announcement:
    url: str
    method: str
    at: datetime


@dataclass
class Participant:
    """A live participant (a call in, or on its way into, a conference). Snapshots are copies."""

    account_sid: str
    conference_sid: str
    call_sid: str
    ordinal: int
    label: str | None
    from_: str
    to: str
    status: str
    date_created: datetime
    date_updated: datetime
    timeout: int
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    beep_on_exit: bool = True
    hold_url: str | None = None
    hold_method: str = "GET"
    wait_url: str | None = None
    wait_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("completed",)
    announcements: tuple[Announcement, ...] = ()
    # Every other validated create param (Record, Beep, EarlyMedia, ...), kept for inspection.
    options: Mapping[str, object] = field(default_factory=dict)
    # Only the create response carries it (spec: "Only available in the response to a create").
    queue_time: str | None = None
    # Set by start_speaking()/stop_speaking() (there is no audio); reported as speech events.
    speaking: bool = False
    # "inbound" for callers added with join(): they have no participant StatusCallback.
    direction: str = "outbound-api"


@dataclass
class Conference:
    account_sid: str
    sid: str
    ordinal: int
    friendly_name: str
    region: str
    status: str
    date_created: datetime
    date_updated: datetime
    max_participants: int = DEFAULT_MAX_PARTICIPANTS
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("start", "end")
    announcements: tuple[Announcement, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SimulatorEvent:
    """A state change, shaped after Twilio's status callbacks (CONTRACT.md section 11).

    `kind` is "conference" for conference status events (name as Twilio's
    StatusCallbackEvent, e.g. "participant-join"; sequence_number counts per conference)
    or "call" for the participant call's progress ("initiated", "ringing", "answered",
    "completed"; sequence_number counts per call, like a call's status callbacks).
    """

    kind: str
    name: str
    account_sid: str
    conference_sid: str
    friendly_name: str
    sequence_number: int
    timestamp: datetime
    conference: Conference
    participant: Participant | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    # kind="recording": the recording's snapshot; `name` is its status event (in-progress, completed, absent).
    recording: Recording | None = None
    # kind="transcription": its snapshot; `name` is its TranscriptionEvent, `details` its callback values.
    transcription: Transcription | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the simulator saw it, for counting upstream calls."""

    method: str
    path: str
    params: Mapping[str, list[str]]
    status: int  # 0 when the simulator sent no answer (a stall or reset fault)
    operation: str
    fault: str | None = None  # the injected fault kind, if any


Subscriber = Callable[[SimulatorEvent], None]


class Simulator:
    """In-memory Twilio Conference/Participant state, safe to share between threads."""

    def __init__(
        self,
        *,
        account_sid: str = DEMO_ACCOUNT_SID,
        auth_token: str = DEMO_AUTH_TOKEN,
        api_key_sid: str = "",
        api_key_secret: str = "",
        credentials: Credentials | Sequence[Credentials] | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
        timings: DialTimings | None = None,
        default_conference_callback_url: str | None = None,
        default_call_callback_url: str | None = None,
        callback_timeout: float = 5.0,
        speech: SpeechTimings | None = None,
    ) -> None:
        """Accepts one account's logins (the keyword arguments), or several via `credentials`.

        The first account is the default one for `load_demo` and `account_sid`. The default
        callback URLs receive every event of conferences and calls that set no URL of their own
        (`default_call_callback_url` may contain `{conference_sid}`).
        """
        self.clock: Clock = clock or SystemClock()
        self.timings = timings or DialTimings()
        self.speech = speech or SpeechTimings()
        self.twiml_fetch_timeout = TWIML_FETCH_TIMEOUT
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._dispatch_lock = threading.Lock()
        self._dispatching = threading.local()
        self._logins: dict[str, tuple[str, str]] = {}
        accepted = _as_sequence(credentials or Credentials(account_sid, auth_token, api_key_sid, api_key_secret))
        self.account_sid = accepted[0].account_sid
        for credential in accepted:
            self.add_credentials(credential)
        self._subscribers: list[Subscriber] = []
        self._reset_state()
        self.faults = FaultInjector(seed)
        self.activity = Activity(self, seed)
        self.callbacks = CallbackSender(
            self.auth_token_for,
            default_conference_url=default_conference_callback_url,
            default_call_url=default_call_callback_url,
            timeout=callback_timeout,
        )
        self.subscribe(self.callbacks)

    # --- setup ---------------------------------------------------------------------------

    @classmethod
    def from_settings(cls, **kwargs: Any) -> Simulator:
        """A simulator accepting exactly the Twilio credentials configured in settings."""
        from django.conf import settings

        simulator = cls(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            api_key_sid=settings.TWILIO_API_KEY_SID,
            api_key_secret=settings.TWILIO_API_KEY_SECRET,
            **kwargs,
        )
        base_url = getattr(settings, "SIMULATOR_CALLBACK_BASE_URL", "")
        if base_url and simulator.callbacks.default_conference_url is None:
            simulator.callbacks.use_dashboard(base_url)
        return simulator

    def add_credentials(self, credentials: Credentials) -> None:
        with self._lock:
            self._logins[credentials.account_sid] = (credentials.auth_token, credentials.account_sid)
            if credentials.api_key_sid and credentials.api_key_secret:
                self._logins[credentials.api_key_sid] = (credentials.api_key_secret, credentials.account_sid)

    def auth_token_for(self, account_sid: str) -> str:
        """The account's Auth Token, which signs its callbacks (as Twilio signs webhooks)."""
        with self._lock:
            login = self._logins.get(account_sid)
        return login[0] if login else ""

    @property
    def account_sids(self) -> list[str]:
        return sorted({account for _, account in self._logins.values()})

    def authenticate(self, username: str, password: str) -> str | None:
        """The account SID these Basic-auth credentials unlock, or None."""
        login = self._logins.get(username)
        if login is None:
            hmac.compare_digest(password.encode(), b"-")  # keep timing similar for unknown users
            return None
        secret, account_sid = login
        if not secret:
            return None  # an unset token must never mean "any empty password gets in"
        return account_sid if hmac.compare_digest(password.encode(), secret.encode()) else None

    def reset(self) -> None:
        """Forget every conference, participant, pending transition, logged request, undelivered
        callback and injected fault (callback URLs and credentials stay configured)."""
        with self._lock:
            self._reset_state()
        self.callbacks.reset()
        self.faults.clear()

    def _reset_state(self) -> None:
        self._conferences: dict[str, Conference] = {}
        self._participants: dict[str, dict[str, Participant]] = {}
        self._live_by_name: dict[tuple[str, str], str] = {}
        self._ordinals: dict[str, int] = {}
        self._ordinal_counter = itertools.count(1)
        self._timeline: list[tuple[datetime, int, str, str, str]] = []
        self._timeline_counter = itertools.count()
        self._conference_sequence: Counter[str] = Counter()
        self._call_sequence: Counter[str] = Counter()
        self._outbox: list[SimulatorEvent] = []
        self._requests: list[RequestRecord] = []
        self._calls = CallLedger()
        self._recordings = RecordingLedger()
        self._transcriptions = TranscriptionLedger()

    # --- events ----------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event)` on every state change; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _flush_events(self) -> None:
        """Deliver queued events outside the state lock, in the order they happened.

        A subscriber may call back into the simulator; events that call raises are delivered
        by the outer loop afterwards rather than nested, so every subscriber sees one order.
        """
        if getattr(self._dispatching, "active", False):
            return
        with self._dispatch_lock:
            self._dispatching.active = True
            try:
                while True:
                    with self._lock:
                        pending, self._outbox = self._outbox, []
                        subscribers = list(self._subscribers)
                    if not pending:
                        return
                    for event in pending:
                        for subscriber in subscribers:
                            try:
                                subscriber(event)
                            except Exception:  # a broken subscriber must not break the API
                                logger.exception("simulator event subscriber failed on %s", event.name)
            finally:
                self._dispatching.active = False

    def _conference_event(
        self,
        conference: Conference,
        name: str,
        at: datetime,
        participant: Participant | None = None,
        **details: str,
    ) -> None:
        self._conference_sequence[conference.sid] += 1
        self._emit(
            "conference",
            name,
            conference.account_sid,
            conference,
            self._conference_sequence[conference.sid],
            at,
            participant=copy.copy(participant) if participant else None,
            details=details,
        )
        if name == "conference-start":
            self._start_conference_recording(conference, at)  # ConferenceRecord starts with the conference

    def _call_event(self, participant: Participant, name: str, at: datetime, call_status: str) -> None:
        if participant.direction == "inbound":
            return  # a dial-in's progress belongs to its phone number's callbacks, not to this API
        conference = self._conferences[participant.conference_sid]
        self._call_sequence[participant.call_sid] += 1
        self._emit(
            "call",
            name,
            participant.account_sid,
            conference,
            self._call_sequence[participant.call_sid],
            at,
            participant=copy.copy(participant),
            details={"call_status": call_status},
        )

    def _emit(
        self,
        kind: str,
        name: str,
        account_sid: str,
        conference: Conference,
        sequence_number: int,
        at: datetime,
        *,
        participant: Participant | None = None,
        details: Mapping[str, str] | None = None,
        recording: Recording | None = None,
        transcription: Transcription | None = None,
    ) -> None:
        """Queue one event in `conference` for the subscribers (`_flush_events` sends it after the lock)."""
        self._outbox.append(
            SimulatorEvent(
                kind=kind,
                name=name,
                account_sid=account_sid,
                conference_sid=conference.sid,
                friendly_name=conference.friendly_name,
                sequence_number=sequence_number,
                timestamp=at,
                conference=copy.copy(conference),
                participant=participant,
                details=details or {},
                recording=recording,
                transcription=transcription,
            )
        )

    # --- request log -----------------------------------------------------------------------

    def record_request(
        self,
        method: str,
        path: str,
        params: Mapping[str, list[str]],
        status: int,
        operation: str,
        fault: str | None = None,
    ) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, path, params, status, operation, fault))

    @property
    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def request_counts(self) -> Counter[str]:
        """How many API requests each operation (e.g. "UpdateParticipant") received."""
        with self._lock:
            return Counter(record.operation for record in self._requests)

    def reset_request_log(self) -> None:
        with self._lock:
            self._requests.clear()

    # --- time ----------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply every dial-out transition due at `clock.now()`, oldest first."""
        now = self.clock.now()
        with self._lock:
            while self._timeline and self._timeline[0][0] <= now:
                due, _, conference_sid, call_sid, step = heapq.heappop(self._timeline)
                participant = self._participants.get(conference_sid, {}).get(call_sid)
                if participant is not None:
                    self._apply_step(participant, step, due)
            self._transcribe(now)
        self._flush_events()

    def ordinal_of(self, sid: str) -> int | None:
        """Creation order of any SID ever issued, so page tokens survive deletions."""
        return self._ordinals.get(sid)

    def _schedule(self, participant: Participant, offset: float, step: str) -> None:
        due = participant.date_created + timedelta(seconds=offset)
        entry = (due, next(self._timeline_counter), participant.conference_sid, participant.call_sid, step)
        heapq.heappush(self._timeline, entry)

    def _plan_dial(self, participant: Participant) -> None:
        """Queue the status changes this destination will go through."""
        timings = self.timings
        destination = "+" + participant.to.lstrip("+")
        if destination == FAILED_NUMBER:
            self._schedule(participant, timings.connect_after, "failed")
            return
        self._schedule(participant, timings.connect_after, "connecting")
        if destination == BUSY_NUMBER:
            self._schedule(participant, timings.ring_after, "busy")
            return
        self._schedule(participant, timings.ring_after, "ringing")
        gives_up_at = timings.ring_after + participant.timeout
        if destination == NO_ANSWER_NUMBER or timings.answer_after > gives_up_at:
            self._schedule(participant, gives_up_at, "no-answer")
        else:
            self._schedule(participant, timings.answer_after, "connected")

    # A step applies only from the status before it, so steps overtaken by `answer()` are dropped.
    STEP_FROM = {
        "connecting": ("queued",),
        "ringing": ("connecting",),
        "connected": ("ringing",),
        "busy": ("connecting",),
        "failed": ("queued",),
        "no-answer": ("ringing",),
    }

    def _apply_step(self, participant: Participant, step: str, at: datetime) -> None:
        if participant.status not in self.STEP_FROM[step]:
            return
        if step == "connecting":
            self._set_status(participant, "connecting", at)
            self._call_event(participant, "initiated", at, "initiated")
        elif step == "ringing":
            self._set_status(participant, "ringing", at)
            self._call_event(participant, "ringing", at, "ringing")
        elif step == "connected":
            self._connect(participant, at)
        else:  # busy, failed, no-answer: the call never made it in
            self._depart(participant, at, call_status=step, reason_left="participant_add_failed", kicked=False)

    def _set_status(self, participant: Participant, status: str, at: datetime) -> None:
        participant.status = status
        participant.date_updated = at
        self._calls.follow(participant, at)
        if status == "connected" and participant.options.get("Record") is True:
            self._start_participant_recording(participant, at)

    def _connect(self, participant: Participant, at: datetime) -> None:
        conference = self._conferences[participant.conference_sid]
        self._set_status(participant, "connected", at)
        self._call_event(participant, "answered", at, "in-progress")
        self._conference_event(conference, "participant-join", at, participant)
        if conference.status == "init" and self._may_start(conference):
            conference.status = "in-progress"
            conference.date_updated = at
            self._conference_event(conference, "conference-start", at)

    def _may_start(self, conference: Conference) -> bool:
        """Twilio's start rule: at least two participants in, one of them with startConferenceOnEnter.

        Until then the conference stays `init` and its connected participants hear the wait music
        ("Conferences will not start until at least two participants join",
        https://www.twilio.com/docs/voice/twiml/conference; https://www.twilio.com/docs/voice/conference).
        """
        present = [p for p in self._participants[conference.sid].values() if p.status == "connected"]
        return len(present) >= 2 and any(p.start_conference_on_enter for p in present)

    # --- lookups -------------------------------------------------------------------------

    def _conference(self, account_sid: str, conference_sid: str) -> Conference:
        conference = self._conferences.get(conference_sid)
        if conference is None or conference.account_sid != account_sid:
            raise errors.not_found(f"/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}.json")
        return conference

    def _live_conference(self, account_sid: str, conference_sid: str) -> Conference:
        conference = self._conference(account_sid, conference_sid)
        if conference.status not in LIVE_STATUSES:
            raise errors.not_found(f"/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Participants.json")
        return conference

    def _participant(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> Participant:
        conference = self._live_conference(account_sid, conference_sid)
        members = self._participants[conference.sid]
        found = members.get(call_sid_or_label) or next(
            (p for p in members.values() if p.label == call_sid_or_label), None
        )
        if found is None:
            raise errors.not_found(
                f"/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Participants/{call_sid_or_label}.json"
            )
        return found

    # --- participants --------------------------------------------------------------------

    def create_participant(self, account_sid: str, conference: str, params: Params) -> Participant:
        """Dial `To` into the conference `conference` (a CF SID, or a friendly name to join or open)."""
        request = validation.parse_create_participant(params)
        self.tick()
        with self._lock:
            now = self.clock.now()
            target = self._conference_for_create(account_sid, conference)
            members = self._participants[target.sid] if target else {}
            self._check_room(target, members, request)
            target = target or self._open_conference(account_sid, conference, request, now)
            participant = self._new_participant(target, request, now)
            self._participants[target.sid][participant.call_sid] = participant
            self._calls.open(participant, now)
            self._plan_dial(participant)
            created = copy.copy(participant)
            created.queue_time = str(int(self.timings.connect_after * 1000))
        self._flush_events()
        return created

    def _conference_for_create(self, account_sid: str, conference: str) -> Conference | None:
        if CONFERENCE_SID.fullmatch(conference):
            return self._live_conference(account_sid, conference)
        validation.check_friendly_name(conference)
        sid = self._live_by_name.get((account_sid, conference))
        return self._conferences[sid] if sid else None

    def _check_room(self, conference: Conference | None, members: dict[str, Participant], request: Validated) -> None:
        """State checks for a new participant: capacity, label uniqueness, coaching target."""
        if conference is not None and len(members) >= conference.max_participants:
            raise SimulatorError(
                errors.CONFERENCE_FULL,
                f"Conference is full: it allows {conference.max_participants} participants",
                400,
            )
        label = request.get("Label")
        if label is not None and any(p.label == label for p in members.values()):
            raise invalid(f"Label {label!r} is already used by another participant", errors.LABEL_IN_USE)
        coaching, target = _requested_coaching(request.get("Coaching"), request.get("CallSidToCoach"), None)
        if coaching:
            self._check_coaching_target(members, target, coach_sid=None)

    def _check_coaching_target(
        self, members: dict[str, Participant], target: str | None, coach_sid: str | None
    ) -> None:
        if target is None:
            raise invalid("CallSidToCoach is required when Coaching is true")
        if target == coach_sid:
            raise invalid("A participant cannot coach itself")
        coached = members.get(target)
        if coached is None or coached.status != "connected":
            raise invalid(
                f"Participant to be whispered ({target}) is not present in the conference",
                errors.COACHED_PARTICIPANT_ABSENT,
            )
        if coached.hold:
            raise invalid(f"Participant to be whispered ({target}) is on hold", errors.COACHED_PARTICIPANT_ON_HOLD)

    def _open_conference(self, account_sid: str, friendly_name: str, request: Validated, now: datetime) -> Conference:
        sid = self._new_sid("CF")
        conference = Conference(
            account_sid=account_sid,
            sid=sid,
            ordinal=self._ordinals[sid],
            friendly_name=friendly_name,
            region=str(request.get("Region", DEFAULT_REGION)),
            status="init",
            date_created=now,
            date_updated=now,
            max_participants=int(request.get("MaxParticipants", DEFAULT_MAX_PARTICIPANTS)),
            status_callback=request.get("ConferenceStatusCallback"),
            status_callback_method=str(request.get("ConferenceStatusCallbackMethod", "POST")),
            status_callback_events=request.get("ConferenceStatusCallbackEvent") or ("start", "end"),
            options={key: value for key, value in request.items() if key.startswith("Conference")},
        )
        self._conferences[sid] = conference
        self._participants[sid] = {}
        self._live_by_name[(account_sid, friendly_name)] = sid
        return conference

    def _new_participant(self, conference: Conference, request: Validated, now: datetime) -> Participant:
        call_sid = self._new_sid("CA")
        coaching, target = _requested_coaching(request.get("Coaching"), request.get("CallSidToCoach"), None)
        beep = str(request.get("Beep", "true"))
        return Participant(
            account_sid=conference.account_sid,
            conference_sid=conference.sid,
            call_sid=call_sid,
            ordinal=self._ordinals[call_sid],
            label=request.get("Label"),
            from_=str(request["From"]),
            to=str(request["To"]),
            status="queued",
            date_created=now,
            date_updated=now,
            timeout=int(request.get("Timeout", DEFAULT_TIMEOUT)),
            muted=bool(request.get("Muted", False)),
            coaching=coaching,
            call_sid_to_coach=target if coaching else None,
            start_conference_on_enter=bool(request.get("StartConferenceOnEnter", True)),
            end_conference_on_exit=bool(request.get("EndConferenceOnExit", False)),
            beep_on_exit=beep in ("true", "onExit"),
            wait_url=request.get("WaitUrl"),
            wait_method=str(request.get("WaitMethod", "POST")),
            status_callback=request.get("StatusCallback"),
            status_callback_method=str(request.get("StatusCallbackMethod", "POST")),
            status_callback_events=request.get("StatusCallbackEvent") or ("completed",),
            options=dict(request),
        )

    def _new_sid(self, prefix: str) -> str:
        while True:
            sid = f"{prefix}{self._random.getrandbits(128):032x}"
            if sid not in self._ordinals:
                self._ordinals[sid] = next(self._ordinal_counter)
                return sid

    def fetch_participant(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> Participant:
        self.tick()
        with self._lock:
            return copy.copy(self._participant(account_sid, conference_sid, call_sid_or_label))

    def list_participants(
        self, account_sid: str, conference_sid: str, filters: ParticipantFilters | None = None
    ) -> list[Participant]:
        """Live participants in join order. A completed conference lists none."""
        filters = filters or ParticipantFilters()
        self.tick()
        with self._lock:
            conference = self._conference(account_sid, conference_sid)
            return [copy.copy(p) for p in self._participants[conference.sid].values() if _matches(p, filters)]

    def update_participant(
        self, account_sid: str, conference_sid: str, call_sid_or_label: str, params: Params
    ) -> Participant:
        request = validation.parse_update_participant(params)
        self.tick()
        with self._lock:
            participant = self._participant(account_sid, conference_sid, call_sid_or_label)
            members = self._participants[participant.conference_sid]
            coaching, target = _requested_coaching(
                request.get("Coaching"), request.get("CallSidToCoach"), participant.call_sid_to_coach
            )
            if coaching and ("Coaching" in request or "CallSidToCoach" in request):
                self._check_coaching_target(members, target, coach_sid=participant.call_sid)
            self._apply_update(participant, request, coaching, target, self.clock.now())
            updated = copy.copy(participant)
        self._flush_events()
        return updated

    def _apply_update(
        self, participant: Participant, request: Validated, coaching: bool, target: str | None, now: datetime
    ) -> None:
        conference = self._conferences[participant.conference_sid]
        participant.date_updated = now
        if request.get("Muted") is True or request.get("Hold") is True:
            self._set_speaking(participant, False, now)  # nobody hears them any more
        if "Muted" in request and request["Muted"] != participant.muted:
            participant.muted = bool(request["Muted"])
            name = "participant-mute" if participant.muted else "participant-unmute"
            self._conference_event(conference, name, now, participant)
        participant.hold_url = request.get("HoldUrl", participant.hold_url)
        participant.hold_method = str(request.get("HoldMethod", participant.hold_method))
        if "Hold" in request and request["Hold"] != participant.hold:
            participant.hold = bool(request["Hold"])
            name = "participant-hold" if participant.hold else "participant-unhold"
            self._conference_event(conference, name, now, participant)
        if self._modify(participant, request, coaching, target):
            self._conference_event(conference, "participant-modify", now, participant)
        if "AnnounceUrl" in request:
            announcement = Announcement(str(request["AnnounceUrl"]), str(request.get("AnnounceMethod", "POST")), now)
            participant.announcements += (announcement,)
            self._announcement_event(conference, participant, announcement)

    def _modify(self, participant: Participant, request: Validated, coaching: bool, target: str | None) -> bool:
        """Apply the settings Twilio reports as participant-modify; True if any changed."""
        before = (
            participant.beep_on_exit,
            participant.end_conference_on_exit,
            participant.coaching,
            participant.call_sid_to_coach,
            participant.wait_url,
        )
        participant.beep_on_exit = bool(request.get("BeepOnExit", participant.beep_on_exit))
        participant.end_conference_on_exit = bool(
            request.get("EndConferenceOnExit", participant.end_conference_on_exit)
        )
        participant.coaching = coaching
        participant.call_sid_to_coach = target if coaching else None
        participant.wait_url = request.get("WaitUrl", participant.wait_url)
        participant.wait_method = str(request.get("WaitMethod", participant.wait_method))
        after = (
            participant.beep_on_exit,
            participant.end_conference_on_exit,
            participant.coaching,
            participant.call_sid_to_coach,
            participant.wait_url,
        )
        return before != after

    def delete_participant(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> None:
        """Kick the participant (Twilio's DELETE): its call ends and the resource is gone."""
        self._leave_now(account_sid, conference_sid, call_sid_or_label, "participant_updated_via_api", kicked=True)

    def answer(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> Participant:
        """Simulate the far end picking up now, whatever its number (for demos and tests)."""
        return self._progress(account_sid, conference_sid, call_sid_or_label, ("connecting", "ringing", "connected"))

    def ring(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> Participant:
        """Move a dial-out to `ringing` now; its scripted answer or timeout still follows."""
        return self._progress(account_sid, conference_sid, call_sid_or_label, ("connecting", "ringing"))

    def _progress(
        self, account_sid: str, conference_sid: str, call_sid_or_label: str, steps: tuple[str, ...]
    ) -> Participant:
        self.tick()
        with self._lock:
            participant = self._participant(account_sid, conference_sid, call_sid_or_label)
            now = self.clock.now()
            for step in steps:
                self._apply_step(participant, step, now)
            progressed = copy.copy(participant)
        self._flush_events()
        return progressed

    def hang_up(self, account_sid: str, conference_sid: str, call_sid_or_label: str) -> None:
        """Simulate the far end hanging up (not an API operation; for tests and demos)."""
        self._leave_now(account_sid, conference_sid, call_sid_or_label, "participant_hung_up", kicked=False)

    def _leave_now(
        self, account_sid: str, conference_sid: str, call_sid_or_label: str, reason_left: str, *, kicked: bool
    ) -> None:
        """The participant's call ends now (completed once connected, else canceled) and it leaves."""
        self.tick()
        with self._lock:
            participant = self._participant(account_sid, conference_sid, call_sid_or_label)
            call_status = "completed" if participant.status == "connected" else "canceled"
            self._depart(participant, self.clock.now(), call_status, reason_left, kicked=kicked)
        self._flush_events()

    # --- simulated people (no audio, no phones: tests and the live demo drive these) -------------

    def start_speaking(
        self, conference_sid: str, call_sid_or_label: str, *, account_sid: str | None = None
    ) -> Participant:
        """The participant starts talking: `participant-speech-start` (nothing if already talking)."""
        return self._speak(conference_sid, call_sid_or_label, True, account_sid)

    def stop_speaking(
        self, conference_sid: str, call_sid_or_label: str, *, account_sid: str | None = None
    ) -> Participant:
        """The participant goes quiet: `participant-speech-stop` (nothing if already quiet)."""
        return self._speak(conference_sid, call_sid_or_label, False, account_sid)

    def _speak(
        self, conference_sid: str, call_sid_or_label: str, speaking: bool, account_sid: str | None
    ) -> Participant:
        self.tick()
        with self._lock:
            account = account_sid or self._account_of(conference_sid)
            participant = self._participant(account, conference_sid, call_sid_or_label)
            if speaking and (participant.status != "connected" or participant.hold):
                raise invalid(f"Participant {participant.call_sid} is not connected and off hold, so cannot speak")
            self._set_speaking(participant, speaking, self.clock.now())
            result = copy.copy(participant)
        self._flush_events()
        return result

    def _set_speaking(self, participant: Participant, speaking: bool, at: datetime) -> None:
        if participant.speaking == speaking:
            return
        participant.speaking = speaking
        name = "participant-speech-start" if speaking else "participant-speech-stop"
        self._conference_event(self._conferences[participant.conference_sid], name, at, participant)

    def join(
        self,
        conference_sid: str,
        *,
        label: str | None = None,
        from_: str = "+14155550199",
        account_sid: str | None = None,
        muted: bool = False,
        start_conference_on_enter: bool = True,
        caller_name: str | None = None,
    ) -> Participant:
        """Someone dials in: a new participant, connected at once (`participant-join`).

        `caller_name` is what caller-ID lookup found for `from_` (the Call's `caller_name`).
        """
        self.tick()
        with self._lock:
            account = account_sid or self._account_of(conference_sid)
            conference = self._live_conference(account, conference_sid)
            if label is not None:
                validation.check_label(label)
            self._check_room(conference, self._participants[conference.sid], {"Label": label} if label else {})
            now = self.clock.now()
            call_sid = self._new_sid("CA")
            participant = Participant(
                account_sid=account,
                conference_sid=conference.sid,
                call_sid=call_sid,
                ordinal=self._ordinals[call_sid],
                label=label,
                from_=from_,
                to=DIAL_IN_NUMBER,
                status="ringing",
                date_created=now,
                date_updated=now,
                timeout=DEFAULT_TIMEOUT,
                muted=muted,
                start_conference_on_enter=start_conference_on_enter,
                status_callback_events=(),
                direction="inbound",
            )
            self._participants[conference.sid][call_sid] = participant
            self._calls.open(participant, now, caller_name=caller_name)
            self._connect(participant, now)
            joined = copy.copy(participant)
        self._flush_events()
        return joined

    def simulate_activity(self) -> list[str]:
        """One seeded step of life in live conferences (speech, a hang-up, a new caller).

        Returns what happened, e.g. `["speech-start CF.. CA..", "join CF.. CA.."]`.
        """
        return self.activity.step()

    def _account_of(self, conference_sid: str) -> str:
        conference = self._conferences.get(conference_sid)
        if conference is None:
            raise errors.not_found(f"Conference {conference_sid}")
        return conference.account_sid

    def _depart(self, participant: Participant, at: datetime, call_status: str, reason_left: str, kicked: bool) -> None:
        """Remove a participant, then end the conference if its leaving should."""
        conference = self._conferences[participant.conference_sid]
        was_connected = participant.status == "connected"
        self._detach(participant, at, call_status, reason_left)
        suffix = "kicked" if kicked else "left"
        if participant.end_conference_on_exit and was_connected:
            self._end_conference(
                conference,
                at,
                f"participant-with-end-conference-on-exit-{suffix}",
                participant,
                leave_reason="moderator_ended_conference",
            )
        elif not self._participants[conference.sid]:
            self._end_conference(conference, at, f"last-participant-{suffix}", participant, leave_reason="")
        elif was_connected:
            self._release_coaches(conference, participant.call_sid, at)

    def _detach(self, participant: Participant, at: datetime, call_status: str, reason_left: str) -> None:
        conference = self._conferences[participant.conference_sid]
        del self._participants[conference.sid][participant.call_sid]
        participant.date_updated = at
        participant.speaking = False
        self._calls.close(participant, at, call_status)
        self._conference_event(
            conference,
            "participant-leave",
            at,
            participant,
            participant_call_status=call_status,
            reason_participant_left=reason_left,
        )
        self._call_event(participant, "completed", at, call_status)
        self._finish_recordings(self._recordings.active_of(participant.call_sid), at)  # the call ended
        self._stop_transcriptions(self._transcriptions.active_of(participant.call_sid), at)  # it left

    # --- conferences ---------------------------------------------------------------------

    def fetch_conference(self, account_sid: str, conference_sid: str) -> Conference:
        self.tick()
        with self._lock:
            return copy.copy(self._conference(account_sid, conference_sid))

    def list_conferences(self, account_sid: str, filters: ConferenceFilters | None = None) -> list[Conference]:
        """The account's conferences, newest first (as Twilio lists them)."""
        filters = filters or ConferenceFilters()
        self.tick()
        with self._lock:
            found = [
                copy.copy(c)
                for c in self._conferences.values()
                if c.account_sid == account_sid and _conference_matches(c, filters)
            ]
        found.sort(key=lambda c: c.ordinal, reverse=True)
        return found

    def update_conference(self, account_sid: str, conference_sid: str, params: Params) -> Conference:
        """Announce to everyone and/or end the conference (`Status=completed`)."""
        request = validation.parse_update_conference(params)
        self.tick()
        with self._lock:
            conference = self._conference(account_sid, conference_sid)
            now = self.clock.now()
            if "AnnounceUrl" in request:
                self._announce(conference, str(request["AnnounceUrl"]), str(request.get("AnnounceMethod", "POST")), now)
            if request.get("Status") == "completed" and conference.status in LIVE_STATUSES:
                self._end_conference(
                    conference, now, "conference-ended-via-api", None, leave_reason="conference_ended_via_api"
                )
            updated = copy.copy(conference)
        self._flush_events()
        return updated

    def _announce(self, conference: Conference, url: str, method: str, now: datetime) -> None:
        if conference.status not in LIVE_STATUSES:
            raise SimulatorError(
                errors.CALL_STATE_INVALID, "Cannot announce to a conference that is not in progress", 400
            )
        announcement = Announcement(url, method, now)
        conference.announcements += (announcement,)
        conference.date_updated = now
        self._announcement_event(conference, None, announcement)

    def _announcement_event(
        self, conference: Conference, participant: Participant | None, announcement: Announcement
    ) -> None:
        # There is no audio to play; an AnnounceUrl on a reserved `.invalid` host (RFC 2606) is
        # one Twilio could never fetch, so that is how a test asks for announcement-fail.
        host = (urlsplit(announcement.url).hostname or "").lower()
        details = {"announce_url": announcement.url, "announce_method": announcement.method}
        if host == "invalid" or host.endswith(".invalid"):
            details["reason_announcement_failed"] = ANNOUNCEMENT_FETCH_FAILED
            self._conference_event(conference, "announcement-fail", announcement.at, participant, **details)
        else:
            self._conference_event(conference, "announcement-end", announcement.at, participant, **details)

    def _end_conference(
        self, conference: Conference, at: datetime, reason: str, ending: Participant | None, leave_reason: str
    ) -> None:
        for participant in list(self._participants[conference.sid].values()):
            call_status = "completed" if participant.status == "connected" else "canceled"
            self._detach(participant, at, call_status, leave_reason)
        conference.status = "completed"
        conference.date_updated = at
        conference.reason_conference_ended = reason
        conference.call_sid_ending_conference = ending.call_sid if ending else None
        self._live_by_name.pop((conference.account_sid, conference.friendly_name), None)
        self._conference_event(
            conference,
            "conference-end",
            at,
            reason_conference_ended=reason,
            call_sid_ending_conference=ending.call_sid if ending else "",
            participant_label_ending_conference=(ending.label or "") if ending else "",
        )
        self._finish_recordings(self._recordings.active_of(conference.sid), at)  # it ended with the conference

    # --- calls and recordings (CONTRACT.md section 12; recordings.py holds the state machine) ----

    def fetch_call(self, account_sid: str, call_sid: str) -> Call:
        """The participant's call (live or ended): who called whom, its direction and progress."""
        self.tick()
        with self._lock:
            return self._calls.get(account_sid, call_sid)

    def update_call(self, account_sid: str, call_sid: str, params: Params) -> Call:
        """UpdateCall (CONTRACT.md section 14): end the call, or redirect it to new TwiML.

        `Status=completed` hangs up an answered call (a call not yet answered is canceled);
        `Status=canceled` cancels only a call not yet answered. `Twiml` (or the document `Url`
        returns) takes the call out of its conference (participant-leave, participant_updated_via_api;
        the room ends if the call had EndConferenceOnExit or was the last one there). With
        `<Dial><Conference>` it joins that room (opened by name on first join) as a new participant:
        muted, hold and coaching stay behind. Any other TwiML runs out and the call hangs up.
        A call that is not in progress cannot be redirected (21220).
        """
        request = validation.parse_update_call(params)
        self.tick()
        status = request.get("Status")
        with self._lock:
            call = self._calls.get(account_sid, call_sid)
            if status is not None and "Twiml" not in request and "Url" not in request:
                self._end_call(call, status)
                ended = self._calls.get(account_sid, call_sid)
            else:
                self._redirectable(call)
        if status is not None and "Twiml" not in request and "Url" not in request:
            self._flush_events()
            return ended
        if "Twiml" in request:
            instructions: twiml.Instructions | None = twiml.parse(str(request["Twiml"]))
        else:
            instructions = self._fetched_instructions(call, request)
        with self._lock:
            call = self._calls.get(account_sid, call_sid)
            participant = self._redirectable(call)
            now = self.clock.now()
            if instructions is not None and instructions.conference is not None:
                self._move(participant, instructions.conference, now)
            else:  # the TwiML ran out (or could not be fetched): Twilio hangs up
                self._depart(participant, now, "completed", MOVED, kicked=False)
            updated = self._calls.get(account_sid, call_sid)
        self._flush_events()
        return updated

    def _redirectable(self, call: Call) -> Participant:
        participant = self._participants.get(call.conference_sid, {}).get(call.sid)
        if not call.in_progress or participant is None or participant.status != "connected":
            raise SimulatorError(errors.CALL_STATE_INVALID, "Call is not in-progress. Cannot redirect.", 400)
        return participant

    def _end_call(self, call: Call, status: str) -> None:
        """Status=completed hangs up (cancels a call not yet answered); Status=canceled only cancels."""
        participant = self._participants.get(call.conference_sid, {}).get(call.sid)
        if participant is None or call.end_time is not None:
            return  # an ended call stays as it ended
        answered = participant.status == "connected"
        if status == "canceled" and answered:
            return  # "canceled" cannot end a call that was answered ([CALL] Status)
        call_status = "completed" if answered else "canceled"
        self._depart(participant, self.clock.now(), call_status, MOVED, kicked=False)

    def _fetched_instructions(self, call: Call, request: Validated) -> twiml.Instructions | None:
        """GET/POST `Url` (then `FallbackUrl`) as Twilio fetches TwiML: signed, with the call's
        parameters, within `twiml_fetch_timeout`. None when no document could be used."""
        params = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "CallStatus": call.status,
            "Direction": call.direction,
            "ApiVersion": "2010-04-01",
        }
        token = self.auth_token_for(call.account_sid)
        attempts = [(request["Url"], request.get("Method", "POST"))]
        if "FallbackUrl" in request:
            attempts.append((request["FallbackUrl"], request.get("FallbackMethod", "POST")))
        for url, method in attempts:
            try:
                if method == "GET":
                    full = url + ("&" if "?" in url else "?") + urlencode(params)
                    headers = {"X-Twilio-Signature": compute_signature(token, full, {})}
                    response = requests.get(full, headers=headers, timeout=self.twiml_fetch_timeout)
                else:
                    headers = {"X-Twilio-Signature": compute_signature(token, url, params)}
                    response = requests.post(url, data=params, headers=headers, timeout=self.twiml_fetch_timeout)
                if response.status_code != 200:
                    logger.warning("TwiML fetch from %s answered HTTP %s", url, response.status_code)
                    continue
                return twiml.parse(response.text)
            except requests.RequestException as exc:
                logger.warning("TwiML fetch from %s failed: %s", url, exc.__class__.__name__)
            except SimulatorError as exc:
                logger.warning("TwiML from %s refused: %s", url, exc.message)
        return None

    def _move(self, participant: Participant, noun: twiml.ConferenceNoun, now: datetime) -> None:
        """Take the call out of its conference and into the `noun`'s room (checked first, so a refused
        move changes nothing)."""
        account = participant.account_sid
        target_sid = self._live_by_name.get((account, noun.name))
        target = self._conferences[target_sid] if target_sid else None
        validation.check_friendly_name(noun.name)
        if target is not None and target.sid != participant.conference_sid:
            members = self._participants[target.sid]
            self._check_room(target, members, {"Label": noun.participant_label} if noun.participant_label else {})
            if noun.coach is not None:
                self._check_coaching_target(members, noun.coach, coach_sid=participant.call_sid)
        elif noun.coach is not None and target is None:
            self._check_coaching_target({}, noun.coach, coach_sid=participant.call_sid)
        self._leave_for_move(participant, now)
        target_sid = self._live_by_name.get((account, noun.name))  # the source may have just ended
        if target_sid:
            target = self._conferences[target_sid]
        else:
            target = self._open_conference(account, noun.name, _room_request(noun), now)
        moved = Participant(
            account_sid=account,
            conference_sid=target.sid,
            call_sid=participant.call_sid,
            ordinal=participant.ordinal,
            label=noun.participant_label,
            from_=participant.from_,
            to=participant.to,
            status="connected",
            date_created=now,
            date_updated=now,
            timeout=participant.timeout,
            muted=noun.muted,
            coaching=noun.coach is not None,
            call_sid_to_coach=noun.coach,
            start_conference_on_enter=noun.start_conference_on_enter,
            end_conference_on_exit=noun.end_conference_on_exit,
            beep_on_exit=noun.beep in ("true", "onExit"),
            wait_url=noun.wait_url,
            wait_method=noun.wait_method,
            # The call's own status callback belongs to the call, not to the room it was in.
            status_callback=participant.status_callback,
            status_callback_method=participant.status_callback_method,
            status_callback_events=participant.status_callback_events,
            options={"Beep": noun.beep, "JitterBufferSize": noun.jitter_buffer_size},
            direction=participant.direction,
        )
        self._participants[target.sid][moved.call_sid] = moved
        self._calls.move(moved.call_sid, target.sid, now)
        self._conference_event(target, "participant-join", now, moved)
        if target.status == "init" and self._may_start(target):
            target.status = "in-progress"
            target.date_updated = now
            self._conference_event(target, "conference-start", now)

    def _leave_for_move(self, participant: Participant, now: datetime) -> None:
        """participant-leave (the call stays up: ParticipantCallStatus in-progress); its coaches stop
        coaching; the room ends as Twilio ends it when a participant leaves."""
        conference = self._conferences[participant.conference_sid]
        del self._participants[conference.sid][participant.call_sid]
        participant.date_updated = now
        participant.speaking = False
        self._conference_event(
            conference,
            "participant-leave",
            now,
            participant,
            participant_call_status="in-progress",
            reason_participant_left=MOVED,
        )
        remaining = self._participants[conference.sid]
        if participant.end_conference_on_exit:
            self._end_conference(
                conference,
                now,
                "participant-with-end-conference-on-exit-left",
                participant,
                leave_reason="moderator_ended_conference",
            )
        elif not remaining:
            self._end_conference(conference, now, "last-participant-left", participant, leave_reason="")
        else:
            self._release_coaches(conference, participant.call_sid, now)

    def _release_coaches(self, conference: Conference, coached_sid: str, now: datetime) -> None:
        """A coach whose coached participant left is no longer coaching anyone (CONTRACT.md section 14)."""
        for coach in self._participants[conference.sid].values():
            if coach.coaching and coach.call_sid_to_coach == coached_sid:
                coach.coaching = False
                coach.call_sid_to_coach = None
                coach.date_updated = now
                self._conference_event(conference, "participant-modify", now, coach)

    def create_call_recording(self, account_sid: str, call_sid: str, params: Params) -> Recording:
        """Start recording one participant's call; 21220 unless the call is in progress ([ERR]/21220)."""
        request = validation.parse_create_call_recording(params)
        self.tick()
        with self._lock:
            call = self._calls.get(account_sid, call_sid)
            if not call.in_progress:
                raise SimulatorError(
                    errors.CALL_STATE_INVALID,
                    f"Call {call_sid} is {call.status}: only a call in progress can be recorded",
                )
            now = self.clock.now()
            recording = self._open_recording(
                account_sid, call_sid, None, "StartCallRecordingAPI", request, "Recording", now
            )
            created = snapshot(recording, now)
        self._flush_events()
        return created

    def list_call_recordings(
        self, account_sid: str, call_sid: str, dates: Sequence[DateFilter] = ()
    ) -> list[Recording]:
        """The call's recordings, newest first."""
        self.tick()
        with self._lock:
            self._calls.get(account_sid, call_sid)
            return self._listed(self._recordings.of(call_sid), dates)

    def fetch_call_recording(self, account_sid: str, call_sid: str, recording_sid: str) -> Recording:
        return self._fetch_recording(account_sid, "Calls", call_sid, recording_sid)

    def update_call_recording(self, account_sid: str, call_sid: str, recording_sid: str, params: Params) -> Recording:
        """Pause, resume or stop a call recording (`recording_sid` may be Twilio.CURRENT)."""
        return self._update_owned_recording(account_sid, "Calls", call_sid, recording_sid, params)

    def list_conference_recordings(
        self, account_sid: str, conference_sid: str, dates: Sequence[DateFilter] = ()
    ) -> list[Recording]:
        """The conference's recordings (live or ended conference), newest first."""
        self.tick()
        with self._lock:
            self._conference(account_sid, conference_sid)
            return self._listed(self._recordings.of(conference_sid), dates)

    def fetch_conference_recording(self, account_sid: str, conference_sid: str, recording_sid: str) -> Recording:
        return self._fetch_recording(account_sid, "Conferences", conference_sid, recording_sid)

    def update_conference_recording(
        self, account_sid: str, conference_sid: str, recording_sid: str, params: Params
    ) -> Recording:
        """Pause, resume or stop the conference's recording (`recording_sid` may be Twilio.CURRENT)."""
        return self._update_owned_recording(account_sid, "Conferences", conference_sid, recording_sid, params)

    # A call's recordings and a conference's are one resource under two owners ("Calls" or
    # "Conferences", as in the path): fetched and updated the same way.

    def _owned_recording(
        self, account_sid: str, owner: str, owner_sid: str, recording_sid: str, *, current: bool
    ) -> Recording:
        """(Under the lock.) 20404 for an unknown call or conference, then as `RecordingLedger.find`."""
        if owner == "Calls":
            self._calls.get(account_sid, owner_sid)
        else:
            self._conference(account_sid, owner_sid)
        path = f"/2010-04-01/Accounts/{account_sid}/{owner}/{owner_sid}/Recordings/{recording_sid}.json"
        return self._recordings.find(owner_sid, recording_sid, missing=path, current=current)

    def _fetch_recording(self, account_sid: str, owner: str, owner_sid: str, recording_sid: str) -> Recording:
        self.tick()
        with self._lock:
            found = self._owned_recording(account_sid, owner, owner_sid, recording_sid, current=False)
            return snapshot(found, self.clock.now())

    def _update_owned_recording(
        self, account_sid: str, owner: str, owner_sid: str, recording_sid: str, params: Params
    ) -> Recording:
        request = validation.parse_update_recording(params)
        self.tick()
        with self._lock:
            recording = self._owned_recording(account_sid, owner, owner_sid, recording_sid, current=True)
            updated = self._update_recording(recording, request)
        self._flush_events()
        return updated

    def _update_recording(self, recording: Recording, request: Validated) -> Recording:
        """Apply Status (paused | in-progress | stopped); the answer shows the recording as changed."""
        now = self.clock.now()
        status = request["Status"]
        if status == "paused":
            changed, event = recording.pause(now, str(request.get("PauseBehavior", "silence"))), "paused"
        elif status == "in-progress":
            changed, event = recording.resume(now), "resumed"
        else:
            recording.stop(now)
            changed, event = True, "stopped"
        if changed:
            self._recording_event(recording, event, now)
        answered = snapshot(recording, now)
        if status == "stopped":
            self._finish_recordings([recording], now)
        return answered

    def _start_participant_recording(self, participant: Participant, at: datetime) -> None:
        """`Record=true` on a participant create records its call from the answer, once."""
        if self._recordings.of(participant.call_sid):
            return
        self._open_recording(
            participant.account_sid, participant.call_sid, None, "OutboundAPI", participant.options, "Recording", at
        )

    def _open_recording(
        self,
        account_sid: str,
        call_sid: str | None,
        conference_sid: str | None,
        source: str,
        settings: Mapping[str, Any],
        prefix: str,
        at: datetime,
    ) -> Recording:
        """A recording in progress from `at`, set up from validated params: `{prefix}StatusCallback`,
        `...Method`, `...Event`, and for a call `RecordingChannels` / `RecordingTrack`."""
        recording = Recording(
            account_sid=account_sid,
            sid=self._new_sid("RE"),
            call_sid=call_sid,
            conference_sid=conference_sid,
            source=source,
            channels=2 if conference_sid is None and settings.get("RecordingChannels") == "dual" else 1,  # mono
            track=None if conference_sid else str(settings.get("RecordingTrack", "both")),
            status="in-progress",
            date_created=at,
            date_updated=at,
            start_time=at,
            segment_start=at,
            callback_url=settings.get(f"{prefix}StatusCallback"),
            callback_method=str(settings.get(f"{prefix}StatusCallbackMethod", "POST")),
            callback_events=settings.get(f"{prefix}StatusCallbackEvent") or DEFAULT_RECORDING_EVENTS,
        )
        self._recordings.add(recording)
        self._recording_event(recording, "in-progress", at)
        return recording

    def _start_conference_recording(self, conference: Conference, at: datetime) -> None:
        """`ConferenceRecord=record-from-start` (or `true`) records the conference from its start, once."""
        if conference.options.get("ConferenceRecord") not in ("true", "record-from-start"):
            return
        if self._recordings.of(conference.sid):
            return
        self._open_recording(
            conference.account_sid, None, conference.sid, "Conference", conference.options, "ConferenceRecording", at
        )

    def _finish_recordings(self, recordings: Sequence[Recording], at: datetime) -> None:
        """Stopped, or their call or conference ended: processed into completed or absent."""
        for recording in recordings:
            recording.finish(at)
            self._recording_event(recording, recording.status, at)

    def _recording_event(self, recording: Recording, name: str, at: datetime) -> None:
        if recording.conference_sid is not None:
            conference = self._conferences[recording.conference_sid]
        else:
            conference = self._conferences[
                self._calls.get(recording.account_sid, str(recording.call_sid)).conference_sid
            ]
        self._emit("recording", name, recording.account_sid, conference, 0, at, recording=snapshot(recording, at))

    def _listed(self, recordings: Sequence[Recording], dates: Sequence[DateFilter]) -> list[Recording]:
        now = self.clock.now()
        found = [snapshot(r, now) for r in recordings if _on_days(r.date_created, dates)]
        return found[::-1]  # newest first, as Twilio lists recordings

    # --- real-time transcriptions (CONTRACT.md section 13; transcriptions.py holds the rest) ----

    def create_transcription(self, account_sid: str, call_sid: str, params: Params) -> Transcription:
        """Start transcribing a call in progress; it stays in its conference. 21220 otherwise."""
        request = transcriptions.parse_create(params)
        self.tick()
        with self._lock:
            call = self._calls.get(account_sid, call_sid)
            participant = self._participants.get(call.conference_sid, {}).get(call_sid)
            if not call.in_progress or participant is None:
                raise SimulatorError(
                    errors.CALL_STATE_INVALID,
                    f"Call {call_sid} is {call.status}: only a call in progress can be transcribed",
                )
            self._transcriptions.check_name_free(call_sid, request.get("Name"))
            now = self.clock.now()
            transcription = Transcription(
                account_sid=account_sid,
                sid=self._new_sid("GT"),
                call_sid=call_sid,
                conference_sid=call.conference_sid,
                name=request.get("Name"),
                status="in-progress",
                date_updated=now,
                track=request.get("Track", transcriptions.DEFAULT_TRACK),
                role=speech.role_of(participant.label),
                line_offset=self._random.randrange(100),
                utterance_start=now + timedelta(seconds=self.speech.first_after + self._random.uniform(0, 2)),
                callback_url=request.get("StatusCallbackUrl"),
                callback_method=request.get("StatusCallbackMethod", "POST"),
                inbound_label=request.get("InboundTrackLabel"),
                outbound_label=request.get("OutboundTrackLabel"),
                partial_results=request.get("PartialResults", False),
                language_code=request.get("LanguageCode", transcriptions.DEFAULT_LANGUAGE),
                options={key: value for key, value in request.items() if key not in transcriptions.OWN_FIELDS},
            )
            self._transcriptions.add(transcription)
            self._transcription_event(transcription, "transcription-started", now)
            if not transcription.speaks:
                message = f"The speech-to-text engine cannot transcribe {transcription.language_code}"
                details = {"error_code": str(transcriptions.ENGINE_ERROR), "error": message}
                self._transcription_event(transcription, "transcription-error", now, details)
                self._stop_transcriptions([transcription], now)
            created = transcriptions.snapshot(transcription)
            created.status = "in-progress"  # the create answers before the engine reports back
        self._flush_events()
        return created

    def update_transcription(self, account_sid: str, call_sid: str, sid_or_name: str, params: Params) -> Transcription:
        """Stop a transcription by GT SID or by Name (`Status=stopped`); stopping a stopped one changes nothing."""
        transcriptions.parse_update(params)
        self.tick()
        with self._lock:
            self._calls.get(account_sid, call_sid)
            path = f"/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Transcriptions/{sid_or_name}.json"
            transcription = self._transcriptions.find(call_sid, sid_or_name, missing=path)
            self._stop_transcriptions([transcription] if transcription.active else [], self.clock.now())
            stopped = transcriptions.snapshot(transcription)
        self._flush_events()
        return stopped

    def fail_transcription(self, account_sid: str, call_sid: str, sid_or_name: str, code: int, message: str) -> None:
        """The engine fails mid-call (tests): transcription-error, then transcription-stopped."""
        self.tick()
        with self._lock:
            path = f"Transcription {sid_or_name} of {call_sid}"
            transcription = self._transcriptions.find(call_sid, sid_or_name, missing=path)
            if transcription.active:
                now = self.clock.now()
                details = {"error_code": str(code), "error": message}
                self._transcription_event(transcription, "transcription-error", now, details)
                self._stop_transcriptions([transcription], now)
        self._flush_events()

    def _transcribe(self, now: datetime) -> None:
        """Report everything the transcribed calls said up to `now` (under the lock)."""
        for transcription in self._transcriptions.active():
            for spoken in transcription.due(now, self.speech):
                details = transcriptions.content_details(spoken)
                self._transcription_event(transcription, "transcription-content", spoken.at, details)

    def _stop_transcriptions(self, stopping: Sequence[Transcription], at: datetime) -> None:
        for transcription in stopping:
            transcription.status, transcription.date_updated = "stopped", at
            self._transcription_event(transcription, "transcription-stopped", at)

    def _transcription_event(
        self, transcription: Transcription, name: str, at: datetime, details: dict[str, str] | None = None
    ) -> None:
        transcription.sequence += 1
        conference = self._conferences[transcription.conference_sid]
        self._emit(
            "transcription",
            name,
            transcription.account_sid,
            conference,
            transcription.sequence,
            at,
            details={**(details or {}), "sequence_id": str(transcription.sequence)},
            transcription=transcriptions.snapshot(transcription),
        )


# --- small pure helpers ----------------------------------------------------------------


def _as_sequence(credentials: Credentials | Sequence[Credentials]) -> list[Credentials]:
    accepted = [credentials] if isinstance(credentials, Credentials) else list(credentials)
    if not accepted:
        raise ValueError("a simulator needs at least one account's credentials")
    return accepted


def _room_request(noun: twiml.ConferenceNoun) -> Validated:
    """The `<Conference>` noun's room settings, as the create-participant params that open a room."""
    request: Validated = {
        "MaxParticipants": noun.max_participants,
        "ConferenceRecord": noun.record,
        "ConferenceTrim": noun.trim,
        "ConferenceStatusCallbackMethod": noun.status_callback_method,
        "ConferenceStatusCallbackEvent": noun.status_callback_events,
    }
    if noun.region:
        request["Region"] = noun.region
    if noun.status_callback:
        request["ConferenceStatusCallback"] = noun.status_callback
    return request


def _requested_coaching(
    coaching: bool | None, target: str | None, current_target: str | None
) -> tuple[bool, str | None]:
    """Coaching defaults to true when a CallSidToCoach is given; false clears the target."""
    if coaching is False:
        return False, None
    if coaching is True:
        return True, (target or current_target)
    if target:
        return True, target
    return bool(current_target), current_target


def _matches(participant: Participant, filters: ParticipantFilters) -> bool:
    return (
        (filters.muted is None or participant.muted == filters.muted)
        and (filters.hold is None or participant.hold == filters.hold)
        and (filters.coaching is None or participant.coaching == filters.coaching)
    )


def _on_days(moment: datetime, dates: Sequence[DateFilter]) -> bool:
    day = moment.date()
    return all(
        (f.op == "=" and day == f.day) or (f.op == "<=" and day <= f.day) or (f.op == ">=" and day >= f.day)
        for f in dates
    )


def _conference_matches(conference: Conference, filters: ConferenceFilters) -> bool:
    if filters.status is not None and conference.status != filters.status:
        return False
    if filters.friendly_name is not None and conference.friendly_name != filters.friendly_name:
        return False
    for date_filter in filters.dates:
        day = getattr(conference, date_filter.field).date()
        if date_filter.op == "=" and day != date_filter.day:
            return False
        if date_filter.op == "<=" and day > date_filter.day:
            return False
        if date_filter.op == ">=" and day < date_filter.day:
            return False
    return True
