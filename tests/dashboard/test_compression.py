"""Pages and refreshes travel gzip-compressed to a browser that accepts it; streams never do."""

from __future__ import annotations

import gzip

from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse

from conference_admin.http import CompressedPages

from .conftest import ESCALATION

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_a_changed_refresh_of_one_row_is_compressed_under_a_kilobyte(supervisor_client, demo, seen):
    seen(ESCALATION)
    conference, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    table = reverse("participant-table", args=[conference])
    before = int(supervisor_client.get(table, HTTP_HX_REQUEST="true").headers["X-Roster-Version"])
    mute = supervisor_client.post(
        reverse("participant", args=[conference, carol]), {"action": "mute"}, HTTP_HX_REQUEST="true"
    )
    assert mute.status_code == 200

    plain = supervisor_client.get(table, {"version": before}, HTTP_HX_REQUEST="true")
    packed = supervisor_client.get(table, {"version": before}, HTTP_HX_REQUEST="true", **GZIP)

    assert packed.status_code == 200 and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    markup = gzip.decompress(packed.content).decode()
    assert f'id="participant-{carol}"' in markup and "Unmute agent:carol" in markup
    assert markup.count("<tr id=") == plain.content.decode().count("<tr id=") == 1
    assert len(packed.content) < 1024 < len(plain.content)


def test_an_unchanged_poll_stays_an_empty_204(supervisor_client, demo, seen):
    seen(ESCALATION)
    table = reverse("participant-table", args=[demo.sid(ESCALATION)])
    version = supervisor_client.get(table, HTTP_HX_REQUEST="true").headers["X-Roster-Version"]
    unchanged = supervisor_client.get(table, {"version": version}, HTTP_HX_REQUEST="true", **GZIP)
    assert unchanged.status_code == 204 and not unchanged.content
    assert not unchanged.has_header("Content-Encoding")


def test_a_stream_passes_uncompressed():
    events = StreamingHttpResponse(iter([b"data: one\n\n", b"data: two\n\n"]), content_type="text/event-stream")
    request = RequestFactory().get("/", **GZIP)
    answered = CompressedPages(lambda request: events)(request)
    assert not answered.has_header("Content-Encoding")
    assert b"".join(answered.streaming_content) == b"data: one\n\ndata: two\n\n"
