"""History records each participant's number and direction once caller identity finds them, so
the conference report shows them and search finds a conference by a participant's number."""

import time

import pytest
from django.http import QueryDict

from conference_admin.history.models import ParticipantSession
from conference_admin.history.selectors import SearchCriteria, conference_report, history_search
from conference_admin.live import callbacks, identity, roster
from conference_admin.live.roster import CallIdentity
from tests.live.callback_helpers import ALICE, CONFERENCE, conference_event
from tests.live.test_identity import FakeFetch, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def fetch(monkeypatch):
    fake = FakeFetch()
    monkeypatch.setattr(identity, "_fetch_call", fake)
    return fake


def receive(params):
    form = QueryDict(mutable=True)
    form.update(params)
    return callbacks.receive_conference_callback(form)


def test_a_joined_callers_number_and_direction_reach_history_and_search(fetch, call_identity):
    receive(conference_event("participant-join", 1, call_sid=ALICE, label="customer:alice"))
    assert ParticipantSession.objects.get(call_sid=ALICE).number == ""  # not known yet
    call_identity.run()
    session = ParticipantSession.objects.get(call_sid=ALICE)
    assert (session.number, session.direction) == ("+14155550101", "inbound")

    report = conference_report(conference_sid=CONFERENCE)
    assert any(p.number == "+14155550101" and p.direction == "inbound" for p in report.participants)
    for typed in ("+14155550101", "(415) 555-0101", "555-0101"):
        found = history_search(criteria=SearchCriteria(participant=typed))
        assert [row.record.sid for row in found.object_list] == [CONFERENCE], typed
    assert not history_search(criteria=SearchCriteria(participant="(212) 555-0199")).object_list


def test_a_reconcile_finds_them_too_and_a_dial_out_records_whom_it_dialled(fetch, call_identity):
    from conference_admin.twilio import Participant

    other = "CF" + "cd" * 16
    roster.reconcile(other, [person(1)], started_at=time.time())
    call_identity.run()
    assert ParticipantSession.objects.get(call_sid=person(1).call_sid).number == "+14155550101"

    dialled = Participant(call_sid="CA" + "d1" * 16, conference_sid=other, label="agent:7", status="queued")
    roster.record_participant(
        other, dialled, identity=CallIdentity("+15005550006", "client:agent-7", direction="outbound-api")
    )
    session = ParticipantSession.objects.get(call_sid=dialled.call_sid)
    assert (session.number, session.direction) == ("client:agent-7", "outbound-api")
    call_identity.run()
    assert fetch.calls == [person(1).call_sid]
