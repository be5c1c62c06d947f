"""Deliver the simulator's events as Twilio's signed status callbacks, over real HTTP.

`CallbackSender` subscribes to a `Simulator`. For every event it decides whether anyone asked
for it (the conference's `ConferenceStatusCallback` and event groups, the participant's own
`StatusCallback` and events, or the configured default URLs), builds exactly Twilio's parameters
(CONTRACT.md section 11, and Twilio's call-progress callbacks), signs them like Twilio
(section 12) and queues them. A few background threads send them (`SENDERS`, each with its own
kept-alive connection, closed whenever it has nothing to send): every callback goes to the
thread its **order key** names, so the callbacks of one conference (conference, call and
recording events) arrive in the order they happened, and so do those of one transcription
(started, its results in `SequenceId` order, stopped), while the transcriptions of a big room
are sent side by side (a 50-participant room sends about 100 results a second). An API request
never waits for a delivery. A failed delivery is logged and counted, never retried (Twilio does
not retry these either).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import requests

from conference_admin.twilio.signature import compute_signature

from . import transcriptions
from .clock import rfc2822
from .validation import CALL_EVENTS, CONFERENCE_EVENTS

if TYPE_CHECKING:
    from .engine import Participant, SimulatorEvent
    from .recordings import Recording
    from .transcriptions import Transcription

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
USER_AGENT = "TwilioProxy/1.1"
DEFAULT_TIMEOUT = 5.0
SENDERS = 4  # sending threads; one conference's (or transcription's) callbacks all use the same one
CONFERENCE_STATUS_PATH = "/webhooks/twilio/conference-status"
CALL_STATUS_PATH = "/webhooks/twilio/call-status?conference={conference_sid}"

# ConferenceStatusCallbackEvent groups -> the StatusCallbackEvent names each one subscribes to.
EVENT_GROUPS: dict[str, str] = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
    "participant-speech-start": "speaker",
    "participant-speech-stop": "speaker",
    "announcement-end": "announcement",
    "announcement-fail": "announcement",
}

# Human-readable `Reason` Twilio sends next to ReasonConferenceEnded.
END_REASONS = {
    "conference-ended-via-api": "Conference ended via API",
    "last-participant-left": "Last participant left the conference",
    "last-participant-kicked": "Last participant was kicked from the conference",
    "participant-with-end-conference-on-exit-left": (
        "Participant {call_sid} with endConferenceOnExit left the conference"
    ),
    "participant-with-end-conference-on-exit-kicked": (
        "Participant {call_sid} with endConferenceOnExit was kicked from the conference"
    ),
}


@dataclass(frozen=True)
class Delivery:
    """One callback as sent: `url` is the exact URL requested (GET: with the params in its query)."""

    kind: str  # "conference", "call", "recording" or "transcription"
    event: str  # StatusCallbackEvent, or the call's CallStatus
    method: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int | None = None  # None: no HTTP answer (connection error, timeout)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Queued:
    generation: int
    kind: str
    event: str
    method: str
    url: str
    params: dict[str, str]
    token: str


@dataclass
class _Lane:
    """One sending thread's queue: the callbacks whose order key falls to it, in order."""

    queue: deque[_Queued] = field(default_factory=deque)
    thread: threading.Thread | None = None


@dataclass
class _Stats:
    delivered: int = 0
    failed: int = 0
    by_event: Counter[str] = field(default_factory=Counter)


def dashboard_callback_urls(base_url: str) -> tuple[str, str]:
    """The dashboard's webhook URLs under `base_url` (conference URL, call URL template)."""
    base = base_url.rstrip("/")
    return base + CONFERENCE_STATUS_PATH, base + CALL_STATUS_PATH


class CallbackSender:
    """Turns simulator events into signed HTTP callbacks sent by `senders` background threads."""

    def __init__(
        self,
        auth_token_for: Callable[[str], str],
        *,
        default_conference_url: str | None = None,
        default_call_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        senders: int = SENDERS,
    ) -> None:
        """`default_call_url` may contain `{conference_sid}`; defaults subscribe to every event."""
        self._auth_token_for = auth_token_for
        self.default_conference_url = default_conference_url
        self.default_call_url = default_call_url
        self.timeout = timeout
        self._condition = threading.Condition()
        self._lanes = [_Lane() for _ in range(max(1, senders))]
        self._in_flight = 0
        self._generation = 0
        self._log: list[Delivery] = []
        self._stats = _Stats()
        self._conference_sequence: Counter[str] = Counter()
        self._call_sequence: Counter[str] = Counter()
        self._closed = False

    # --- configuration and inspection -------------------------------------------------------

    def use_dashboard(self, base_url: str | None) -> None:
        """Send callbacks of conferences and calls without their own URL to the dashboard at `base_url`."""
        if base_url:
            self.default_conference_url, self.default_call_url = dashboard_callback_urls(base_url)
        else:
            self.default_conference_url = self.default_call_url = None

    @property
    def deliveries(self) -> list[Delivery]:
        with self._condition:
            return list(self._log)

    @property
    def delivered(self) -> int:
        """Callbacks answered with a 2xx."""
        return self._stats.delivered

    @property
    def failed(self) -> int:
        """Callbacks without a 2xx answer (error status, refused connection, timeout)."""
        return self._stats.failed

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued callback has been sent; False if `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queued() or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def reset(self) -> None:
        """Drop queued callbacks, the log, the counters and the sequence numbers."""
        with self._condition:
            self._generation += 1
            for lane in self._lanes:
                lane.queue.clear()
            self._log.clear()
            self._stats = _Stats()
            self._conference_sequence.clear()
            self._call_sequence.clear()
            self._condition.notify_all()

    def close(self) -> None:
        """Stop the sending threads once their queues are empty."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    # --- the subscriber ----------------------------------------------------------------------

    def __call__(self, event: SimulatorEvent) -> None:
        if event.kind == "conference":
            self._conference_callback(event)
        elif event.kind == "call" and event.participant is not None:
            self._call_callback(event, event.participant)
        elif event.kind == "recording" and event.recording is not None:
            self._recording_callback(event, event.recording)
        elif event.kind == "transcription" and event.transcription is not None:
            self._transcription_callback(event, event.transcription)

    def _conference_callback(self, event: SimulatorEvent) -> None:
        conference = event.conference
        if conference.status_callback:
            url, method, groups = (
                conference.status_callback,
                conference.status_callback_method,
                conference.status_callback_events,
            )
        elif self.default_conference_url:
            url, method, groups = self.default_conference_url, "POST", CONFERENCE_EVENTS
        else:
            return
        if EVENT_GROUPS.get(event.name) not in groups:
            return
        with self._condition:
            self._conference_sequence[event.conference_sid] += 1
            sequence = self._conference_sequence[event.conference_sid]
        params = conference_params(event, sequence)
        self._enqueue("conference", event.name, method, url, params, event.account_sid, order=event.conference_sid)

    def _call_callback(self, event: SimulatorEvent, participant: Participant) -> None:
        if participant.status_callback:
            url, method, wanted = (
                participant.status_callback,
                participant.status_callback_method,
                participant.status_callback_events,
            )
        elif self.default_call_url:
            url, method, wanted = (
                self.default_call_url.replace("{conference_sid}", event.conference_sid),
                "POST",
                CALL_EVENTS,
            )
        else:
            return
        if event.name not in wanted:
            return
        with self._condition:
            # Twilio numbers a call's progress callbacks from 0.
            sequence = self._call_sequence[participant.call_sid]
            self._call_sequence[participant.call_sid] += 1
        params = call_params(event, participant, sequence)
        self._enqueue("call", params["CallStatus"], method, url, params, event.account_sid, order=event.conference_sid)

    def _recording_callback(self, event: SimulatorEvent, recording: Recording) -> None:
        """Only to the recording's own RecordingStatusCallback (or the conference's
        ConferenceRecordingStatusCallback), for the events it asked for (default `completed`)."""
        if not recording.callback_url or event.name not in recording.callback_events:
            return
        params = recording_params(event, recording)
        self._enqueue(
            "recording",
            event.name,
            recording.callback_method,
            recording.callback_url,
            params,
            event.account_sid,
            order=recording.conference_sid or recording.call_sid or "",
        )

    def _transcription_callback(self, event: SimulatorEvent, transcription: Transcription) -> None:
        """Only to the transcription's own StatusCallbackUrl, every event (CONTRACT.md section 13)."""
        if not transcription.callback_url:
            return
        params = transcriptions.callback_params(event.name, transcription, event.timestamp, dict(event.details))
        self._enqueue(
            "transcription",
            event.name,
            transcription.callback_method,
            transcription.callback_url,
            params,
            event.account_sid,
            order=transcription.sid,
        )

    def _enqueue(
        self, kind: str, name: str, method: str, url: str, params: dict[str, str], account_sid: str, *, order: str
    ) -> None:
        """Queue one callback on the thread of its order key (callbacks with the same key are
        sent one after the other, in the order queued)."""
        token = self._auth_token_for(account_sid)
        lane = self._lanes[zlib.crc32(order.encode()) % len(self._lanes)]
        with self._condition:
            if self._closed:
                return
            lane.queue.append(_Queued(self._generation, kind, name, method.upper(), url, params, token))
            if lane.thread is None:
                number = self._lanes.index(lane)
                lane.thread = threading.Thread(
                    target=self._run, args=(lane,), daemon=True, name=f"simulator-callbacks-{number}"
                )
                lane.thread.start()
            self._condition.notify_all()

    def _queued(self) -> bool:
        return any(lane.queue for lane in self._lanes)

    # --- the sending threads -----------------------------------------------------------------

    def _run(self, lane: _Lane) -> None:
        session = requests.Session()
        while True:
            with self._condition:
                if not lane.queue:
                    # Idle: hold no connection open to the receiver (a kept-alive socket keeps a
                    # server's worker thread, and whatever it holds, waiting for the next request).
                    session.close()
                    session = requests.Session()
                while not lane.queue and not self._closed:
                    self._condition.wait()
                if not lane.queue:
                    session.close()
                    return
                item = lane.queue.popleft()
                self._in_flight += 1
            try:
                delivery = self._send(session, item)
                with self._condition:
                    if item.generation == self._generation:  # not from before a reset()
                        self._record(delivery)
            finally:
                with self._condition:
                    self._in_flight -= 1
                    self._condition.notify_all()

    def _send(self, session: requests.Session, item: _Queued) -> Delivery:
        if item.method == "GET":
            url = item.url + ("&" if "?" in item.url else "?") + urlencode(item.params)
            signature = compute_signature(item.token, url, {})
            body: dict[str, str] | None = None
        else:
            url = item.url
            signature = compute_signature(item.token, url, item.params)
            body = item.params
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        delivery = Delivery(item.kind, item.event, item.method, url, item.params, headers)
        try:
            # Twilio drops the params when following a redirect; treat one as an answer, not a hop.
            response = session.request(
                item.method, url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            logger.warning("Status callback %s to %s failed: %s", item.event, item.url, exc.__class__.__name__)
            return replace(delivery, error=f"{exc.__class__.__name__}: {exc}")
        response.close()
        if not 200 <= response.status_code < 300:
            logger.warning("Status callback %s to %s answered HTTP %s", item.event, item.url, response.status_code)
        return replace(delivery, status=response.status_code)

    def _record(self, delivery: Delivery) -> None:
        self._log.append(delivery)
        self._stats.by_event[delivery.event] += 1
        if delivery.ok:
            self._stats.delivered += 1
        else:
            self._stats.failed += 1


# --- parameters (pure functions, tested directly) ---------------------------------------------


def _flag(value: bool) -> str:
    return "true" if value else "false"


def conference_params(event: SimulatorEvent, sequence: int) -> dict[str, str]:
    """Exactly the parameters Twilio sends for this conference event (CONTRACT.md section 11)."""
    params = {
        "ConferenceSid": event.conference_sid,
        "FriendlyName": event.friendly_name,
        "AccountSid": event.account_sid,
        "SequenceNumber": str(sequence),
        "Timestamp": rfc2822(event.timestamp),
        "StatusCallbackEvent": event.name,
    }
    participant = event.participant
    if participant is not None:
        params.update(
            CallSid=participant.call_sid,
            Muted=_flag(participant.muted),
            Hold=_flag(participant.hold),
            Coaching=_flag(participant.coaching),
            EndConferenceOnExit=_flag(participant.end_conference_on_exit),
            StartConferenceOnEnter=_flag(participant.start_conference_on_enter),
        )
        if participant.label:  # Twilio leaves unset values out
            params["ParticipantLabel"] = participant.label
    details = event.details
    if event.name == "conference-end":
        reason = details.get("reason_conference_ended", "")
        ending = details.get("call_sid_ending_conference", "")
        if ending:
            params["CallSidEndingConference"] = ending
        if details.get("participant_label_ending_conference"):
            params["ParticipantLabelEndingConference"] = details["participant_label_ending_conference"]
        params["ReasonConferenceEnded"] = reason
        params["Reason"] = END_REASONS.get(reason, reason).format(call_sid=ending)
    elif event.name == "participant-leave":
        params["ParticipantCallStatus"] = details.get("participant_call_status", "")
        if details.get("reason_participant_left"):
            params["ReasonParticipantLeft"] = details["reason_participant_left"]
    elif event.name.startswith("announcement-"):
        params["AnnounceUrl"] = details.get("announce_url", "")
        if event.name == "announcement-fail":
            params["ReasonAnnouncementFailed"] = details.get("reason_announcement_failed", "")
    return params


def call_params(event: SimulatorEvent, participant: Participant, sequence: int) -> dict[str, str]:
    """Twilio's call-progress callback for the participant's call (an outbound-api dial-out)."""
    return {
        "CallSid": participant.call_sid,
        "CallStatus": event.details.get("call_status", ""),
        "AccountSid": event.account_sid,
        "From": participant.from_,
        "To": participant.to,
        "Direction": "outbound-api",
        "ApiVersion": API_VERSION,
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(sequence),
        "Timestamp": rfc2822(event.timestamp),
    }


RECORDING_MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Recordings/{sid}"


def recording_params(event: SimulatorEvent, recording: Recording) -> dict[str, str]:
    """Twilio's RecordingStatusCallback parameters (CONTRACT.md section 12; [RSC] for ErrorCode).

    RecordingUrl names where Twilio would serve the media; the simulator records no audio.
    """
    params = {"AccountSid": recording.account_sid}
    if recording.call_sid:
        params["CallSid"] = recording.call_sid
    if recording.conference_sid:
        params["ConferenceSid"] = recording.conference_sid
    params.update(
        RecordingSid=recording.sid,
        RecordingUrl=RECORDING_MEDIA_URL.format(account_sid=recording.account_sid, sid=recording.sid),
        RecordingStatus=event.name,
        RecordingDuration=str(int(recording.recorded)),
        RecordingChannels=str(recording.channels),
        RecordingStartTime=rfc2822(recording.start_time),
        RecordingSource=recording.source,
    )
    if recording.track:
        params["RecordingTrack"] = recording.track
    if recording.error_code is not None:
        params["ErrorCode"] = str(recording.error_code)
    return params
