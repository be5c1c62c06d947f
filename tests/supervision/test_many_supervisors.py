"""Many supervisors at once: presence in its own small polled partial, actions in flight shown to others."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.urls import reverse

from conference_admin.live import roster as rosters
from conference_admin.supervision import presence

from .conftest import ESCALATION
from .helpers import HTMX


def panel(client, demo):
    return client.get(reverse("supervision-panel", args=[demo.sid(ESCALATION)]), **HTMX)


def table(client, demo, version):
    return client.get(reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX)


def test_each_page_shows_the_other_supervisors_watching(supervisor_client, plain_supervisor_client, demo, seen):
    seen(ESCALATION)
    panel(supervisor_client, demo)
    body = panel(plain_supervisor_client, demo).content.decode()
    assert '<span class="chip chip--watcher">supervisor</span>' in body
    assert "sam</span>" not in body  # not yourself
    assert 'chip--watcher">sam' in panel(supervisor_client, demo).content.decode()


def test_presence_is_written_at_most_every_ten_seconds_per_user_and_expires(settings):
    sid = "CF" + "2" * 32
    assert presence.presence_touch(conference_sid=sid, username="ann", now=1000.0) is True
    assert presence.presence_touch(conference_sid=sid, username="ann", now=1001.0) is False  # throttled
    assert presence.presence_touch(conference_sid=sid, username="bob", now=1002.0) is True
    assert presence.presence_watchers(conference_sid=sid, exclude="bob", now=1005.0) == ["ann"]
    assert presence.presence_watchers(conference_sid=sid, now=1000.0 + settings.SUPERVISION_PRESENCE_TTL_SECONDS) == [
        "bob"
    ]


def test_the_panel_poll_is_cheap(supervisor_client, demo, seen, django_assert_max_num_queries):
    """Measured: no upstream call and no query on a warm poll (session, user, permissions and
    the profile's number are cached), a handful of cache reads, well under 50 ms."""
    seen(ESCALATION)
    panel(supervisor_client, demo)
    demo.simulator.reset_request_log()
    with django_assert_max_num_queries(0):
        started = time.perf_counter()
        for _ in range(20):
            assert panel(supervisor_client, demo).status_code == 200
        per_poll = (time.perf_counter() - started) / 20
    assert demo.simulator.request_log == []
    assert per_poll < 0.05, per_poll


def test_the_table_refresh_stays_204_when_nothing_changed(supervisor_client, demo, seen):
    seen(ESCALATION)
    version = rosters.current_version(demo.sid(ESCALATION))
    panel(supervisor_client, demo)  # presence written: the roster version does not move
    assert rosters.current_version(demo.sid(ESCALATION)) == version
    assert table(supervisor_client, demo, version).status_code == 204


def test_an_action_in_flight_shows_in_the_row_for_others_only(supervisor_client, plain_supervisor_client, demo, seen):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    version = rosters.current_version(sid)
    flight = rosters.begin(sid, carol, actor="sam", action="mute")
    others = table(supervisor_client, demo, version).content.decode()
    assert f'id="participant-{carol}"' in others and "mute by sam, in flight" in others
    mine = table(plain_supervisor_client, demo, version).content.decode()  # sam's own page
    assert "in flight" not in mine
    version = rosters.current_version(sid)
    rosters.settle(flight)
    after = table(supervisor_client, demo, version).content.decode()
    assert f'id="participant-{carol}"' in after and "in flight" not in after


def test_the_dashboard_row_action_is_marked_for_the_duration_of_the_upstream_call(supervisor_client, demo, seen):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    seen_during_call = []
    unsubscribe = demo.simulator.subscribe(
        lambda event: seen_during_call.append(rosters.load_marks(sid).live(time.time()))
    )
    try:
        response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    finally:
        unsubscribe()
    assert response.status_code == 200
    marker = seen_during_call[0][carol][0]
    assert (marker.actor, marker.action) == ("supervisor", "mute")
    assert rosters.load_marks(sid).live(time.time()) == {}  # cleared once the view answered
    assert demo.participant(ESCALATION, "agent:carol").muted is True


def test_overlapping_actions_let_the_next_refresh_read_the_truth(demo, seen, supervisor_client):
    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    first = rosters.begin(sid, carol, actor="sam", action="mute")
    second = rosters.begin(sid, carol, actor="kim", action="unmute")  # allowed: a second supervisor may act too
    assert [m.actor for m in rosters.load_marks(sid).live(time.time())[carol]] == ["sam", "kim"]
    rosters.settle(first)
    rosters.settle(second)
    assert first.overlapped and second.overlapped
    assert cache.get(f"roster:{sid}:lease") is None  # the next refresh reconciles with Twilio
    demo.simulator.reset_request_log()
    table(supervisor_client, demo, rosters.current_version(sid))
    assert [r.operation for r in demo.simulator.request_log] == ["ListParticipant"]


def test_stale_markers_are_ignored():
    sid = "CF" + "3" * 32
    rosters.begin(sid, "CA" + "0" * 32, actor="sam", action="kick")
    assert rosters.load_marks(sid).live(time.time())
    assert rosters.load_marks(sid).live(time.time() + rosters.MARK_STALE_SECONDS + 1) == {}
