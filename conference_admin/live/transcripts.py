"""Live transcripts: who is being transcribed (on the shared roster) and what they said (stored lines).

Twilio's Real-Time Transcription (CONTRACT.md section 13) reports each utterance as partial
results (`Final=false`, the words so far) and then one final result. The dashboard keeps one
`TranscriptLine` per utterance: a partial result updates the open line of its transcription and
track in place, the final one closes it. Callbacks may arrive late or twice: `SequenceId` orders
them (an older partial never overwrites a newer one; a delivery seen before is dropped by the
line's unique (transcription, sequence)).

Whether a participant is being transcribed is row state, so it lives on the roster entry
(`RosterEntry.transcription`) and moves the roster's version like a recording does; the lines
themselves never touch the roster (a 50-person room sends about 100 results a second). They
move the conference's **transcript cursor** instead: a counter in the database, taken in the
line's own transaction and stamped on every line written, so a page showing cursor C needs only
the lines with `version > C`, and cursors become readable in order (see below).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from conference_admin.audit.recorder import audit_attempt
from conference_admin.sids import CALL_SID, CONFERENCE_SID, TRANSCRIPTION_SID

from . import phrases
from .callbacks import InvalidCallback
from .models import TranscriptCursor, TranscriptLine
from .roster import Roster, load, mutate
from .roster.model import TranscriptionState
from .signals import transcript_written

log = logging.getLogger(__name__)

TRACKS = ("inbound_track", "outbound_track")
EVENTS = ("transcription-started", "transcription-content", "transcription-stopped", "transcription-error")
MAX_TEXT = 4000


def _now() -> datetime:
    return datetime.now(UTC)


# --- the row's state (one roster write each) --------------------------------------------------


def record_transcription(conference_sid: str, call_sid: str, state: TranscriptionState | None) -> Roster:
    """The participant's transcription is now `state` (None: not transcribed); the row changes."""

    def change(roster: Roster, version: int) -> bool:
        entry = roster.entries.get(call_sid)
        if entry is None or entry.transcription == state:
            return False
        entry.transcription = state
        entry.changed_version = version
        return True

    return mutate(conference_sid, change, settles=call_sid)


def transcription_reported(conference_sid: str, *, call_sid: str, sid: str, event: str, error: str = "") -> None:
    """transcription-started / -stopped / -error from Twilio: the row follows, unless the
    callback is about an older transcription than the one the row shows."""

    def change(roster: Roster, version: int) -> bool:
        entry = roster.entries.get(call_sid)
        if entry is None:
            return False
        known = entry.transcription
        if event == "transcription-started":
            if known is not None and known.sid in ("", sid):
                if known.sid == sid:
                    return False
                entry.transcription = TranscriptionState(sid=sid, since=known.since, speaker=known.speaker)
            elif known is None:
                entry.transcription = TranscriptionState(sid=sid, since=_now())
            else:
                return False  # a newer transcription is already shown
        elif event == "transcription-error":
            if known is None or known.sid not in ("", sid):
                return False
            entry.transcription = TranscriptionState(sid=sid, since=known.since, speaker=known.speaker, error=error)
        else:  # stopped
            if known is None or known.sid not in ("", sid):
                return False
            entry.transcription = None
        entry.changed_version = version
        return True

    mutate(conference_sid, change)


# --- the transcript cursor --------------------------------------------------------------------
#
# One row per conference (`TranscriptCursor`), bumped by the line write's own transaction: the
# row's lock is held until that line commits, so the next write of the conference waits for it
# and cursors become readable in the order they were given. A reader that sees a line at V sees
# every line below V; `current_cursor` is never a line that cannot be read yet. (A counter taken
# before the commit let a reader move past a line still being written, and miss it for good.)

_BUMP_SQL = """
INSERT INTO {cursors} (conference_sid, value)
VALUES (%s, COALESCE((SELECT MAX(version) FROM {lines} WHERE conference_sid = %s), 0) + 1)
ON CONFLICT (conference_sid) DO UPDATE SET value = {cursors}.value + 1
RETURNING value
"""


def current_cursor(conference_sid: str) -> int:
    """The conference's newest committed transcript version (0: no line yet). Read it BEFORE the
    lines it stands for: every line up to it is readable then."""
    found = TranscriptCursor.objects.filter(conference_sid=conference_sid).values_list("value", flat=True).first()
    return found if found is not None else _stored_cursor(conference_sid)


def _stored_cursor(conference_sid: str) -> int:
    return TranscriptLine.objects.filter(conference_sid=conference_sid).aggregate(top=Max("version"))["top"] or 0


def _next_cursor(conference_sid: str) -> int:
    """The next version, taken inside the caller's transaction (which must then write its line
    and commit soon: the conference's other line writes wait for it). The first one starts above
    the newest stored line, so a cursor never goes back."""
    quote = connection.ops.quote_name
    sql = _BUMP_SQL.format(cursors=quote(TranscriptCursor._meta.db_table), lines=quote(TranscriptLine._meta.db_table))
    with connection.cursor() as db:
        db.execute(sql, [conference_sid, conference_sid])
        return int(db.fetchone()[0])


# --- lines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """One transcription-content callback, parsed."""

    conference_sid: str
    call_sid: str
    transcription_sid: str
    track: str
    speaker: str
    text: str
    final: bool
    confidence: float | None
    sequence: int
    spoken_at: datetime


def parse_content(params, conference_sid: str, speaker: str) -> Heard:
    """A transcription-content callback's fields; InvalidCallback when one is missing or malformed."""
    try:
        data = json.loads(params.get("TranscriptionData") or "")
    except ValueError as exc:
        raise InvalidCallback("TranscriptionData is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("transcript"), str):
        raise InvalidCallback("TranscriptionData needs a transcript")
    confidence = data.get("confidence")
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool):
        confidence = None
    track = params.get("Track") or ""
    if track not in TRACKS:
        raise InvalidCallback("Track must be inbound_track or outbound_track")
    final = (params.get("Final") or "").lower()
    if final not in ("true", "false"):
        raise InvalidCallback("Final must be true or false")
    return Heard(
        conference_sid=conference_sid,
        call_sid=params.get("CallSid", ""),
        transcription_sid=params.get("TranscriptionSid", ""),
        track=track,
        speaker=speaker[:256],
        text=data["transcript"].replace("\x00", "\ufffd")[:MAX_TEXT],
        final=final == "true",
        confidence=float(confidence) if confidence is not None else None,
        sequence=_sequence(params),
        spoken_at=_timestamp(params),
    )


def _sequence(params) -> int:
    raw = params.get("SequenceId") or ""
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidCallback("SequenceId must be a number")
    return int(raw)


def _timestamp(params) -> datetime:
    raw = params.get("Timestamp") or ""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return _now()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def line_heard(heard: Heard) -> TranscriptLine | None:
    """Store one result: a partial or final one updates the open line of its transcription and
    track, or opens a new line. Returns the line written, None when it changed nothing (a
    duplicate, or a partial older than what the line already shows).

    The cursor is taken first: it serializes the conference's line writes, so the open line is
    read while no other result of this conference can change it (results of one transcription
    may arrive at once)."""
    try:
        with transaction.atomic():
            version = _next_cursor(heard.conference_sid)
            open_line = (
                TranscriptLine.objects.filter(transcription_sid=heard.transcription_sid, track=heard.track, final=False)
                .order_by("-sequence")
                .first()
            )
            if open_line is not None and open_line.sequence < heard.sequence:
                open_line.text, open_line.final = heard.text, heard.final
                open_line.confidence, open_line.sequence = heard.confidence, heard.sequence
                open_line.version = version
                open_line.save(update_fields=["text", "final", "confidence", "sequence", "version"])
                return open_line
            if open_line is not None and not heard.final:
                transaction.set_rollback(True)  # nothing written: the cursor stays where it was
                return None  # an older partial than the one shown
            # A new utterance (or a late final whose partial was overtaken: its own line).
            return TranscriptLine.objects.create(
                conference_sid=heard.conference_sid,
                call_sid=heard.call_sid,
                transcription_sid=heard.transcription_sid,
                track=heard.track,
                speaker=heard.speaker,
                text=heard.text,
                final=heard.final,
                confidence=heard.confidence,
                sequence=heard.sequence,
                spoken_at=heard.spoken_at,
                version=version,
            )
    except IntegrityError:
        return None  # delivered twice


def receive_transcription_callback(params, conference_sid: str, speaker: str) -> TranscriptLine | None:
    """One signed transcription callback. `conference_sid` and `speaker` come from the callback
    URL the dashboard gave Twilio (signed with it). Returns the line a content event wrote."""
    call_sid = params.get("CallSid", "")
    sid = params.get("TranscriptionSid", "")
    event = params.get("TranscriptionEvent", "")
    if not CONFERENCE_SID.match(conference_sid or "") or not CALL_SID.match(call_sid):
        raise InvalidCallback("conference and CallSid are required")
    if not TRANSCRIPTION_SID.match(sid) or event not in EVENTS:
        raise InvalidCallback("TranscriptionSid and TranscriptionEvent are required")
    if event == "transcription-content":
        heard = parse_content(params, conference_sid, speaker)
        if recording_paused(conference_sid, heard.call_sid):
            return None  # said while the recording was paused (a card number): never stored
        line = line_heard(heard)
        if line is not None:
            transcript_written.send(None, conference_sid=conference_sid, cursor=line.version)  # the open pages' streams
            if line.final:
                phrases.phrase_heard(
                    conference_sid,
                    call_sid=line.call_sid,
                    speaker=line.speaker,
                    track=line.track,
                    text=line.text,
                    at=_now(),
                    line_id=line.pk,
                )
        return line
    error = ""
    if event == "transcription-error":
        error = f"{params.get('TranscriptionError') or 'Transcription failed'} ({params.get('TranscriptionErrorCode')})"
        log.warning("Transcription %s of %s failed: %s", sid, call_sid, error)
    transcription_reported(conference_sid, call_sid=call_sid, sid=sid, event=event, error=error)
    return None


def recording_paused(conference_sid: str, call_sid: str) -> bool:
    """Whether the conference's recording, or this participant's call recording, is paused and
    transcripts pause with recordings (TRANSCRIPT_PAUSE_WITH_RECORDING). Twilio's Real-Time
    Transcription has no pause: the words still reach Twilio, the dashboard keeps none of them."""
    if not settings.TRANSCRIPT_PAUSE_WITH_RECORDING:
        return False
    roster = load(conference_sid)
    if roster is None:
        return False
    entry = roster.entries.get(call_sid)
    return bool(
        (roster.recording is not None and roster.recording.paused)
        or (entry is not None and entry.recording is not None and entry.recording.paused)
    )


@dataclass(frozen=True)
class Pruned:
    cutoff: datetime
    lines: int


PRUNE_ACTION = "transcripts-prune"


def transcripts_prune(*, days: int, actor=None, now: datetime | None = None) -> Pruned:
    """Delete transcript lines older than `days` days, and audit the deletion itself."""
    if days < 1:
        raise ValueError("Retention must be at least one day.")
    cutoff = (now or _now()) - timedelta(days=days)
    with transaction.atomic():
        deleted = TranscriptLine.objects.filter(created_at__lt=cutoff).delete()[0]
        with audit_attempt(
            actor=actor,
            action=PRUNE_ACTION,
            conference_sid="",
            parameters={"retention_days": days, "older_than": cutoff.isoformat(), "lines": deleted},
        ):
            pass
    return Pruned(cutoff, deleted)


def lines_since(conference_sid: str, cursor: int, *, limit: int = 200) -> list[TranscriptLine]:
    """The lines written after `cursor`, oldest change first (at most `limit`)."""
    return list(
        TranscriptLine.objects.filter(conference_sid=conference_sid, version__gt=cursor).order_by("version")[:limit]
    )


def recent_lines(conference_sid: str, *, limit: int = 200) -> list[TranscriptLine]:
    """The conference's last `limit` lines, in the order they were said."""
    newest = TranscriptLine.objects.filter(conference_sid=conference_sid).order_by("-spoken_at", "-id")[:limit]
    return list(reversed(list(newest)))
