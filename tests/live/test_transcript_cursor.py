"""The transcript cursor never runs ahead of what a reader can read.

A line write takes its cursor inside its own transaction; until it commits, a reader (the
panel's poll, the page's event stream) must not be told a cursor at or past it, or the reader
moves on and never receives the line (at 50 participants some final results stayed shown as
partials). Here a writer is held between taking its cursor and committing while another
writer and a reader go on; once it commits, the reader's next batch holds its line.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from conference_admin.dashboard.transcript_views import transcript_batch
from conference_admin.live import transcripts
from conference_admin.live.models import TranscriptCursor, TranscriptLine
from conference_admin.offthread import closing_connections

from .callback_helpers import ALICE, CONFERENCE

pytestmark = pytest.mark.django_db(transaction=True)

SLOW, QUICK = "GT" + "a1" * 16, "GT" + "b2" * 16
WAIT = 10.0


def heard(transcription_sid: str, text: str, *, sequence: int = 2, final: bool = True) -> transcripts.Heard:
    return transcripts.Heard(
        conference_sid=CONFERENCE,
        call_sid=ALICE,
        transcription_sid=transcription_sid,
        track="inbound_track",
        speaker="agent:alice",
        text=text,
        final=final,
        confidence=0.9,
        sequence=sequence,
        spoken_at=datetime(2026, 12, 7, 12, 0, sequence, tzinfo=UTC),
    )


def read(cursor: int) -> tuple[int, str]:
    """One batch as the page's poll and stream get it: (the cursor it brings the page to, html)."""
    request = RequestFactory().get("/", headers={"HX-Request": "true"})
    response = transcript_batch(request, CONFERENCE, cursor)
    return int(response["X-Transcript-Cursor"]), response.content.decode()


def test_a_reader_never_moves_past_a_line_still_being_written(monkeypatch):
    taken, release = threading.Event(), threading.Event()
    real_next = transcripts._next_cursor

    def held_next(conference_sid: str) -> int:
        version = real_next(conference_sid)
        if threading.current_thread().name == "slow-writer":
            taken.set()  # the cursor is taken, the line not yet committed
            release.wait(WAIT)
        return version

    monkeypatch.setattr(transcripts, "_next_cursor", held_next)
    slow = threading.Thread(
        target=closing_connections(transcripts.line_heard),
        args=(heard(SLOW, "I want to cancel my account."),),
        name="slow-writer",
    )
    quick = threading.Thread(
        target=closing_connections(transcripts.line_heard), args=(heard(QUICK, "Let me check."),), name="quick"
    )
    slow.start()
    try:
        assert taken.wait(WAIT)
        quick.start()
        quick.join(0.5)  # another participant's result, written meanwhile (or waiting its turn)
        cursor, _ = read(0)
    finally:
        release.set()
        slow.join(WAIT)
        if quick.ident is not None:
            quick.join(WAIT)
    assert not slow.is_alive() and not quick.is_alive()
    assert TranscriptLine.objects.count() == 2

    cursor, html = read(cursor)
    if "I want to cancel my account." not in html:
        pytest.fail(f"the reader moved to cursor {cursor} past the held line and never received it")
    assert "Let me check." in html or "Let me check." in read(0)[1]
    assert cursor == transcripts.current_cursor(CONFERENCE) == TranscriptLine.objects.count()


def test_the_cursor_is_committed_in_order_and_never_goes_back():
    first = transcripts.line_heard(heard(SLOW, "one"))
    assert first is not None and first.version == 1
    # The cursor's row lost (an upgrade from before it existed): it starts above the stored lines.
    TranscriptCursor.objects.all().delete()
    assert transcripts.current_cursor(CONFERENCE) == 1
    cache.clear()
    second = transcripts.line_heard(heard(SLOW, "two", sequence=3))
    assert second is not None and second.version == 2 == transcripts.current_cursor(CONFERENCE)
    # A duplicate and an older partial write nothing and leave the cursor alone.
    assert transcripts.line_heard(heard(SLOW, "two", sequence=3)) is None
    partial = transcripts.line_heard(heard(QUICK, "newer words", sequence=9, final=False))
    assert partial is not None and partial.version == 3
    assert transcripts.line_heard(heard(QUICK, "older", sequence=8, final=False)) is None
    assert transcripts.current_cursor(CONFERENCE) == 3
