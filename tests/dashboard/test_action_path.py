"""One click: one roster read and one roster write; the answer is built from that write."""

from __future__ import annotations

import os
import threading
from dataclasses import replace

import pytest
from django.test import override_settings
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
    response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    assert response.status_code == 200 and "Unmute agent:carol" in response.content.decode()
    blob = rosters.key(sid)
    # Read as the mark is written (name, hold guard), and by the read-modify-write of the
    # result, which on Redis is sent the roster again only if it changed since (it did not).
    assert cache_log[("read", blob)] == (1 if REDIS else 2)
    assert cache_log[("unchanged", blob)] == (1 if REDIS else 0)
    assert cache_log[("write", blob)] == 1
    # The in-flight mark is its own small key: set at the start, cleared by the action's own
    # write; it never costs a roster write.
    assert cache_log[("write", rosters.key(sid, "marks"))] == 2
    assert demo.participant(ESCALATION, "agent:carol").muted is True


def test_a_mark_takes_a_version_without_a_roster_write(supervisor_client, demo, seen, cache_log):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    before = rosters.current_version(sid)
    cache_log.clear()
    flight = rosters.begin(sid, carol, actor="kim", action="hold")
    assert rosters.current_version(sid) == before + 1
    rosters.settle(flight)  # no result was recorded: clearing the mark is a new version too
    assert rosters.current_version(sid) == before + 2
    # The roster is read once, by `begin` (the view's only read), and never written.
    assert cache_log[("write", rosters.key(sid))] == 0 and cache_log[("read", rosters.key(sid))] == 1
    assert rosters.load(sid).version <= before  # the roster itself was not rewritten


REDIS = bool(os.environ.get("REDIS_URL"))
needs_redis = pytest.mark.skipif(not REDIS, reason="production profile only (Redis)")


def _meanwhile(write) -> None:
    """`write` done by another request (its own thread) while this one's action is in flight."""
    thread = threading.Thread(target=write)
    thread.start()
    thread.join()


@needs_redis
@pytest.mark.parametrize("changed_meanwhile", [False, True], ids=["unchanged", "changed"])
def test_a_result_write_starts_from_the_begin_read_only_while_the_roster_is_unchanged(
    demo, seen, cache_log, changed_meanwhile
):
    """The result's write is not sent the roster `begin` read already; when another write
    changed it in between, it is sent the new roster, and both changes are kept."""
    seen(ESCALATION)
    sid, carol, dave = (demo.sid(ESCALATION), *(demo.call_sid(ESCALATION, a) for a in ("agent:carol", "agent:dave")))
    flight = rosters.begin(sid, carol, actor="kim", action="mute")
    if changed_meanwhile:  # a callback: dave was unmuted
        dave_then = rosters.load(sid).entries[dave].participant
        _meanwhile(lambda: rosters.record_participant(sid, replace(dave_then, muted=False)))
    cache_log.clear()
    carol_then = flight.entry.participant
    recorded = rosters.record_participant(sid, replace(carol_then, muted=True), held_now=False)
    rosters.settle(flight, recorded=True)
    blob = rosters.key(sid)
    assert cache_log[("unchanged", blob)] == (0 if changed_meanwhile else 1)
    assert cache_log[("read", blob)] == (1 if changed_meanwhile else 0)
    stored = rosters.load(sid)
    for roster in (recorded, stored):
        assert roster.entries[carol].participant.muted is True
        assert roster.entries[dave].participant.muted is (not changed_meanwhile)
    assert stored.version == recorded.version and not rosters.load_marks(sid).by_call.get(carol)


@needs_redis
def test_a_begin_read_is_offered_to_its_own_participants_result_only(demo, seen, cache_log):
    """An offer names its participant: another participant's write reads the roster whole."""
    seen(ESCALATION)
    sid, carol, dave = (demo.sid(ESCALATION), *(demo.call_sid(ESCALATION, a) for a in ("agent:carol", "agent:dave")))
    flight = rosters.begin(sid, carol, actor="kim", action="mute")
    cache_log.clear()
    dave_then = rosters.load(sid).entries[dave].participant
    rosters.record_participant(sid, replace(dave_then, muted=False))
    assert cache_log[("unchanged", rosters.key(sid))] == 0
    rosters.settle(flight)
    assert rosters.load(sid).entries[dave].participant.muted is False


@pytest.fixture
def redis_round_trips(monkeypatch):
    """Every command (or pipeline) sent to Redis over any connection: one round trip each."""
    from redis.connection import Connection

    sent: list[bytes] = []
    original = Connection.send_packed_command

    def counted(self, command, *args, **kwargs):
        first = command[0] if isinstance(command, list) else command
        sent.append(bytes(first)[:120])
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", counted)
    return sent


@needs_redis
def test_a_mute_costs_at_most_six_cache_round_trips(supervisor_client, demo, seen, redis_round_trips):
    """Everything one mute POST asks of the shared cache, end to end (it was 14): the session,
    the user and their permissions, then the in-flight mark (the user's Twilio budget token,
    the lock and the read in one round trip; the write with the lock's release in another) and
    the result (the same two). The change announcements to other processes' event streams
    travel inside the two writes (Redis publishes them as it writes): no round trip of their own."""
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    url = reverse("participant", args=[sid, carol])
    for action in ("mute", "unmute"):  # warm: connections open, scripts loaded, user cached
        assert supervisor_client.post(url, {"action": action}, **HTMX).status_code == 200
    redis_round_trips.clear()
    response = supervisor_client.post(url, {"action": "mute"}, **HTMX)
    assert response.status_code == 200 and "Unmute agent:carol" in response.content.decode()
    assert not [c for c in redis_round_trips if b"PUBLISH" in c]
    assert len(redis_round_trips) <= 6, redis_round_trips


@override_settings(USER_TWILIO_REQUESTS_PER_MINUTE=1)
def test_a_spent_budget_marks_nothing_and_sends_nothing(supervisor_client, demo, seen):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    url = reverse("participant", args=[sid, carol])
    assert "Unmute agent:carol" in supervisor_client.post(url, {"action": "mute"}, **HTMX).content.decode()
    version = rosters.current_version(sid)
    demo.simulator.reset_request_log()
    refused = supervisor_client.post(url, {"action": "unmute"}, **HTMX)
    assert refused.status_code == 200 and refused["HX-Retarget"] == f"#note-{carol}"
    assert rosters.current_version(sid) == version and rosters.load_marks(sid).by_call.get(carol) is None
    assert demo.simulator.request_log == []
    assert demo.participant(ESCALATION, "agent:carol").muted is True
