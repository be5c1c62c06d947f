"""What the live state tells other apps. Listeners connect in their own AppConfig.ready; live
imports none of them (the ops app's metrics, the push app's event streams, the history app).

For the ops app's metrics:

- `webhook_refused`: a status callback's signature was missing or wrong (`reason`);
- `roster_reconciled`: a conference was reconciled with Twilio's list; `lag_seconds` since its
  previous reconcile (None for the first).

For the push app (`PushConfig.ready`), sent after the write:

- `roster_written`: a roster's new `version` (`conference_sid`) was written (store.mutate, or a
  change of its marks); `published`: the write itself already published the announcement that
  `announce_in_write` names (Redis carried it in the write's round trip);
- `transcript_written`: a transcript line was stored at `cursor` (`conference_sid`).

For the history app (`HistoryConfig.ready`; its receivers never raise):

- `conference_seen`: a `conference` whose status changed;
- `participants_changed`: a roster diff (`conference_sid`, `joined`, `left`, `changed`, `approximate`,
  `within`, `conference`: the arguments of `history.recorder.history_roster_changed`);
- `identities_known`: `identities` ({call SID: (number, direction)}) of `conference_sid`'s calls;
- `recording_changed`: the conference recording's `status` (`conference_sid`);
- `callback_stored`: a status callback was stored as `event` (a ConferenceEvent).
"""

from collections.abc import Callable

from django.dispatch import Signal

# (conference SID, version) -> the pub/sub (channel, message) that announces that version, or None.
Announcement = Callable[[str, int], "tuple[str, str] | None"]

webhook_refused = Signal()
roster_reconciled = Signal()

roster_written = Signal()
transcript_written = Signal()

conference_seen = Signal()
participants_changed = Signal()
identities_known = Signal()
recording_changed = Signal()
callback_stored = Signal()


_announcements: list[Announcement] = []


def announce_in_write(announcement: Announcement) -> None:
    """Set how a roster write announces its new version from inside its own Redis round trip
    (the push app's channel, in PushConfig.ready); the one set last is used."""
    _announcements[:] = [announcement]


def in_write_announcement(conference_sid: str, version: int) -> tuple[str, str] | None:
    """What a roster write at `version` publishes as it is written; None: nothing (it is then
    announced by `roster_written` alone)."""
    return _announcements[0](conference_sid, version) if _announcements else None
