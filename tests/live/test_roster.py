import threading
import time

import pytest

from conference_admin.live import roster
from conference_admin.twilio import Participant

CONFERENCE = "CF" + "cd" * 16


def person(n, **fields):
    values = {
        "call_sid": f"CA{n:032x}",
        "conference_sid": CONFERENCE,
        "label": f"person {n}",
        "status": "connected",
        "muted": False,
        "hold": False,
    }
    values.update(fields)
    return Participant(**values)


def ensure_fresh(conference_sid, fetch, on_error=None):
    """The roster, reconciled first if its interval has passed (what a page load does)."""
    roster.refresh(conference_sid, fetch, on_error=on_error)
    return roster.load(conference_sid) or roster.Roster(conference_sid=conference_sid)


def test_version_moves_only_when_something_visible_changed():
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    first = roster.current_version(CONFERENCE)
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    assert roster.current_version(CONFERENCE) == first
    roster.reconcile(CONFERENCE, [person(1, muted=True), person(2)], started_at=time.time())
    assert roster.current_version(CONFERENCE) == first + 1


def test_speech_moves_the_version_so_every_page_shows_who_speaks():
    """Speaking is shown on the row: starting or stopping moves the version (the poll and the
    stream compare versions only) and the row is among the changes; the same news again does not."""
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=time.time())
    base = roster.current_version(CONFERENCE)
    speaker = person(1).call_sid

    def speech(sequence: int, speaking: bool):
        return roster.participant_speaking(
            CONFERENCE, call_sid=speaker, sequence=sequence, speaking=speaking, fields={}
        )

    started = speech(2, True)
    assert started.version == roster.current_version(CONFERENCE) == base + 1
    changed, gone = started.changes_since(base)
    assert [(entry.participant.call_sid, entry.speaking) for entry in changed] == [(speaker, True)] and gone == []
    assert speech(3, True).version == base + 1  # no news: no new version
    stopped = speech(4, False)
    assert stopped.version == roster.current_version(CONFERENCE) == base + 2
    changed, _ = stopped.changes_since(base + 1)
    assert [(entry.participant.call_sid, entry.speaking) for entry in changed] == [(speaker, False)]


def test_changes_since_lists_changed_rows_and_departures():
    roster.reconcile(CONFERENCE, [person(1), person(2), person(3)], started_at=time.time())
    base = roster.current_version(CONFERENCE)
    roster.record_participant(CONFERENCE, person(2, hold=True))
    roster.record_participant(CONFERENCE, person(4))
    roster.record_removed(CONFERENCE, person(4).call_sid)  # came and went since `base`
    current = roster.record_removed(CONFERENCE, person(3).call_sid)
    changed, gone = current.changes_since(base)
    assert [entry.participant.call_sid for entry in changed] == [person(2).call_sid]
    assert set(gone) == {person(3).call_sid, person(4).call_sid}
    # ...but only person 3 was there at `base`; person 4 may never have been shown.
    assert not current.appeared_after(person(3).call_sid, base)
    assert current.appeared_after(person(4).call_sid, base)
    assert current.changes_since(current.version) == ([], [])
    assert current.changes_since(current.version + 5) is None  # a browser from the future: resend all


def test_hold_start_is_remembered_while_held():
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    entry = roster.record_participant(CONFERENCE, person(1, hold=True), held_now=True).entries[person(1).call_sid]
    held = entry.hold_since
    assert held is not None and entry.hold_start_exact
    again = (
        roster.record_participant(CONFERENCE, person(1, hold=True, muted=True)).entries[person(1).call_sid].hold_since
    )
    assert again == held
    assert roster.record_participant(CONFERENCE, person(1)).entries[person(1).call_sid].hold_since is None


def test_reconcile_does_not_undo_a_callback_newer_than_the_list():
    started = time.time()
    roster.reconcile(CONFERENCE, [person(1)], started_at=started)
    # A callback lands while a slow list call is in flight...
    later = time.time() - 1  # list call started before the callback arrived
    roster.participant_updated(CONFERENCE, call_sid=person(1).call_sid, sequence=7, fields={"muted": True})
    roster.participant_joined(
        CONFERENCE, call_sid=person(2).call_sid, sequence=8, fields={"label": person(2).label, "muted": False}
    )
    current = roster.reconcile(CONFERENCE, [person(1, muted=False)], started_at=later)
    assert current.entries[person(1).call_sid].participant.muted is True
    assert person(2).call_sid in current.entries


def test_single_flight_one_fetch_for_many_concurrent_viewers(settings):
    settings.ROSTER_POLL_INTERVAL_SECONDS = 60
    calls = []
    barrier = threading.Barrier(20)

    def fetch():
        calls.append(1)
        time.sleep(0.05)
        return [person(1)], None

    def viewer():
        barrier.wait()
        ensure_fresh(CONFERENCE, fetch)

    threads = [threading.Thread(target=viewer, daemon=True) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(calls) == 1
    assert roster.load(CONFERENCE).entries


def test_a_new_interval_allows_the_next_reconcile(settings):
    settings.ROSTER_POLL_INTERVAL_SECONDS = 60
    calls = []
    ensure_fresh(CONFERENCE, lambda: calls.append(1) or ([person(1)], None))
    ensure_fresh(CONFERENCE, lambda: calls.append(1) or ([person(1)], None))
    assert len(calls) == 1
    roster.release_reconcile(CONFERENCE)  # what the lease expiry does after the interval
    ensure_fresh(CONFERENCE, lambda: calls.append(1) or ([person(1)], None))
    assert len(calls) == 2


def test_callbacks_switch_the_interval(settings):
    settings.ROSTER_POLL_INTERVAL_SECONDS = 5
    settings.ROSTER_CALLBACK_INTERVAL_SECONDS = 60
    assert roster.refresh_interval(None) == 5
    current = roster.conference_started(CONFERENCE, sequence=1)
    assert current.mode == "callbacks"
    assert roster.refresh_interval(current) == 60


def test_fetch_failure_is_recorded_not_raised():
    current = ensure_fresh(
        CONFERENCE, lambda: (_ for _ in ()).throw(ConnectionError("down")), on_error=lambda exc: "Twilio unreachable"
    )
    assert current.last_error == "Twilio unreachable"
    roster.release_reconcile(CONFERENCE)
    assert ensure_fresh(CONFERENCE, lambda: ([person(1)], None)).last_error is None


def test_ended_conference_is_never_reconciled_again():
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    roster.conference_ended(CONFERENCE, sequence=None, reason="conference-ended-via-api")
    roster.release_reconcile(CONFERENCE)
    calls = []
    current = ensure_fresh(CONFERENCE, lambda: calls.append(1) or ([], None))
    assert current.ended and calls == []


def test_beep_on_exit_is_remembered_and_counts_as_a_change():
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    before = roster.current_version(CONFERENCE)
    current = roster.record_participant(CONFERENCE, person(1), beep_on_exit=False)
    assert current.entries[person(1).call_sid].beep_on_exit is False
    assert current.version == before + 1


@pytest.mark.django_db
def test_refresh_is_cheap_when_nothing_is_due(settings, django_assert_num_queries):
    settings.ROSTER_POLL_INTERVAL_SECONDS = 60
    roster.refresh(CONFERENCE, lambda: ([person(1)], None))
    with django_assert_num_queries(0):
        meta = roster.refresh(CONFERENCE, lambda: (_ for _ in ()).throw(AssertionError("no upstream call")))
    assert meta.version == roster.current_version(CONFERENCE)


def test_a_list_that_started_before_an_action_does_not_undo_it():
    started = time.time()
    roster.reconcile(CONFERENCE, [person(1), person(2)], started_at=started)
    in_flight_since = time.time()  # a reconcile list call leaves now...
    roster.record_participant(CONFERENCE, person(1, muted=True))  # ...the supervisor mutes...
    roster.record_removed(CONFERENCE, person(2).call_sid)  # ...and kicks someone...
    current = roster.reconcile(CONFERENCE, [person(1, muted=False), person(2)], started_at=in_flight_since)
    assert current.entries[person(1).call_sid].participant.muted is True  # ...and the stale list lands
    assert person(2).call_sid not in current.entries


def test_a_callback_stamped_before_an_action_does_not_undo_it():
    from datetime import UTC, datetime, timedelta

    from django.core.cache import cache

    acted = datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC)
    call_sid = person(1).call_sid
    roster.reconcile(CONFERENCE, [person(1)], started_at=time.time())
    roster.record_participant(CONFERENCE, person(1, muted=True, date_updated=acted))
    # The join, delivered late: it says "unmuted", as the participant was before the mute.
    late = roster.participant_joined(
        CONFERENCE, call_sid=call_sid, sequence=1, fields={"muted": False, "date_updated": acted - timedelta(seconds=4)}
    )
    assert late.entries[call_sid].participant.muted is True
    # The mute's own callback, same second, says what the row already shows: applied.
    confirmed = roster.participant_updated(
        CONFERENCE, call_sid=call_sid, sequence=2, fields={"muted": True, "date_updated": acted}
    )
    assert confirmed.entries[call_sid].last_sequence == 2
    # Same second, different state: before or after the mute cannot be told, so the row keeps
    # the mute and Twilio's list is asked at the next refresh (the reconcile lease is released).
    cache.set(roster.key(CONFERENCE, "lease"), 1)
    same_second = roster.participant_updated(
        CONFERENCE, call_sid=call_sid, sequence=3, fields={"muted": False, "date_updated": acted}
    )
    assert same_second.entries[call_sid].participant.muted is True
    assert cache.get(roster.key(CONFERENCE, "lease")) is None
    # Newer than the action: applied as usual.
    newer = roster.participant_updated(
        CONFERENCE, call_sid=call_sid, sequence=4, fields={"muted": False, "date_updated": acted + timedelta(seconds=1)}
    )
    assert newer.entries[call_sid].participant.muted is False


def test_delta_tells_rows_to_replace_add_delete_and_maybe_delete():
    roster.reconcile(CONFERENCE, [person(1), person(2), person(3)], started_at=time.time())
    base = roster.current_version(CONFERENCE)
    roster.record_participant(CONFERENCE, person(1, muted=True))
    roster.record_participant(CONFERENCE, person(5))
    roster.record_participant(CONFERENCE, person(4))
    roster.record_removed(CONFERENCE, person(4).call_sid)
    current = roster.record_removed(CONFERENCE, person(2).call_sid)
    delta = current.delta_since(base)
    assert [e.participant.call_sid for e in delta.changed] == [person(1).call_sid]
    assert [e.participant.call_sid for e in delta.arrived] == [person(5).call_sid]
    assert delta.gone == [person(2).call_sid] and delta.gone_unseen == [person(4).call_sid]
    assert current.delta_since(current.version + 1) is None
