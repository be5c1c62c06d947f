"""A request whose session ended lands on a real login page that says so, whatever asked.

htmx requests (a poll, on the fast path or not, and a row action) get HX-Redirect back to the
page they were on; a page load gets the usual redirect. Nothing reaches Twilio.
"""

from __future__ import annotations

from importlib import import_module
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import reverse

from conference_admin.access.login import SESSION_ENDED_NOTE

from .conftest import ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def end_session(client: Client) -> None:
    """What expiry, or a sign-out in another tab, leaves: the cookie names a session that is gone."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete()


def login_target(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


def test_a_poll_on_the_fast_path_lands_on_login_with_the_page_to_come_back_to(supervisor_client, demo, seen):
    page = seen(ESCALATION).request["PATH_INFO"]
    url = reverse("participant-table", args=[demo.sid(ESCALATION)])
    version = supervisor_client.get(url, **HTMX)["X-Roster-Version"]
    assert supervisor_client.get(url, {"version": version}, **HTMX).status_code == 204  # grant written
    assert supervisor_client.get(url, {"version": version}, **HTMX).status_code == 204  # the fast path
    end_session(supervisor_client)
    demo.simulator.reset_request_log()
    response = supervisor_client.get(
        url, {"version": version}, HTTP_HX_CURRENT_URL=f"http://testserver{page}?tab=1", **HTMX
    )
    assert response.status_code == 200 and response.content == b""
    path, query = login_target(response["HX-Redirect"])
    assert path == reverse("login")
    assert query == {"next": [f"{page}?tab=1"], "session": ["ended"]}
    assert upstream(demo.simulator) == []


def test_a_row_action_lands_on_login_and_sends_nothing(supervisor_client, demo, seen):
    seen(ESCALATION)
    end_session(supervisor_client)
    carol = demo.call_sid(ESCALATION, "agent:carol")
    demo.simulator.reset_request_log()
    response = supervisor_client.post(
        reverse("participant", args=[demo.sid(ESCALATION), carol]), {"action": "mute"}, **HTMX
    )
    assert response.status_code == 200 and "HX-Redirect" in response
    assert "session=ended" in response["HX-Redirect"]
    assert upstream(demo.simulator) == []
    assert demo.participant(ESCALATION, "agent:carol").muted is False


def test_a_page_load_is_redirected_and_the_login_page_says_why(supervisor_client, demo):
    end_session(supervisor_client)
    response = supervisor_client.get(reverse("conference-detail", args=[demo.sid(ESCALATION)]))
    assert response.status_code == 302
    path, query = login_target(response["Location"])
    assert path == reverse("login") and query["session"] == ["ended"]
    login = supervisor_client.get(response["Location"])
    assert login.status_code == 200
    assert SESSION_ENDED_NOTE in login.content.decode()


def test_a_first_visit_gets_the_login_page_without_the_note(db):
    client = Client()
    response = client.get(reverse("conference-list"))
    assert response.status_code == 302 and "session=" not in response["Location"]
    login = client.get(response["Location"])
    assert SESSION_ENDED_NOTE not in login.content.decode()


def test_a_signed_in_visitor_is_not_told_their_session_ended(supervisor_client):
    page = supervisor_client.get(reverse("login") + "?session=ended")
    assert SESSION_ENDED_NOTE not in page.content.decode()


def test_every_request_of_an_ended_session_is_told_so_not_only_the_first(supervisor_client, demo, seen):
    """The page's requests race: one answered "ended" must not take the cookie away from the next
    (else the next, a poll or the reload, lands on a login page that does not say why)."""
    page = seen(ESCALATION).request["PATH_INFO"]
    end_session(supervisor_client)
    table = reverse("participant-table", args=[demo.sid(ESCALATION)])
    first = supervisor_client.get(table, HTTP_HX_CURRENT_URL=f"http://testserver{page}", **HTMX)
    assert "session=ended" in first["HX-Redirect"]
    assert settings.SESSION_COOKIE_NAME not in first.cookies  # neither set nor deleted
    reload = supervisor_client.get(page)
    path, query = login_target(reload["Location"])
    assert path == reverse("login") and query["session"] == ["ended"]


def test_signing_out_still_deletes_the_cookie(supervisor_client, demo):
    response = supervisor_client.post(reverse("logout"))
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # deleted
