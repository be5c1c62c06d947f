"""The bench's data generator: exact totals, and it refuses any database not named *_bench."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conference_admin.history.models import ConferenceAlert, ConferenceRecord, ParticipantSession
from conference_admin.live.models import ConferenceEvent

pytestmark = pytest.mark.django_db


def test_refuses_a_database_not_named_for_the_bench():
    with pytest.raises(CommandError, match="_bench"):
        call_command("history_bench_data", conferences=3, participants=10, big=4)
    assert not ConferenceRecord.objects.exists()


def test_generates_exactly_what_was_asked(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "ca_history_bench")
    call_command("history_bench_data", conferences=30, participants=200, big=25, stdout=StringIO())
    assert ConferenceRecord.objects.filter(ended_at__isnull=False).count() == 30
    assert ParticipantSession.objects.count() == 200
    big = ConferenceRecord.objects.get(friendly_name="Bench big conference")
    assert ParticipantSession.objects.filter(conference=big).count() == 25
    assert ConferenceEvent.objects.filter(conference_sid=big.sid, event="participant-join").count() == 25


def test_alerts_fired_are_generated_with_their_list_text(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "ca_history_bench")
    call_command("history_bench_data", conferences=30, participants=200, big=25, stdout=StringIO())
    big = ConferenceRecord.objects.get(friendly_name="Bench big conference")
    texts = list(ConferenceAlert.objects.filter(conference=big).values_list("text", flat=True))
    assert len(texts) == 12 and big.alerts_fired == "; ".join(texts)
    for record in ConferenceRecord.objects.exclude(alerts_fired=""):
        assert record.alerts_fired == "; ".join(record.alerts.values_list("text", flat=True))
