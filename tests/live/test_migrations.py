"""Data migrations of the live app, run forwards on a database holding old rows."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .callback_helpers import ALICE, CONFERENCE

BEFORE = [("live", "0001_initial")]
AFTER = [("live", "0002_drop_replayed_callbacks")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_replayed_callbacks_stored_before_are_kept_once():
    old = _migrate(BEFORE)
    Event = old.get_model("live", "ConferenceEvent")
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    mute = {"CallSid": ALICE, "SequenceNumber": "2", "Muted": "true", "StatusCallbackEvent": "participant-mute"}

    def stored(key, event="participant-mute", detail=mute, source="twilio"):
        return Event.objects.create(
            conference_sid=CONFERENCE,
            event=event,
            call_sid=ALICE,
            occurred_at=at,
            source=source,
            detail=detail,
            delivery_key=key,
        ).pk

    original = stored("a")
    for key in "bcd":  # the same delivery with 2, 3 and 4 copies of AccountSid: other keys, same content
        stored(key)
    later = stored("e", detail={**mute, "SequenceNumber": "3"})
    unmute = stored("f", event="participant-unmute", detail={**mute, "StatusCallbackEvent": "participant-unmute"})
    action = stored("g", source="dashboard", detail={})
    action_again = stored("h", source="dashboard", detail={})
    try:
        new = _migrate(AFTER)
        kept = set(new.get_model("live", "ConferenceEvent").objects.values_list("id", flat=True))
        assert kept == {original, later, unmute, action, action_again}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # the schema the other tests expect
