"""The event stream of one conference page: the page's authorization, the poll's rows, on time."""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group
from django.test import AsyncClient, Client
from django.urls import reverse

from conference_admin.access.roles import LEAD, OBSERVER, assign_role
from conference_admin.dashboard import services
from conference_admin.live import roster as rosters

from ..dashboard.conftest import ESCALATION, SALES
from .conftest import run_async
from .streams import read_stream, read_streams, roster_events

pytestmark = pytest.mark.django_db(transaction=True)  # the streams' threads read the users too


@pytest.fixture
def lead(client, django_user_model):
    user = django_user_model.objects.create_user("lead")
    assign_role(user, LEAD)
    client.force_login(user)
    return user


def events_url(demo, name: str = ESCALATION) -> str:
    return reverse("conference-events", args=[demo.sid(name)])


def page_version(client, demo, name: str = ESCALATION) -> int:
    assert client.get(reverse("conference-detail", args=[demo.sid(name)])).status_code == 200
    version = rosters.current_version(demo.sid(name))
    assert version is not None
    return version


def test_a_change_is_pushed_with_the_changed_row_only_and_the_new_version(client, demo, lead) -> None:
    version = page_version(client, demo)
    carol, dave = demo.call_sid(ESCALATION, "agent:carol"), demo.call_sid(ESCALATION, "agent:dave")

    def mute_carol() -> None:
        services.participant_mute(actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=carol)

    stream = read_stream(
        client, f"{events_url(demo)}?version={version}", then=mute_carol, until=lambda s: bool(roster_events(s))
    )
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    (event,) = roster_events(stream)
    assert event.id == rosters.current_version(demo.sid(ESCALATION)) and event.id > version
    assert f'id="participant-{carol}"' in event.data and 'hx-swap-oob="true"' in event.data
    assert f"participant-{dave}" not in event.data  # only what changed
    assert 'id="roster-status-line"' in event.data
    assert "csrfmiddlewaretoken" not in event.data  # rendered as the poll's htmx answer is


def test_a_reconnect_with_last_event_id_gets_exactly_what_it_missed(client, demo, lead) -> None:
    version = page_version(client, demo)
    carol, dave = demo.call_sid(ESCALATION, "agent:carol"), demo.call_sid(ESCALATION, "agent:dave")
    services.participant_mute(actor=lead, conference_sid=demo.sid(ESCALATION), call_sid=carol)  # while away

    stream = read_stream(
        client, events_url(demo), headers={"Last-Event-ID": str(version)}, until=lambda s: bool(roster_events(s))
    )
    (event,) = roster_events(stream)
    assert event.id == rosters.current_version(demo.sid(ESCALATION))
    assert f'id="participant-{carol}"' in event.data and f"participant-{dave}" not in event.data


def test_an_idle_stream_gets_heartbeats(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.1
    version = page_version(client, demo)
    stream = read_stream(client, f"{events_url(demo)}?version={version}", until=lambda s: s.heartbeats >= 2)
    assert stream.heartbeats >= 2 and roster_events(stream) == []


def test_anonymous_gets_no_stream(client, demo) -> None:
    stream = read_stream(client, events_url(demo), until=lambda s: True)
    assert stream.status == 302 and not stream.content_type.startswith("text/event-stream")


def test_a_user_without_the_view_permission_gets_no_stream(client, demo, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("nobody"))
    stream = read_stream(client, events_url(demo), until=lambda s: True)
    assert stream.status == 403 and not stream.content_type.startswith("text/event-stream")


def test_an_observer_gets_the_stream(client, demo, django_user_model) -> None:
    user = django_user_model.objects.create_user("watcher")
    assign_role(user, OBSERVER)
    client.force_login(user)
    stream = read_stream(client, events_url(demo), until=lambda s: bool(roster_events(s)))
    (event,) = roster_events(stream)  # no version: the whole table
    assert 'id="participant-rows"' in event.data
    assert "<form" not in event.data  # an observer's rows have no buttons


def test_an_unknown_conference_is_404(client, demo, lead) -> None:
    url = reverse("conference-events", args=["CF" + "0" * 32])
    stream = read_stream(client, url, until=lambda s: True)
    assert stream.status == 404


def test_logout_closes_the_stream(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    version = page_version(client, demo)
    stream = read_stream(
        client, f"{events_url(demo)}?version={version}", then=client.logout, until=lambda s: False, timeout=10
    )
    assert stream.ended and [event.name for event in stream.events] == ["closed"]


def test_a_revoked_role_closes_the_stream(client, demo, lead, settings) -> None:
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    version = page_version(client, demo)
    stream = read_stream(
        client,
        f"{events_url(demo)}?version={version}",
        then=lambda: lead.groups.remove(Group.objects.get(name=LEAD)),
        until=lambda s: False,
    )
    assert stream.ended and [event.name for event in stream.events] == ["closed"]


def test_a_role_change_reloads_the_page(client, demo, lead, settings) -> None:
    """A lead made an observer keeps the view permission, but the page's buttons are not theirs
    any more: the stream ends with `reload`, so the page loads itself under the new rights."""
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    version = page_version(client, demo)
    stream = read_stream(
        client,
        f"{events_url(demo)}?version={version}",
        then=lambda: assign_role(lead, OBSERVER),
        until=lambda s: False,
    )
    assert stream.ended and [event.name for event in stream.events] == ["reload"]


def test_a_due_directory_recheck_reloads_the_page(client, demo, lead, settings) -> None:
    """The stream's user signed in through a directory: once its re-check is due, the page
    reloads (the re-check itself runs on that request: tests/access/test_directory_sign_in.py)."""
    settings.PUSH_HEARTBEAT_SECONDS = 0.2
    settings.DIRECTORY_RECHECK_SECONDS = 3
    version = page_version(client, demo)
    session = client.session
    session["directory_source"] = "ldap"
    session["directory_checked_at"] = time.time()
    session.save()
    started = time.monotonic()
    stream = read_stream(client, f"{events_url(demo)}?version={version}", until=lambda s: False)
    assert stream.ended and [event.name for event in stream.events] == ["reload"]
    assert 2.5 <= time.monotonic() - started <= 6


def test_streams_per_user_are_bounded(client, demo, lead, settings) -> None:
    settings.PUSH_STREAMS_PER_USER = 1
    version = page_version(client, demo)
    url = f"{events_url(demo)}?version={version}"

    async def scenario() -> tuple[int, int]:
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        first = await async_client.get(url)
        chunks = aiter(first.streaming_content)
        await anext(chunks)  # open: it counts now
        try:
            second = await async_client.get(url)
        finally:
            await chunks.aclose()
        return first.status_code, second.status_code

    assert run_async(scenario()) == (200, 429)


def test_a_wsgi_server_answers_204_and_reads_nothing(client, demo, lead) -> None:
    """Under WSGI a stream would hold a worker thread: the browser is told not to reconnect
    (the page polls), before any roster read or reconcile."""
    demo.simulator.reset_request_log()
    # From a thread of its own: after a browser test, this one runs Playwright's event loop, and
    # the test client refuses to run an async view from a thread with a running loop.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(client.get, events_url(demo)).result()
    assert response.status_code == 204
    assert demo.simulator.request_log == []
    assert rosters.current_version(demo.sid(ESCALATION)) is None


def test_a_spent_lookup_share_answers_429_with_retry_after(client, demo, lead, settings) -> None:
    """As the poll and the page answer: not a 500 that the browser's reconnect repeats."""
    settings.USER_CONFERENCE_LOOKUPS_PER_MINUTE = 1
    made_up = ["CF" + secrets.token_hex(16) for _ in range(2)]
    assert client.get(reverse("conference-detail", args=[made_up[0]])).status_code == 404  # the one lookup

    async def scenario():
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        return await async_client.get(reverse("conference-events", args=[made_up[1]]))

    response = run_async(scenario())
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many requests to Twilio from your account" in response.content.decode()


def _viewer(django_user_model, username: str, role: str) -> Client:
    user = django_user_model.objects.create_user(username)
    assign_role(user, role)
    viewer = Client()
    viewer.force_login(user)
    return viewer


def test_two_viewers_of_different_roles_at_one_version_each_get_their_own_rows(demo, django_user_model) -> None:
    """A Lead and an Observer watch one conference at the same version: the change pushed to
    each is rendered for each (the Observer never receives the Lead's buttons, nor the reverse)."""
    lead_page = _viewer(django_user_model, "lead", LEAD)
    observer_page = _viewer(django_user_model, "watcher", OBSERVER)
    version = page_version(lead_page, demo)
    assert page_version(observer_page, demo) == version
    url = f"{events_url(demo)}?version={version}"
    carol = demo.call_sid(ESCALATION, "agent:carol")
    actor = django_user_model.objects.get(username="lead")

    def mute_carol() -> None:
        services.participant_mute(actor=actor, conference_sid=demo.sid(ESCALATION), call_sid=carol)

    lead, observer = read_streams(
        [(lead_page, url), (observer_page, url)], then=mute_carol, until=lambda s: bool(roster_events(s))
    )
    ((lead_event,), (observer_event,)) = roster_events(lead), roster_events(observer)
    assert lead_event.id == observer_event.id > version  # the same change, at the same version
    for event in (lead_event, observer_event):
        assert f'id="participant-{carol}"' in event.data and "chip--muted" in event.data
    assert 'name="action" value="unmute"' in lead_event.data and "View only" not in lead_event.data
    assert "<form" not in observer_event.data and "View only" in observer_event.data


def test_one_user_with_two_conferences_open_gets_each_conference_on_its_own_stream(
    client, demo, lead, django_user_model
) -> None:
    """One user, two pages, two streams, both conferences at the same version: each stream
    carries its own conference's rows only."""
    first, second = demo.sid(ESCALATION), demo.sid(SALES)
    page_version(client, demo, ESCALATION), page_version(client, demo, SALES)
    # Bring both to the same version, so nothing but the conference tells the two renders apart.
    while (rosters.current_version(first) or 0) != (rosters.current_version(second) or 0):
        behind = min((first, second), key=lambda sid: rosters.current_version(sid) or 0)
        rosters.mutate(behind, lambda roster, version: True)
    version = rosters.current_version(first)
    carol, bob = demo.call_sid(ESCALATION, "agent:carol"), demo.call_sid(SALES, "agent:bob")

    def mute_both() -> None:
        services.participant_mute(actor=lead, conference_sid=first, call_sid=carol)
        services.participant_mute(actor=lead, conference_sid=second, call_sid=bob)

    escalation, sales = read_streams(
        [
            (client, f"{events_url(demo, ESCALATION)}?version={version}"),
            (client, f"{events_url(demo, SALES)}?version={version}"),
        ],
        then=mute_both,
        until=lambda s: bool(roster_events(s)),
    )
    (escalation_event,), (sales_event,) = roster_events(escalation), roster_events(sales)
    assert escalation_event.id == rosters.current_version(first) and sales_event.id == rosters.current_version(second)
    assert f'id="participant-{carol}"' in escalation_event.data and bob not in escalation_event.data
    assert f'id="participant-{bob}"' in sales_event.data and carol not in sales_event.data
