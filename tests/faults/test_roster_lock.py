"""The lock around every roster write (conference_admin.cache.exclusive): owned by a token,
released only by its owner, and a write only while it is still held.

Against a private redis-server of the test's own; and the same calls while Redis is down,
where the section is this process's own (its threads, its memory)."""

from __future__ import annotations

import html
import shutil
import threading
import time

import pytest
from django.core.cache import caches

from conference_admin.cache import LockLost, LockUnavailable, ProcessHeld, ResilientRedisCache, exclusive

from .infrastructure import PrivateRedis, closed_port

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


@pytest.fixture
def redis_backend():
    server = PrivateRedis(closed_port())
    server.start()
    try:
        yield ResilientRedisCache(f"redis://127.0.0.1:{server.port}/0", {}), server
    finally:
        server.stop()


def _lock_owner(backend: ResilientRedisCache, name: str):
    return backend._cache.get_client(write=True).get(backend.make_key(name))


@needs_redis
def test_a_holder_whose_lock_expired_writes_nothing_and_frees_nothing(redis_backend):
    backend, _ = redis_backend
    first = exclusive(backend, "roster:CF1:lock", ttl=0.2, wait=1).__enter__()
    first.set_many({"roster:CF1": "first, while held"}, timeout=60)
    time.sleep(0.35)  # paused past its lock's expiry
    second = exclusive(backend, "roster:CF1:lock", ttl=5, wait=1).__enter__()
    with pytest.raises(LockLost):
        first.set_many({"roster:CF1": "first, after expiry"}, timeout=60)
    first.__exit__(None, None, None)  # must not free the second holder's lock
    assert _lock_owner(backend, "roster:CF1:lock") == second.lock.local.token
    assert second.get_many(["roster:CF1"]) == {"roster:CF1": "first, while held"}
    second.set_many({"roster:CF1": "second", "roster:CF1:meta": 7}, timeout=60)
    second.__exit__(None, None, None)
    assert _lock_owner(backend, "roster:CF1:lock") is None
    assert backend.get_many(["roster:CF1", "roster:CF1:meta"]) == {"roster:CF1": "second", "roster:CF1:meta": 7}
    assert 0 < backend._cache.get_client().ttl(backend.make_key("roster:CF1")) <= 60


@needs_redis
def test_a_writer_that_cannot_have_the_lock_in_time_is_refused(redis_backend):
    backend, _ = redis_backend
    with exclusive(backend, "roster:CF2:lock", ttl=5, wait=1):
        started = time.monotonic()
        with pytest.raises(LockUnavailable):
            exclusive(backend, "roster:CF2:lock", ttl=5, wait=0.3).__enter__()
        assert 0.25 <= time.monotonic() - started < 2
    with exclusive(backend, "roster:CF2:lock", ttl=5, wait=0.3) as held:  # released: free again
        held.set_many({"roster:CF2": 1}, timeout=60)


@needs_redis
def test_redis_failing_before_the_write_writes_nothing(redis_backend):
    backend, server = redis_backend
    held = exclusive(backend, "roster:CF3:lock", ttl=5, wait=1).__enter__()
    server.stop()
    with pytest.raises(LockLost):
        held.set_many({"roster:CF3": "lost"}, timeout=60)
    held.__exit__(None, None, None)  # no error: the lock expires on its own
    assert backend.degraded
    assert backend._local.get("roster:CF3") is None  # not written to the fallback either


def test_while_redis_is_down_the_section_is_this_processes_own():
    backend = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/0", {})
    order: list[str] = []
    with exclusive(backend, "roster:CF4:lock", ttl=5, wait=1) as held:
        assert backend.degraded and held.local is not None
        held.set_many({"roster:CF4": "kept in this process"}, timeout=60)

        def other_thread() -> None:
            try:
                exclusive(backend, "roster:CF4:lock", ttl=5, wait=0.2).__enter__()
            except LockUnavailable:
                order.append("refused while held")

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(5)
    assert order == ["refused while held"]
    assert backend._local.get("roster:CF4") == "kept in this process"


def test_the_embedded_default_locks_among_threads():
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        pytest.skip("the embedded default's cache is local memory")
    held = exclusive(backend, "roster:CF5:lock", ttl=5, wait=1)
    assert isinstance(held, ProcessHeld)
    entered, seen = threading.Event(), []

    def waiter() -> None:
        with exclusive(backend, "roster:CF5:lock", ttl=5, wait=5) as second:
            seen.append(second.get_many(["roster:CF5"]))

    with held:
        thread = threading.Thread(target=waiter)
        thread.start()
        entered.wait(0.2)
        held.set_many({"roster:CF5": "first"}, timeout=60)
        assert not seen  # the waiter is still waiting
    thread.join(5)
    assert seen == [{"roster:CF5": "first"}]


# --- what a person reads when the roster stays locked too long -------------------------------


class StalledHolder:
    """A writer stuck inside one conference's roster section (a paused process)."""

    def __init__(self, conference_sid: str) -> None:
        from conference_admin.live import roster as rosters

        self.name = rosters.key(conference_sid, "lock")
        self.taken, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        with exclusive(caches["default"], self.name, ttl=30, wait=5):
            self.taken.set()
            self.release.wait(20)

    def start(self) -> None:
        self.thread.start()
        assert self.taken.wait(5)

    def stop(self) -> None:
        self.release.set()
        self.thread.join(10)


@pytest.fixture
def busy(supervisor_client, monkeypatch):
    from conference_admin.live.roster import store

    monkeypatch.setattr(store, "LOCK_WAIT", 0.3)
    supervisor_client.raise_request_exception = False  # answer as the server would
    holders: list[StalledHolder] = []

    def hold(conference_sid: str) -> StalledHolder:
        holder = StalledHolder(conference_sid)
        holders.append(holder)
        holder.start()
        return holder

    yield hold
    for holder in holders:
        holder.stop()


def test_an_action_while_the_roster_stays_locked_sends_nothing_and_says_so(supervisor_client, demo, seen, busy):
    from django.urls import reverse

    from conference_admin.audit.models import AuditRecord

    from .conftest import ESCALATION, HTMX

    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    busy(sid).taken.wait()
    response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    assert response.status_code == 200
    assert "live state is busy: nothing was sent to Twilio" in html.unescape(response.content.decode())
    assert demo.participant(ESCALATION, "agent:carol").muted is False
    assert not demo.simulator.request_log and not AuditRecord.objects.filter(action="mute").exists()


def test_an_action_whose_result_cannot_be_written_says_it_was_sent(supervisor_client, demo, seen, busy, monkeypatch):
    from django.urls import reverse

    from conference_admin.audit.models import AuditRecord
    from conference_admin.dashboard import services

    from .conftest import ESCALATION, HTMX

    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    real = services.get_twilio_client

    class LockedAfterTheCall:  # the real client; the roster is locked once Twilio has answered
        def __init__(self) -> None:
            self.client = real()

        def update_participant(self, *args, **kwargs):
            answer = self.client.update_participant(*args, **kwargs)
            busy(sid)
            return answer

    monkeypatch.setattr(services, "get_twilio_client", LockedAfterTheCall)
    response = supervisor_client.post(reverse("participant", args=[sid, carol]), {"action": "mute"}, **HTMX)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Sent to Twilio (see the audit trail), but this conference's live state is busy" in text
    # Twilio applied it and the audit trail says so; nothing in the roster was half-written.
    assert demo.participant(ESCALATION, "agent:carol").muted is True
    assert AuditRecord.objects.get(action="mute").outcome == "ok"


def test_a_refresh_after_a_busy_write_lists_twilios_truth(supervisor_client, demo, seen, busy):
    """A webhook that could not be written answers 503 (the one sentence) and releases the
    reconcile lease: the next refresh lists the participants from Twilio."""
    from django.urls import reverse

    from conference_admin.live import roster as rosters

    from .conftest import ESCALATION, HTMX

    seen(ESCALATION)
    sid, carol = demo.sid(ESCALATION), demo.call_sid(ESCALATION, "agent:carol")
    # Changed at Twilio; the callback that says so cannot be written.
    demo.simulator.update_participant(demo.simulator.account_sid, sid, carol, {"Muted": "true"})
    holder = busy(sid)
    with pytest.raises(rosters.RosterBusy):
        rosters.participant_updated(sid, call_sid=carol, sequence=None, fields={"muted": True})
    holder.stop()
    table = supervisor_client.get(reverse("participant-table", args=[sid]), **HTMX)
    assert table.status_code == 200 and "Unmute agent:carol" in table.content.decode()
