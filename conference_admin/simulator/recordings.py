"""Call and conference recordings: Twilio's recording state machine on the simulator's clock.

A recording is `in-progress` from the moment it starts, may be `paused` and resumed any number of
times, and ends `stopped` (by the API) or with its call or conference; it is then processed into
`completed` (or `absent` when nothing was recorded). Ended is final: Twilio's API offers pause,
resume and stop of a recording in progress ([REC] "Once a recording is initiated, you can
optionally pause, resume, or stop the recording"), and nothing that restarts a stopped one.

Durations advance on the simulator's clock. A pause with `PauseBehavior=silence` (Twilio's
default) still records, silence instead of audio, so it counts; a pause with `skip` records
nothing, so it does not (spec: UpdateCallRecording / UpdateConferenceRecording, PauseBehavior).

Sources (CONTRACT.md section 12): [OAI2] shared/twilio/api_v2010_calls_recordings.json;
[REC] https://www.twilio.com/docs/voice/api/recording ;
[RSC] https://help.twilio.com/articles/360014251313 ("Getting Started with Recording Status
Callbacks": absent recordings carry error 16101 "too short" or 16102 "silent");
[ERR] https://www.twilio.com/docs/api/errors/<code>.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from . import errors
from .errors import SimulatorError

CURRENT = "Twilio.CURRENT"
ACTIVE = ("in-progress", "paused")  # what Twilio.CURRENT can address; every other status is final
# A recording shorter than this holds no audio worth keeping: `absent` with 16101 [RSC].
MINIMUM_SECONDS = 1.0
DEFAULT_CALLBACK_EVENTS = ("completed",)  # spec: RecordingStatusCallbackEvent "the default is completed"


@dataclass
class Recording:
    account_sid: str
    sid: str
    call_sid: str | None  # the recorded call; None for a conference recording
    conference_sid: str | None  # the recorded conference; None for a call recording
    source: str  # call_recording_enum_source: StartCallRecordingAPI, Conference, ...
    channels: int
    track: str | None  # call recordings only: inbound, outbound or both
    status: str
    date_created: datetime
    date_updated: datetime
    start_time: datetime
    callback_url: str | None = None
    callback_method: str = "POST"
    callback_events: tuple[str, ...] = DEFAULT_CALLBACK_EVENTS
    pause_behavior: str | None = None
    error_code: int | None = None
    # Seconds recorded before `segment_start`; a segment runs while audio (or silence) is recorded.
    recorded: float = 0.0
    segment_start: datetime | None = None

    @property
    def is_conference_recording(self) -> bool:
        return self.conference_sid is not None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def seconds_at(self, now: datetime) -> float:
        running = (now - self.segment_start).total_seconds() if self.segment_start is not None else 0.0
        return self.recorded + max(0.0, running)

    # --- transitions (each returns True when the recording changed) ---------------------------

    def pause(self, now: datetime, behavior: str) -> bool:
        self._check_active()
        if self.status == "paused":
            # Pausing a paused recording changes nothing (Twilio documents no error for it; the
            # first pause's PauseBehavior stays in force until the resume).
            return False
        if behavior == "skip":
            self._close_segment(now)
        self.status, self.pause_behavior, self.date_updated = "paused", behavior, now
        return True

    def resume(self, now: datetime) -> bool:
        self._check_active()
        if self.status == "in-progress":
            return False  # resuming a running recording changes nothing
        if self.segment_start is None:
            self.segment_start = now
        self.status, self.pause_behavior, self.date_updated = "in-progress", None, now
        return True

    def stop(self, now: datetime) -> None:
        """Stopped by the API: `stopped` now (what the update answers), then `finish()`."""
        self._check_active()
        self._close_segment(now)
        self.status, self.pause_behavior, self.date_updated = "stopped", None, now

    def finish(self, now: datetime) -> None:
        """Processing is instant here: `completed`, or `absent` (16101) when too short to keep."""
        self._close_segment(now)
        if self.recorded < MINIMUM_SECONDS:
            self.status, self.error_code = "absent", errors.RECORDING_TOO_SHORT
        else:
            self.status = "completed"
        self.pause_behavior, self.date_updated = None, now

    def _close_segment(self, now: datetime) -> None:
        if self.segment_start is not None:
            self.recorded += max(0.0, (now - self.segment_start).total_seconds())
            self.segment_start = None

    def _check_active(self) -> None:
        if not self.active:
            # Twilio documents no dedicated code for changing an ended recording; 21220 ("You
            # attempted a realtime operation on a Call that was not in-progress", [ERR]/21220) is
            # its answer for real-time operations on what is no longer live.
            raise SimulatorError(
                errors.CALL_STATE_INVALID,
                f"Recording {self.sid} is {self.status}: only a recording in progress or paused can change",
                400,
            )


def snapshot(recording: Recording, now: datetime) -> Recording:
    """A copy frozen at `now`: its `recorded` seconds are the duration at that moment."""
    frozen = copy.copy(recording)
    frozen.recorded = recording.seconds_at(now)
    frozen.segment_start = None
    return frozen


class RecordingLedger:
    """Every recording, by SID, and which call or conference each belongs to (creation order)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Recording] = {}
        self._by_owner: dict[str, list[Recording]] = {}

    def add(self, recording: Recording) -> None:
        self._by_sid[recording.sid] = recording
        owner = recording.conference_sid or recording.call_sid or ""
        self._by_owner.setdefault(owner, []).append(recording)

    def of(self, owner_sid: str) -> list[Recording]:
        """The recordings of a call (CA...) or of a conference (CF...), oldest first."""
        return list(self._by_owner.get(owner_sid, ()))

    def active_of(self, owner_sid: str) -> list[Recording]:
        return [recording for recording in self.of(owner_sid) if recording.active]

    def find(self, owner_sid: str, sid: str, *, missing: str, current: bool) -> Recording:
        """The recording `sid` of this call or conference; `Twilio.CURRENT` (when `current`, as on
        updates: fetch demands an RE SID in the spec) is its one active recording.

        20404 for a SID that is not one of its recordings, and for `Twilio.CURRENT` when none is
        in progress or paused (there is no current recording to address). 16108 when more than
        one is active, so `Twilio.CURRENT` is ambiguous ([ERR]/16108: "The request failed because
        there is more than one active recording for the provided Call SID").
        """
        if sid == CURRENT and current:
            active = self.active_of(owner_sid)
            if not active:
                raise SimulatorError(
                    errors.NOT_FOUND, f"No recording of {owner_sid} is in progress or paused ({missing})", 404
                )
            if len(active) > 1:
                raise SimulatorError(
                    errors.RECORDING_CONCURRENT,
                    f"{owner_sid} has {len(active)} active recordings: Twilio.CURRENT is ambiguous",
                    400,
                )
            return active[0]
        recording = self._by_sid.get(sid)
        if recording is None or (recording.conference_sid or recording.call_sid) != owner_sid:
            raise errors.not_found(missing)
        return recording
