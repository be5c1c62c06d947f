"""Pages and refresh partials: login, the conference list, the conference page, the table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from conference_admin.dashboard.client import get_twilio_client
from conference_admin.live import roster as rosters

from .conftest import BILLING, ESCALATION, HUDDLE, SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("name", ["conference-list"])
def test_pages_require_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_conference_pages_require_login(client, demo):
    for url in (
        reverse("conference-detail", args=[demo.sid(SALES)]),
        reverse("participant-table", args=[demo.sid(SALES)]),
    ):
        assert client.get(url).status_code == 302
    response = client.post(reverse("conference-end", args=[demo.sid(SALES)]))
    assert response.status_code == 302
    assert upstream(demo.simulator) == []


def test_login_page_renders_and_logs_in(client, django_user_model, db):
    django_user_model.objects.create_user("sup", password="a-long-enough-password")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "sup", "password": "a-long-enough-password"})
    assert response.status_code == 302 and response["Location"] == reverse("conference-list")


# --- conference list -------------------------------------------------------------------


def list_rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="conference-(CF\w+)">(.*?)</tr>', html, re.S))


def test_list_shows_every_live_conference_with_counts(supervisor_client, demo):
    response = supervisor_client.get(reverse("conference-list"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = list_rows(html)
    assert set(rows) == {c.sid for c in demo.conferences.values()}
    escalation = rows[demo.sid(ESCALATION)]
    numbers = re.findall(r'<td class="num[^"]*">([^<]*)</td>', escalation)
    # age, participants, muted, held, coaching, ringing
    assert numbers[1:] == ["4", "1", "0", "0", "1"]
    assert re.fullmatch(r"\d+[sm]", numbers[0])  # seconds, or minutes when the shared demo is older
    assert "Waiting to start" in rows[demo.sid(HUDDLE)]
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', rows[demo.sid(SALES)])[1:] == ["2", "0", "1", "0", "0"]
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', rows[demo.sid(BILLING)])[1:] == ["3", "0", "0", "1", "0"]


def test_list_filters_by_name_and_polls_a_partial(supervisor_client, demo):
    response = supervisor_client.get(reverse("conference-list"), {"q": "SALES"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert set(list_rows(html)) == {demo.sid(SALES)}
    empty = supervisor_client.get(reverse("conference-list"), {"q": "nothing like this"}, **HTMX).content.decode()
    assert list_rows(empty) == {}
    assert "No live conference matches" in empty


def test_an_ended_conference_drops_off_the_list(supervisor_client, demo):
    demo.simulator.update_conference(demo.simulator.account_sid, demo.sid(SALES), {"Status": "completed"})
    html = supervisor_client.get(reverse("conference-list"), **HTMX).content.decode()
    assert demo.sid(SALES) not in list_rows(html)
    assert len(list_rows(html)) == 4


def test_list_when_twilio_is_unreachable(supervisor_client, simulator, db, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"
    settings.TWILIO_TOTAL_TIMEOUT = 2
    page = supervisor_client.get(reverse("conference-list"))
    assert page.status_code == 503
    assert "Twilio is unreachable" in page.content.decode()
    poll = supervisor_client.get(reverse("conference-list"), **HTMX)
    assert poll.status_code == 200 and poll["HX-Retarget"] == "#list-status"


def test_a_failed_list_refresh_keeps_its_warning_and_never_restamps_old_data(supervisor_client, demo):
    """Twilio fails after a good list: the page keeps the old rows with the time they were
    listed and says the refresh failed, on every poll, until a list call succeeds."""
    from django.core.cache import cache

    def status_line(response) -> str:
        return response.content.decode().split('<p class="table-status">')[1].split("</p>")[0]

    def fetched_at(response) -> str:
        return re.search(r'class="list-fetched-at" datetime="([^"]+)"', response.content.decode()).group(1)

    good = supervisor_client.get(reverse("conference-list"), **HTMX)
    assert "Refresh failed" not in status_line(good)
    listed_at = fetched_at(good)

    demo.simulator.faults.inject(kind="malformed_json", operation="ListConference", count=1000)
    polls = []
    for _ in range(3):
        cache.delete("conferences:live:lease")  # the interval has passed: this poll lists again
        polls.append(supervisor_client.get(reverse("conference-list"), **HTMX))
    # And one poll inside the interval, which reads the shared list without calling Twilio.
    polls.append(supervisor_client.get(reverse("conference-list"), **HTMX))
    for poll in polls:
        assert poll.status_code == 200
        assert "Refresh failed at" in status_line(poll)
        assert "Showing the list as of" in status_line(poll)
        assert fetched_at(poll) == listed_at  # never relabelled as new
        assert set(list_rows(poll.content.decode())) == set(list_rows(good.content.decode()))

    demo.simulator.faults.clear()
    cache.delete("conferences:live:lease")
    recovered = supervisor_client.get(reverse("conference-list"), **HTMX)
    assert "Refresh failed" not in status_line(recovered)
    assert fetched_at(recovered) > listed_at


# --- conference page --------------------------------------------------------------------


def participant_row(html: str, call_sid: str) -> str:
    return html.split(f'<tr id="participant-{call_sid}"')[1].split("</tr>")[0]


def test_conference_page_shows_header_and_one_row_per_participant(supervisor_client, demo):
    response = supervisor_client.get(reverse("conference-detail", args=[demo.sid(BILLING)]))
    html = response.content.decode()
    assert "<h1>Support: billing dispute</h1>" in html
    assert demo.sid(BILLING) in html and "us1" in html and "In progress" in html
    assert "End conference…" in html
    assert [r.operation for r in upstream(demo.simulator)] == ["FetchConference", "ListParticipant"]

    alice = demo.call_sid(BILLING, "agent:alice")
    sam = demo.call_sid(BILLING, "supervisor:sam")
    assert html.count('<tr id="participant-') == 3
    alice_row = participant_row(html, alice)
    assert "agent:alice" in alice_row and alice in alice_row
    assert "Connected" in alice_row and "Ends conference on exit" in alice_row
    sam_row = participant_row(html, sam)
    assert '<span class="chip chip--coach">Coaching</span> <span class="coach-target">agent:alice</span>' in sam_row


def test_unlabelled_participant_is_shown_by_number(supervisor_client, demo):
    from conference_admin.simulator.demo import DEMO_CONFERENCES  # noqa: F401

    conference = demo.sid("Onboarding: Northwind")
    participants = demo.simulator.list_participants(demo.simulator.account_sid, conference)
    unlabelled = next(p for p in participants if not p.label)
    html = supervisor_client.get(reverse("conference-detail", args=[conference])).content.decode()
    row = participant_row(html, unlabelled.call_sid)
    assert f'<span class="name">{unlabelled.call_sid}</span>' in row or unlabelled.to in row


def test_held_participant_shows_hold_time_from_date_updated(supervisor_client, demo):
    dana = demo.participant(SALES, "customer:Dana Whitfield")
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(SALES)])).content.decode()
    # Estimated from Twilio's last update (the dashboard did not hold them): shown as "~m:ss".
    row = participant_row(html, dana.call_sid)
    assert re.search(r'chip--held">Held <span class="num est" data-since="\d+">\d+:\d\d</span>', row)
    entry = rosters.load(demo.sid(SALES)).entries[dana.call_sid]
    assert abs(entry.hold_since - dana.date_updated) < timedelta(seconds=1)
    assert entry.hold_start_exact is False


def test_unknown_conference_is_404(supervisor_client, demo):
    response = supervisor_client.get(reverse("conference-detail", args=["CF" + "0" * 32]))
    assert response.status_code == 404
    assert [r.operation for r in upstream(demo.simulator)] == ["FetchConference"]


def test_participant_table_without_a_version_is_the_whole_table_for_one_list_call(supervisor_client, demo):
    response = supervisor_client.get(reverse("participant-table", args=[demo.sid(ESCALATION)]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and '<tbody id="participant-rows" hx-swap-oob="true">' in html
    assert html.count('<tr id="participant-') == 4
    assert [r.operation for r in upstream(demo.simulator)] == ["ListParticipant"]
    assert int(response["X-Roster-Version"]) >= 1


def table_version(page) -> int:
    return int(re.search(r'id="roster-poller"[^>]*data-version="(\d+)"', page.content.decode()).group(1))


def test_unchanged_refresh_is_204_with_no_upstream_call_and_no_query(
    supervisor_client, demo, seen, django_assert_num_queries
):
    version = table_version(seen(ESCALATION))
    with django_assert_num_queries(0):  # session, user and permissions come from the cache too
        response = supervisor_client.get(
            reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX
        )
    assert response.status_code == 204 and response.content == b""
    assert (
        "Content-Type" not in response and "Content-Security-Policy" not in response
    )  # no body: nothing to type or govern
    assert upstream(demo.simulator) == []


def test_changed_refresh_sends_only_the_changed_row_out_of_band(supervisor_client, demo, seen, settings):
    version = table_version(seen(ESCALATION))
    rosters.release_reconcile(demo.sid(ESCALATION))  # the refresh interval has passed
    carol = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.update_participant(demo.simulator.account_sid, demo.sid(ESCALATION), carol, {"Muted": "true"})
    response = supervisor_client.get(
        reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<tr id="participant-') == 1
    assert f'<tr id="participant-{carol}"' in html and 'hx-swap-oob="true"' in html
    assert '<tbody id="participant-rows"' not in html
    assert int(response["X-Roster-Version"]) > version


def test_participant_table_stops_polling_when_the_conference_ends(supervisor_client, demo):
    demo.simulator.update_conference(demo.simulator.account_sid, demo.sid(SALES), {"Status": "completed"})
    demo.simulator.reset_request_log()
    response = supervisor_client.get(reverse("participant-table", args=[demo.sid(SALES)]), **HTMX)
    assert response.status_code == 286  # htmx: stop polling
    assert "This conference has ended." in response.content.decode()


def test_participant_that_left_drops_off_the_table(supervisor_client, demo, settings):
    carol = demo.call_sid(ESCALATION, "agent:carol")
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    version = table_version(page)
    rosters.release_reconcile(demo.sid(ESCALATION))  # the refresh interval has passed
    demo.simulator.hang_up(demo.simulator.account_sid, demo.sid(ESCALATION), carol)
    html = supervisor_client.get(
        reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX
    ).content.decode()
    assert f'<tr id="participant-{carol}" hx-swap-oob="delete">' in html
    assert carol not in rosters.load(demo.sid(ESCALATION)).entries


def test_table_refresh_failure_keeps_the_table_and_says_why(supervisor_client, demo, seen, settings):
    version = table_version(seen(ESCALATION))
    rosters.release_reconcile(demo.sid(ESCALATION))  # the refresh interval has passed
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"
    settings.TWILIO_TOTAL_TIMEOUT = 2
    response = supervisor_client.get(
        reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Showing the last known state: Twilio is unreachable" in html
    assert "participant-rows" not in html  # rows on screen stay as they are
    page = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    assert page.count('<tr id="participant-') == 4


def test_page_uses_static_htmx_and_no_inline_script(supervisor_client, demo):
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)])).content.decode()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert all(body.strip() == "" for body in scripts)
    assert re.search(r'<script src="/static/django_htmx/htmx-2[^"]*\.js"', html)
    assert "hx-on" not in html and "onclick" not in html
    assert '"allowEval": false' in html and '"selfRequestsOnly": true' in html
    assert 'hx-headers=\'{"x-csrftoken": "' in html
    assert "http://" not in "".join(re.findall(r"<(?:script|link)[^>]*>", html))


# --- setup pieces ----------------------------------------------------------------------


def test_twilio_client_is_cached_and_rebuilt_when_settings_change(settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:8001"
    settings.TWILIO_AUTH_TOKEN = "token-one"
    first = get_twilio_client()
    assert get_twilio_client() is first
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:8002"
    second = get_twilio_client()
    assert second is not first and second.base_url == "http://127.0.0.1:8002"
    settings.TWILIO_READ_TIMEOUT = 1.5
    assert get_twilio_client().read_timeout == 1.5


def test_missing_credentials_is_a_clear_message_not_a_500(supervisor_client, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_API_KEY_SID = settings.TWILIO_API_KEY_SECRET = ""
    response = supervisor_client.get(reverse("conference-list"))
    assert response.status_code == 502
    assert "Twilio credentials are not configured" in response.content.decode()
