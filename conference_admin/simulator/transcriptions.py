"""Real-Time Transcription of a call (CONTRACT.md section 13): the resource, what it hears, its callbacks.

`POST Calls/{CallSid}/Transcriptions.json` starts one on a call in progress (it stays in its
conference); `POST Calls/{CallSid}/Transcriptions/{Sid or Name}.json` with `Status=stopped` stops
it; it also stops when its call leaves the conference or ends. While it runs, the call speaks
scripted lines (speech.py) on the simulator's clock and every utterance is reported as
`transcription-content` callbacks: with `PartialResults=true` one partial result per word
(`Final=false`, two a second) before the final one (`Final=true`).

On one call leg `inbound_track` is what Twilio receives from the call (the participant's own
voice) and `outbound_track` what Twilio sends to it (the rest of the room) [RTT]; with
`both_tracks` the two take turns.

Sources: [OAI3] shared/twilio/api_v2010_realtime_transcriptions.json;
[RTT] https://www.twilio.com/docs/voice/twiml/transcription ;
[RTTAPI] https://www.twilio.com/docs/voice/api/realtime-transcription-resource ;
[ERR] https://www.twilio.com/docs/api/errors/<code>.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors, speech
from .clock import rfc2822
from .errors import SimulatorError
from .validation import Params, Rule, Validated, apply_rules, boolean, choice, http_method, normalize, text, url

TRACKS = ("inbound_track", "outbound_track", "both_tracks")
DEFAULT_TRACK = "both_tracks"  # [RTT]: track "Default: both_tracks"
DEFAULT_LANGUAGE = "en-US"  # [RTT]: languageCode "Default: en-US"
ENGINES = ("google", "deepgram")  # [RTT]: transcriptionEngine, "google" (default) or "deepgram"
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# The simulated engine only speaks English: a transcription in another language starts, then
# reports transcription-error and stops. 95106 is Twilio's "Speech-to-Text engine error"
# ([ERR]/95106: "Transcript language is not the one specified"); the simulator's choice, as
# Twilio documents no code for these callbacks.
SPOKEN_LANGUAGE = "en"
ENGINE_ERROR = 95106


def language_code(name: str, values: list[str]) -> str:
    raw = values[0].strip()
    if BCP47.fullmatch(raw):
        return raw
    raise errors.invalid(f"{name} must be a BCP-47 language code such as en-US, got {raw!r}")


# Every parameter of CreateRealtimeTranscription [OAI3], with its rule. Free-text parameters
# (names, labels, hints, speech model, Intelligence Service and Conversation ids) take any text.
CREATE_RULES: dict[str, Rule] = {
    "Name": text,
    "Track": choice(*TRACKS),
    "StatusCallbackUrl": url,
    "StatusCallbackMethod": http_method,
    "InboundTrackLabel": text,
    "OutboundTrackLabel": text,
    "PartialResults": boolean,
    "LanguageCode": language_code,
    "TranscriptionEngine": choice(*ENGINES),
    "ProfanityFilter": boolean,
    "SpeechModel": text,
    "Hints": text,
    "EnableAutomaticPunctuation": boolean,
    "IntelligenceService": text,
    "ConversationConfiguration": text,
    "ConversationId": text,
    "ConfigurationId": text,
    "EnableProviderData": boolean,
}
UPDATE_RULES: dict[str, Rule] = {"Status": choice("stopped")}
# Create params the Transcription keeps as fields of its own; the rest go to `options`.
OWN_FIELDS = (
    "Name",
    "Track",
    "StatusCallbackUrl",
    "StatusCallbackMethod",
    "InboundTrackLabel",
    "OutboundTrackLabel",
    "PartialResults",
    "LanguageCode",
)


def parse_create(params: Params) -> Validated:
    parsed = apply_rules(normalize(params), CREATE_RULES)
    if parsed.get("Name") == "":
        del parsed["Name"]  # an empty name is no name
    return parsed


def parse_update(params: Params) -> Validated:
    values = normalize(params)
    if not (values.get("Status") or [""])[0].strip():
        raise errors.invalid("Status is required: stopped")
    return apply_rules(values, UPDATE_RULES)


@dataclass(frozen=True)
class SpeechTimings:
    """How fast a transcribed call talks, on the simulator's clock."""

    first_after: float = 1.0  # seconds from the start to the first word (plus a per-call stagger)
    word_seconds: float = 0.5  # one word, so one partial result, every half second
    pause: float = 1.5  # silence between two utterances


@dataclass(frozen=True)
class Spoken:
    """One transcription-content: a partial or final result of one utterance on one track."""

    at: datetime
    track: str  # inbound_track | outbound_track
    transcript: str
    confidence: float
    final: bool


@dataclass
class Transcription:
    account_sid: str
    sid: str
    call_sid: str
    conference_sid: str  # the conference the call was in when it started
    name: str | None
    status: str  # in-progress | stopped
    date_updated: datetime
    track: str
    role: str  # what the call itself says: "customer" or "agent" (speech.role_of its label)
    line_offset: int  # where in the script this call starts
    utterance_start: datetime  # when the current utterance's first word is said
    callback_url: str | None = None
    callback_method: str = "POST"
    inbound_label: str | None = None
    outbound_label: str | None = None
    partial_results: bool = False
    language_code: str = DEFAULT_LANGUAGE
    options: dict[str, Any] = field(default_factory=dict)  # every other validated create param
    sequence: int = 0  # SequenceId of the last callback event
    utterance: int = 0  # utterances finished so far
    word: int = 0  # words of the current utterance already reported

    @property
    def active(self) -> bool:
        return self.status == "in-progress"

    @property
    def speaks(self) -> bool:
        return self.language_code.lower().split("-")[0] == SPOKEN_LANGUAGE

    def _track_of(self, utterance: int) -> tuple[str, int]:
        """The track the `utterance`-th utterance is on, and its index among that track's lines."""
        if self.track == "both_tracks":
            return ("inbound_track" if utterance % 2 == 0 else "outbound_track"), utterance // 2
        return self.track, utterance

    def due(self, now: datetime, timings: SpeechTimings) -> list[Spoken]:
        """Every result said up to `now` and not reported yet, oldest first (advances the cursor)."""
        said: list[Spoken] = []
        while self.active and self.speaks:
            track, index = self._track_of(self.utterance)
            role = self.role if track == "inbound_track" else speech.other_role(self.role)
            words = speech.line(role, self.line_offset + index).split()
            if not self.partial_results:
                self.word = len(words) - 1  # only the final result is reported
            at = self.utterance_start + timedelta(seconds=self.word * timings.word_seconds)
            if at > now:
                break
            final = self.word >= len(words) - 1
            confidence = 0.8 + ((self.line_offset + self.utterance) * 7 % 19) / 100
            if not final:
                confidence -= 0.2 * (1 - (self.word + 1) / len(words))
            said.append(Spoken(at, track, " ".join(words[: self.word + 1]), round(confidence, 2), final))
            if final:
                self.utterance += 1
                self.word = 0
                self.utterance_start = at + timedelta(seconds=timings.pause)
            else:
                self.word += 1
        return said


def snapshot(transcription: Transcription) -> Transcription:
    return copy.copy(transcription)


class TranscriptionLedger:
    """Every transcription, by GT SID and by call (creation order)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Transcription] = {}
        self._by_call: dict[str, list[Transcription]] = {}

    def add(self, transcription: Transcription) -> None:
        self._by_sid[transcription.sid] = transcription
        self._by_call.setdefault(transcription.call_sid, []).append(transcription)

    def active(self) -> list[Transcription]:
        return [t for transcriptions in self._by_call.values() for t in transcriptions if t.active]

    def active_of(self, call_sid: str) -> list[Transcription]:
        return [t for t in self._by_call.get(call_sid, ()) if t.active]

    def find(self, call_sid: str, sid_or_name: str, *, missing: str) -> Transcription:
        """The call's transcription with this GT SID, or else the newest one with this `Name`
        (one in progress first) [RTTAPI]; 20404 when there is none."""
        found = self._by_sid.get(sid_or_name)
        if found is not None and found.call_sid == call_sid:
            return found
        named = [t for t in self._by_call.get(call_sid, ()) if t.name == sid_or_name]
        if not named:
            raise errors.not_found(missing)
        running = [t for t in named if t.active]
        return (running or named)[-1]

    def check_name_free(self, call_sid: str, name: str | None) -> None:
        """A name stops a transcription, so two in progress on one call may not share it (the
        simulator's choice of code: 21200, its catch-all; Twilio documents none)."""
        if name is not None and any(t.name == name for t in self.active_of(call_sid)):
            raise SimulatorError(
                errors.INVALID_PARAMETER, f"A transcription named {name!r} is already in progress on {call_sid}", 400
            )


# --- callbacks (CONTRACT.md section 13) -----------------------------------------------------


def iso_timestamp(moment: datetime) -> str:
    """`2024-01-15T12:00:01.500000Z`: the form Twilio's transcription callbacks carry [RTT]."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def callback_params(name: str, transcription: Transcription, at: datetime, details: dict[str, str]) -> dict[str, str]:
    """The parameters of one transcription status callback, `TranscriptionEvent` = `name`."""
    params = {
        "AccountSid": transcription.account_sid,
        "CallSid": transcription.call_sid,
        "TranscriptionSid": transcription.sid,
        "Timestamp": iso_timestamp(at),
        "SequenceId": details["sequence_id"],
        "TranscriptionEvent": name,
    }
    if name == "transcription-content":
        params.update(
            Track=details["track"],
            Final=details["final"],
            TranscriptionData=details["transcription_data"],
            LanguageCode=transcription.language_code,
        )
    elif name == "transcription-error":
        params.update(TranscriptionErrorCode=details["error_code"], TranscriptionError=details["error"])
    return params


def content_details(spoken: Spoken) -> dict[str, str]:
    data = json.dumps({"transcript": spoken.transcript, "confidence": spoken.confidence}, separators=(",", ":"))
    return {"track": spoken.track, "final": "true" if spoken.final else "false", "transcription_data": data}


# --- the resource's JSON (api.v2010.account.call.realtime_transcription) ---------------------


def resource_uri(transcription: Transcription) -> str:
    return (
        f"/2010-04-01/Accounts/{transcription.account_sid}/Calls/{transcription.call_sid}"
        f"/Transcriptions/{transcription.sid}.json"
    )


def resource_json(transcription: Transcription) -> dict[str, object]:
    """Exactly the spec's fields; `date_updated` in RFC 2822, as every 2010 API date."""
    return {
        "sid": transcription.sid,
        "account_sid": transcription.account_sid,
        "call_sid": transcription.call_sid,
        "name": transcription.name,
        "status": transcription.status,
        "date_updated": rfc2822(transcription.date_updated),
        "uri": resource_uri(transcription),
    }
