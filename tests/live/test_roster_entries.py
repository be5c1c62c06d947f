"""A stored roster's entries are pickled one by one: a write on one participant unpickles that
one, and stores the others back as the bytes they were read as."""

from __future__ import annotations

import pickle
import time
from dataclasses import replace

from conference_admin.live import roster as rosters
from conference_admin.live.roster.model import Entries, Roster, RosterEntry
from conference_admin.twilio import Participant

CONFERENCE = "CF" + "ee" * 16


def person(n: int, **fields) -> Participant:
    values = {"call_sid": f"CA{n:032x}", "conference_sid": CONFERENCE, "label": f"agent:{n}", "status": "connected"}
    return Participant(**{**values, "muted": False, "hold": False, **fields})


def room(size: int) -> Roster:
    roster = Roster(conference_sid=CONFERENCE, version=size)
    for n in range(1, size + 1):
        roster.entries[person(n).call_sid] = RosterEntry(person(n), changed_version=n, created_version=n)
    return roster


def unread(entries: Entries) -> set[str]:
    """The call SIDs whose entries are still the bytes they were stored as."""
    return {sid for sid, value in entries._items.items() if isinstance(value, tuple)}


def test_a_loaded_roster_unpickles_only_the_entries_read():
    loaded = pickle.loads(pickle.dumps(room(50)))
    assert isinstance(loaded.entries, Entries) and len(unread(loaded.entries)) == 50
    third = person(3).call_sid
    assert loaded.entries[third].participant == person(3)
    assert unread(loaded.entries) == {sid for sid in loaded.entries if sid != third}
    assert loaded == room(50)  # the same roster, however much of it was read


def test_entries_not_read_are_stored_again_as_they_were_read():
    stored = pickle.loads(pickle.dumps(room(20)))
    before = stored.entries.stored()
    third = person(3).call_sid
    stored.entries[third].participant = replace(stored.entries[third].participant, muted=True)
    after = stored.entries.stored()
    assert [sid for sid in after if after[sid][2] is not before[sid][2]] == [third]  # the others: the same bytes
    again = pickle.loads(pickle.dumps(stored))
    assert again.entries[third].participant.muted is True
    assert [e.participant for e in again.entries.values()] == [replace(person(n), muted=n == 3) for n in range(1, 21)]


def test_a_refresh_finds_the_changed_rows_without_unpickling_the_others():
    loaded = pickle.loads(pickle.dumps(room(30)))
    changed, gone = loaded.changes_since(28)
    assert [e.participant.call_sid for e in changed] == [person(29).call_sid, person(30).call_sid]
    assert gone == [] and len(unread(loaded.entries)) == 28


def test_removed_and_added_entries_are_stored_and_loaded():
    loaded = pickle.loads(pickle.dumps(room(5)))
    del loaded.entries[person(2).call_sid]
    loaded.entries[person(9).call_sid] = RosterEntry(person(9), changed_version=9, created_version=9)
    again = pickle.loads(pickle.dumps(loaded))
    assert list(again.entries) == [person(n).call_sid for n in (1, 3, 4, 5, 9)]
    assert person(2).call_sid not in again.entries and again.entries[person(9).call_sid].created_version == 9


def test_a_roster_stored_by_the_release_before_still_loads(monkeypatch):
    """Rosters in Redis during an upgrade were pickled with their entries in one dict."""
    with monkeypatch.context() as earlier:
        earlier.setattr(Roster, "__getstate__", lambda self: self.__dict__.copy())  # that release's pickling
        stored = pickle.dumps(room(3))
    assert b"stored_entries" not in stored
    loaded = pickle.loads(stored)
    assert loaded == room(3) and type(loaded.entries) is dict
    assert isinstance(pickle.loads(pickle.dumps(loaded)).entries, Entries)  # its next write stores it anew


def test_the_store_writes_one_participant_without_touching_the_others():
    rosters.reconcile(CONFERENCE, [person(n) for n in range(1, 11)], started_at=time.time())
    recorded = rosters.record_participant(CONFERENCE, person(4, muted=True))
    assert isinstance(recorded.entries, Entries)
    assert unread(recorded.entries) == {person(n).call_sid for n in range(1, 11) if n != 4}
    assert rosters.load(CONFERENCE).entries[person(4).call_sid].participant.muted is True


def test_entries_read_but_unchanged_are_stored_as_read_and_changed_ones_anew():
    loaded = pickle.loads(pickle.dumps(room(6)))
    before = loaded.entries.stored()
    for entry in loaded.entries.values():  # a reconcile reads everyone
        entry.participant = replace(entry.participant)  # an equal answer from Twilio's list
    fourth, fifth = person(4).call_sid, person(5).call_sid
    loaded.entries[fourth].fresh_at = 12.5  # changed in place
    loaded.entries[fifth] = replace(loaded.entries[fifth], speaking=True)  # replaced
    after = loaded.entries.stored()
    assert {sid for sid in after if after[sid][2] is not before[sid][2]} == {fourth, fifth}
    again = pickle.loads(pickle.dumps(loaded))
    assert again.entries[fourth].fresh_at == 12.5 and again.entries[fifth].speaking is True
    assert again == loaded
