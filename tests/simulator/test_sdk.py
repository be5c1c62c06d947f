"""The official `twilio` SDK (9.13) against a running simulator: if it works here, the wire format matches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from conference_admin.simulator.engine import Simulator

from .conftest import ACCOUNT, API_KEY, API_SECRET, CALLER, TOKEN


def sdk_client(server, username: str = ACCOUNT, password: str = TOKEN) -> Client:
    client = Client(username, password, account_sid=ACCOUNT, environment={})
    # Domain.absolute_url joins base_url and the versioned path, so this redirects every call.
    client.api.base_url = server.base_url
    return client


@pytest.fixture
def client(server) -> Iterator[Client]:
    yield sdk_client(server)


def add(client: Client, conference: str, **kwargs: object):
    return client.conferences(conference).participants.create(from_=CALLER, to="+14155550100", **kwargs)


def test_create_with_repeated_status_callback_events(client: Client, sim: Simulator) -> None:
    participant = add(
        client,
        "SDK room",
        label="customer one",
        status_callback="https://example.com/status",
        status_callback_event=["initiated", "ringing", "answered"],
        early_media=True,
        beep="onEnter",
    )
    assert participant.status == "queued"
    assert participant.queue_time == "500"
    assert participant.call_sid.startswith("CA") and participant.conference_sid.startswith("CF")
    assert participant.date_created is not None and participant.date_created.tzinfo is not None
    assert sim.request_log[-1].params["StatusCallbackEvent"] == ["initiated", "ringing", "answered"]
    stored = sim.fetch_participant(ACCOUNT, participant.conference_sid, participant.call_sid)
    assert stored.status_callback_events == ("initiated", "ringing", "answered")


def test_fetch_by_sid_and_by_label_with_a_space(client: Client, clock) -> None:
    created = add(client, "SDK room", label="customer one")
    clock.advance(3)
    by_sid = client.conferences(created.conference_sid).participants(created.call_sid).fetch()
    by_label = client.conferences(created.conference_sid).participants("customer one").fetch()
    assert by_sid.call_sid == by_label.call_sid == created.call_sid
    assert by_label.status == "connected" and by_label.label == "customer one"
    assert by_sid.queue_time is None


def test_list_across_pages(client: Client, sim: Simulator) -> None:
    conference_sid = add(client, "SDK room").conference_sid
    for n in range(6):
        add(client, conference_sid, label=f"p{n}")
    sim.reset_request_log()
    everyone = client.conferences(conference_sid).participants.list(page_size=2)
    assert len(everyone) == 7
    assert sim.request_counts()["ListParticipant"] == 4
    assert len(client.conferences(conference_sid).participants.list(limit=3, page_size=2)) == 3
    streamed = [p.label for p in client.conferences(conference_sid).participants.stream(page_size=3)]
    assert streamed == [None, "p0", "p1", "p2", "p3", "p4", "p5"]


def test_pages_next_and_previous(client: Client) -> None:
    conference_sid = add(client, "SDK room").conference_sid
    for n in range(4):
        add(client, conference_sid, label=f"p{n}")
    first = client.conferences(conference_sid).participants.page(page_size=2)
    second = first.next_page()
    third = second.next_page()
    assert [p.label for p in second] == ["p1", "p2"]
    assert [p.label for p in third] == ["p3"]
    assert third.next_page() is None
    assert [p.label for p in third.previous_page()] == ["p1", "p2"]


def test_updates_mute_hold_coach_announce(client: Client, clock) -> None:
    agent = add(client, "SDK room", label="agent")
    supervisor = add(client, agent.conference_sid, label="supervisor")
    clock.advance(3)
    participants = client.conferences(agent.conference_sid).participants

    assert participants("agent").update(muted=True).muted is True
    held = participants(agent.call_sid).update(hold=True, hold_url="https://example.com/hold.mp3", hold_method="GET")
    assert held.hold is True
    participants(agent.call_sid).update(hold=False)
    coach = participants("supervisor").update(coaching=True, call_sid_to_coach=agent.call_sid)
    assert (coach.coaching, coach.call_sid_to_coach) == (True, agent.call_sid)
    announced = participants(supervisor.call_sid).update(announce_url="https://example.com/announce.xml")
    assert announced.status == "connected"
    muted_only = participants.list(muted=True)
    assert [p.call_sid for p in muted_only] == [agent.call_sid]
    assert [p.call_sid for p in participants.list(coaching=True)] == [supervisor.call_sid]


def test_delete(client: Client) -> None:
    agent = add(client, "SDK room", label="agent")
    add(client, agent.conference_sid)
    assert client.conferences(agent.conference_sid).participants("agent").delete() is True
    assert len(client.conferences(agent.conference_sid).participants.list()) == 1


def test_conferences_list_fetch_and_end(client: Client, clock) -> None:
    first = add(client, "First").conference_sid
    second = add(client, "Second").conference_sid
    add(client, first)  # a conference starts with two in it
    add(client, second)
    clock.advance(3)
    listed = client.conferences.list(status="in-progress", page_size=1)
    assert [c.sid for c in listed] == [second, first]
    assert [c.sid for c in client.conferences.list(friendly_name="First")] == [first]
    today = clock.now().date()
    assert len(client.conferences.list(date_created_after=today)) == 2
    assert client.conferences.list(date_created_before=date(2000, 1, 1)) == []

    fetched = client.conferences(first).fetch()
    assert (fetched.friendly_name, fetched.status, fetched.region) == ("First", "in-progress", "us1")
    assert fetched.subresource_uris["participants"].endswith(f"{first}/Participants.json")
    ended = client.conferences(first).update(status="completed")
    assert ended.status == "completed"
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert client.conferences(first).participants.list() == []
    assert client.conferences(second).update(announce_url="https://example.com/all.mp3").status == "in-progress"


def test_unknown_participant_raises_20404(client: Client) -> None:
    conference_sid = add(client, "SDK room").conference_sid
    with pytest.raises(TwilioRestException) as excinfo:
        client.conferences(conference_sid).participants("nobody").fetch()
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)


def test_validation_error_reaches_the_sdk(client: Client) -> None:
    with pytest.raises(TwilioRestException) as excinfo:
        client.conferences("SDK room").participants.create(from_=CALLER, to="not-a-number")
    assert (excinfo.value.status, excinfo.value.code) == (400, 21211)


def test_wrong_token_raises_20003(server) -> None:
    wrong = sdk_client(server, password="wrong")
    with pytest.raises(TwilioRestException) as excinfo:
        wrong.conferences("CF" + "0" * 32).fetch()
    assert (excinfo.value.status, excinfo.value.code) == (401, 20003)
    # Lists go through Page, which raises the base TwilioException on any non-200 page.
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        wrong.conferences.list()


def test_api_key_login(server) -> None:
    assert sdk_client(server, API_KEY, API_SECRET).conferences.list() == []
