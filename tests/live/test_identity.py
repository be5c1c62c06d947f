"""Who is on each call: fetched once per call, in the background, shared by every process."""

import threading
import time

import pytest

from conference_admin.live import identity, roster
from conference_admin.live.callbacks import receive_conference_callback
from conference_admin.live.roster import CallIdentity
from conference_admin.twilio import Call, Participant, TwilioApiError, TwilioUnreachable

from .callback_helpers import conference_event

CONFERENCE = "CF" + "cd" * 16


def person(n, **fields):
    values = {"call_sid": f"CA{n:032x}", "conference_sid": CONFERENCE, "status": "connected", "muted": False}
    values.update(fields)
    return Participant(**values)


def inbound(call_sid, number="+14155550101"):
    return Call(
        sid=call_sid,
        from_=number,
        to="+15005550006",
        from_formatted="(415) 555-0101",
        to_formatted="(500) 555-0006",
        direction="inbound",
        caller_name="WHITFIELD DANA",
    )


class FakeFetch:
    """FetchCall as Twilio answers it, counting requests; `fail` makes the next ones fail."""

    def __init__(self, *, delay=0.0, fail=0, error=None):
        self.calls: list[str] = []
        self.delay = delay
        self.fail = fail
        self.error = error or TwilioUnreachable("Twilio could not be reached.")
        self.lock = threading.Lock()

    def __call__(self, call_sid):
        with self.lock:
            self.calls.append(call_sid)
            failing = self.fail > 0
            self.fail -= 1
        time.sleep(self.delay)
        if failing:
            raise self.error
        return inbound(call_sid)


@pytest.fixture
def fetch(monkeypatch):
    fake = FakeFetch()
    monkeypatch.setattr(identity, "_fetch_call", fake)
    return fake


def entry(call_sid):
    return roster.load(CONFERENCE).entries[call_sid]


def test_a_new_participant_gets_its_identity_in_the_background_once(fetch, call_identity):
    sid = person(1).call_sid
    written = roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    assert fetch.calls == []  # nothing fetched while the roster was written
    assert written.names() == {sid: sid}  # the row shows the call SID until the identity arrives
    version = written.version

    call_identity.run()
    known = entry(sid)
    assert fetch.calls == [sid]
    assert known.identity == CallIdentity(
        "+14155550101", "+15005550006", "(415) 555-0101", "(500) 555-0006", "inbound", "WHITFIELD DANA"
    )
    assert known.identity.number == "+14155550101"  # inbound: the caller's number
    assert known.changed_version > version  # every page's next poll gets the row again
    assert roster.load(CONFERENCE).names() == {sid: "+14155550101"}

    # Later reconciles, joins and actions never fetch it again.
    roster.reconcile(CONFERENCE, [person(1, muted=True)], started_at=time.time())
    roster.record_participant(CONFERENCE, person(1, hold=True), held_now=True)
    call_identity.run()
    assert fetch.calls == [sid]


def test_two_threads_racing_for_one_call_fetch_it_once(fetch, call_identity):
    fetch.delay = 0.2  # slow enough that both are inside at once
    sid = person(1).call_sid
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    identity.learn(CONFERENCE, [sid])  # e.g. the join callback, handled by another process
    tasks = list(call_identity.tasks)
    call_identity.tasks.clear()
    assert len(tasks) == 2
    threads = [threading.Thread(target=task) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fetch.calls == [sid]
    assert entry(sid).identity.number == "+14155550101"


def test_an_identity_known_already_is_used_by_another_conference_without_a_fetch(fetch, call_identity):
    sid = person(1).call_sid
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    call_identity.run()
    other = "CF" + "ef" * 16
    roster.reconcile(other, [person(1, conference_sid=other)], started_at=time.time())
    call_identity.run()
    assert roster.load(other).entries[sid].identity.number == "+14155550101"
    assert fetch.calls == [sid]


def test_a_failed_fetch_shows_the_call_sid_and_is_retried_later_with_backoff(fetch, call_identity, monkeypatch):
    fetch.fail = 1
    sid = person(1).call_sid
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    call_identity.run()
    assert fetch.calls == [sid]
    assert entry(sid).identity is None and roster.load(CONFERENCE).names() == {sid: sid}

    # The next reconcile comes before the backoff has passed: no new attempt.
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    call_identity.run()
    assert fetch.calls == [sid]

    # Once it has passed, a reconcile retries, and the row gets the number.
    attempts, not_before = identity.cache.get(identity.key(sid, "failed"))
    assert attempts == 1 and not_before >= time.time() + identity.RETRY_SECONDS - 1
    monkeypatch.setattr(identity, "_now", lambda: not_before + 1)
    roster.reconcile(CONFERENCE, [person(1)], started_at=not_before + 1)
    call_identity.run()
    assert fetch.calls == [sid, sid]
    assert entry(sid).identity.number == "+14155550101"


def test_retries_stop_after_the_limit(fetch, call_identity, monkeypatch):
    fetch.fail = 100
    monkeypatch.setattr(identity, "RETRY_SECONDS", 0)
    sid = person(1).call_sid
    for _ in range(identity.MAX_ATTEMPTS + 3):
        roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
        call_identity.run()
    assert len(fetch.calls) == identity.MAX_ATTEMPTS
    assert entry(sid).identity is None


def test_the_retry_waits_double_up_to_the_cap_and_stop_at_the_limit(fetch, call_identity, monkeypatch):
    """The rule of the retries, step by step: after the n-th failure the next reconcile may try
    again once RETRY_SECONDS * 2**(n-1) have passed (at most RETRY_MAX_SECONDS), not a moment
    sooner; after MAX_ATTEMPTS failures never again."""
    fetch.fail = 100
    monkeypatch.setattr(identity, "RETRY_MAX_SECONDS", 30)  # reached within the attempts
    now = [1_000_000.0]
    monkeypatch.setattr(identity, "_now", lambda: now[0])
    sid = person(1).call_sid

    def reconcile_at(at: float) -> int:
        now[0] = at
        roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
        call_identity.run()
        return len(fetch.calls)

    assert identity.RETRY_SECONDS == 10 and identity.MAX_ATTEMPTS == 5
    waits = [10, 20, 30, 30]  # after failures 1..4: doubling, then the cap
    at = now[0]
    assert reconcile_at(at) == 1
    for attempt, wait in enumerate(waits, start=2):
        assert reconcile_at(at + wait - 0.5) == attempt - 1, f"retried before {wait} s had passed"
        assert reconcile_at(at + wait) == attempt, f"not retried once {wait} s had passed"
        at += wait
    assert identity.cache.get(identity.key(sid, "failed"))[0] == identity.MAX_ATTEMPTS
    assert reconcile_at(at + 100_000) == identity.MAX_ATTEMPTS  # the limit: never again
    assert entry(sid).identity is None and roster.load(CONFERENCE).names() == {sid: sid}


def test_a_call_twilio_does_not_know_is_not_asked_for_again(fetch, call_identity, monkeypatch):
    fetch.fail, fetch.error = 100, TwilioApiError("Not found", status=404, code=20404)
    monkeypatch.setattr(identity, "RETRY_SECONDS", 0)
    for _ in range(3):
        roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
        call_identity.run()
    assert len(fetch.calls) == 1


def test_the_join_callback_finds_the_identity_in_the_background(fetch, call_identity, settings, db):
    from .callback_helpers import ALICE
    from .callback_helpers import CONFERENCE as ROOM

    class Params(dict):
        def getlist(self, key):
            return [self[key]]

    receive_conference_callback(Params(conference_event("participant-join", 1, call_sid=ALICE)))
    assert fetch.calls == [] and roster.load(ROOM).entries[ALICE].identity is None
    call_identity.run()
    assert fetch.calls == [ALICE]
    assert roster.load(ROOM).entries[ALICE].identity.number == "+14155550101"
    # A mute callback of the same participant fetches nothing.
    receive_conference_callback(Params(conference_event("participant-mute", 2, call_sid=ALICE, muted=True)))
    call_identity.run()
    assert fetch.calls == [ALICE]


def test_a_dial_out_knows_whom_it_dialled_and_fetches_nothing(fetch, call_identity):
    sid = person(1).call_sid
    dialled = CallIdentity(from_="+15005550006", to="client:agent-7", direction="outbound-api")
    roster.record_participant(CONFERENCE, person(1), identity=dialled)
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    call_identity.run()
    assert fetch.calls == []
    assert entry(sid).identity.number == "client:agent-7"  # outbound: whom it dialled


def test_the_thread_pool_runs_tasks_off_the_caller(fetch):
    """Outside tests' deferred mode, `learn` returns at once and a worker thread fetches."""
    fetch.delay = 0.3
    sid = person(1).call_sid
    pool = identity._Pool()
    previous, identity._pool = identity._pool, pool
    try:
        started = time.monotonic()
        roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
        assert time.monotonic() - started < fetch.delay  # the write did not wait for the fetch
        pool.drain()
    finally:
        identity._pool = previous
    assert fetch.calls == [sid] and entry(sid).identity.number == "+14155550101"
