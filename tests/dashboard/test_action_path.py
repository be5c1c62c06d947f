"""One click: one roster read and one roster write; the answer is built from that write."""

from __future__ import annotations

from django.urls import reverse

from conference_admin.live import roster as rosters

from . import cachelog
from .conftest import ESCALATION

cache_log = cachelog.cache_log  # the fixture
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_mute_reads_the_roster_once_and_writes_it_once(supervisor_client, demo, seen, cache_log):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    cache_log.clear()
    response = supervisor_client.post(reverse("participant-action", args=[sid, carol, "mute"]), {}, **HTMX)
    assert response.status_code == 200 and "Unmute agent:carol" in response.content.decode()
    blob = rosters.key(sid)
    # The view's read (name, hold guard) and the read-modify-write of the one write.
    assert cache_log[("read", blob)] == 2
    assert cache_log[("write", blob)] == 1
    # The in-flight mark is its own small key: set at the start, cleared by the action's own
    # write; it never costs a roster write.
    assert cache_log[("write", rosters.key(sid, "marks"))] == 2
    assert demo.participant(ESCALATION, "agent:carol").muted is True


def test_a_mark_takes_a_version_without_a_roster_write(supervisor_client, demo, seen, cache_log):
    from conference_admin.supervision.inflight import Flight

    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    before = rosters.current_version(sid)
    cache_log.clear()
    flight = Flight(sid, carol, actor="kim", action="hold")
    flight.start()
    assert rosters.current_version(sid) == before + 1
    flight.finish()  # no result was recorded: clearing the mark is a new version too
    assert rosters.current_version(sid) == before + 2
    assert cache_log[("write", rosters.key(sid))] == 0 and cache_log[("read", rosters.key(sid))] == 0
    assert rosters.load(sid).version <= before  # the roster itself was not rewritten
