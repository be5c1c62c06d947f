"""The client's retry, timeout and error rules, against a scripted HTTP server."""

import base64
import threading
import time
from datetime import UTC

import pytest
import requests
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conference_admin.twilio import (
    RetryPolicy,
    TwilioApiError,
    TwilioClient,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTooManyPages,
    TwilioTransportError,
    TwilioUnreachable,
)

from .scripted_server import Reply, ScriptedServer

ACCOUNT = "AC" + "a" * 32
CONFERENCE = "CF" + "b" * 32
CALL = "CA" + "c" * 32


def participant_json(**overrides):
    data = {
        "account_sid": ACCOUNT,
        "call_sid": CALL,
        "conference_sid": CONFERENCE,
        "label": "agent:alice",
        "muted": True,
        "hold": False,
        "coaching": False,
        "call_sid_to_coach": None,
        "end_conference_on_exit": False,
        "start_conference_on_enter": True,
        "status": "connected",
        "queue_time": None,
        "date_created": "Fri, 18 Feb 2011 21:07:19 +0000",
        "date_updated": "Fri, 18 Feb 2011 21:07:20 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants/{CALL}.json",
        "a_field_twilio_adds_later": {"x": 1},
    }
    data.update(overrides)
    return data


def error_json(code, status, message="boom"):
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def server():
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.stop()


class SleepRecorder:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def client(server, sleeps):
    return TwilioClient(
        account_sid=ACCOUNT,
        auth_token="secret-token",
        base_url=server.base_url,
        read_timeout=0.5,
        total_timeout=5,
        retry=RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02),
        sleep=sleeps,
    )


def test_fetch_builds_the_path_auth_and_typed_resource(client, server):
    server.script = [Reply(body=participant_json(), headers={"Twilio-Request-Id": "RQ123"})]
    participant = client.fetch_participant(CONFERENCE, CALL)
    seen = server.seen[0]
    assert (seen.method, seen.path) == (
        "GET",
        f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants/{CALL}.json",
    )
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:secret-token".encode()).decode()
    assert participant.muted is True and participant.label == "agent:alice"
    assert participant.date_created.tzinfo is not None
    assert participant.date_created.astimezone(UTC).hour == 21
    assert participant.request_id == "RQ123"


def test_labels_are_percent_encoded_in_the_path(client, server):
    server.script = [Reply(body=participant_json())]
    client.update_participant(CONFERENCE, "agent alice #1 100% é/x", muted=False)
    assert server.seen[0].path.endswith("/Participants/agent%20alice%20%231%20100%25%20%C3%A9%2Fx.json")
    assert server.seen[0].form == [("Muted", "false")]


def test_api_key_credentials_keep_the_account_in_the_path(server, sleeps):
    client = TwilioClient(
        account_sid=ACCOUNT,
        api_key_sid="SK" + "1" * 32,
        api_key_secret="key-secret",
        base_url=server.base_url,
        sleep=sleeps,
    )
    server.script = [Reply(body={"conferences": [], "page": 0, "page_size": 50, "next_page_uri": None})]
    client.list_conferences(status="in-progress")
    seen = server.seen[0]
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT}/Conferences.json?Status=in-progress"
    assert (
        seen.headers["Authorization"] == "Basic " + base64.b64encode(f"{'SK' + '1' * 32}:key-secret".encode()).decode()
    )


def test_client_needs_credentials():
    with pytest.raises(ValueError):
        TwilioClient(account_sid=ACCOUNT)


def test_create_sends_every_value_once_with_repeated_array_keys(client, server):
    server.script = [Reply(status=201, body=participant_json(status="queued"))]
    participant = client.create_participant(
        "My Room",
        from_="+15005550006",
        to="+14155551212",
        status_callback_event=["ringing", "answered"],
        timeout=20,
        early_media=True,
    )
    seen = server.seen[0]
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/My%20Room/Participants.json"
    assert seen.form == [
        ("From", "+15005550006"),
        ("To", "+14155551212"),
        ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"),
        ("Timeout", "20"),
        ("EarlyMedia", "true"),
    ]
    assert participant.status == "queued"


def test_list_follows_next_page_uri_and_honours_limit(client, server):
    base = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants.json"
    server.script = [
        Reply(
            body={
                "participants": [participant_json(call_sid="CA" + "1" * 32)],
                "page": 0,
                "page_size": 1,
                "next_page_uri": base + "?PageSize=1&Page=1&PageToken=PA1",
            }
        ),
        Reply(
            body={
                "participants": [participant_json(call_sid="CA" + "2" * 32)],
                "page": 1,
                "page_size": 1,
                "next_page_uri": base + "?PageSize=1&Page=2&PageToken=PA2",
            }
        ),
        Reply(
            body={
                "participants": [participant_json(call_sid="CA" + "3" * 32)],
                "page": 2,
                "page_size": 1,
                "next_page_uri": None,
            }
        ),
    ]
    everyone = client.list_participants(CONFERENCE, page_size=1)
    assert [p.call_sid[2] for p in everyone] == ["1", "2", "3"]
    assert [s.path for s in server.seen] == [
        base + "?PageSize=1",
        base + "?PageSize=1&Page=1&PageToken=PA1",
        base + "?PageSize=1&Page=2&PageToken=PA2",
    ]

    server.seen.clear()
    server.script = [
        Reply(
            body={
                "participants": [participant_json(), participant_json()],
                "page": 0,
                "page_size": 2,
                "next_page_uri": base + "?Page=1",
            }
        )
    ]
    assert len(client.list_participants(CONFERENCE, limit=1)) == 1
    assert len(server.seen) == 1


def test_get_retries_5xx_with_backoff_then_succeeds(client, server, sleeps):
    server.script = [
        Reply(status=503, body=error_json(20503, 503)),
        Reply(status=503, body=error_json(20503, 503)),
        Reply(body=participant_json()),
    ]
    assert client.fetch_participant(CONFERENCE, CALL).call_sid == CALL
    assert len(server.seen) == 3
    assert len(sleeps.calls) == 2


def test_get_gives_up_after_max_attempts(client, server):
    server.script = [Reply(status=500, body=error_json(20500, 500))] * 5
    with pytest.raises(TwilioApiError) as caught:
        client.fetch_conference(CONFERENCE)
    assert caught.value.status == 500 and caught.value.code == 20500
    assert len(server.seen) == 3


def test_retry_after_is_honoured_for_update(client, server, sleeps):
    server.script = [
        Reply(status=429, body=error_json(20429, 429, "Too Many Requests"), headers={"Retry-After": "2"}),
        Reply(body=participant_json()),
    ]
    client.update_participant(CONFERENCE, CALL, muted=True)
    assert len(server.seen) == 2
    assert sleeps.calls and sleeps.calls[0] >= 2


def test_rate_limit_is_bounded_and_reported(client, server):
    server.script = [
        Reply(status=429, body=error_json(20429, 429, "Too Many Requests"), headers={"Retry-After": "0"})
    ] * 5
    with pytest.raises(TwilioApiError) as caught:
        client.update_participant(CONFERENCE, CALL, hold=True)
    assert caught.value.is_rate_limited and not caught.value.outcome_unknown
    assert len(server.seen) == 3


def test_retry_after_beyond_the_total_budget_fails_at_once(client, server, sleeps):
    server.script = [Reply(status=429, body=error_json(20429, 429), headers={"Retry-After": "60"})]
    with pytest.raises(TwilioApiError):
        client.fetch_conference(CONFERENCE)
    assert len(server.seen) == 1 and sleeps.calls == []


def test_create_is_retried_after_429_only(client, server):
    server.script = [
        Reply(status=429, body=error_json(20429, 429), headers={"Retry-After": "0"}),
        Reply(status=201, body=participant_json()),
    ]
    client.create_participant(CONFERENCE, from_="+15005550006", to="+14155551212")
    assert len(server.seen) == 2

    server.seen.clear()
    server.script = [Reply(status=500, body=error_json(16030, 500)), Reply(status=201, body=participant_json())]
    with pytest.raises(TwilioApiError) as caught:
        client.create_participant(CONFERENCE, from_="+15005550006", to="+14155551212")
    assert caught.value.code == 16030
    assert len(server.seen) == 1


def test_update_is_not_replayed_after_5xx(client, server):
    server.script = [Reply(status=503, body=error_json(20503, 503)), Reply(body=participant_json())]
    with pytest.raises(TwilioApiError):
        client.update_participant(CONFERENCE, CALL, announce_url="https://example.com/a.mp3")
    assert len(server.seen) == 1


def test_post_timeout_is_not_retried_and_says_outcome_unknown(client, server):
    server.script = [Reply(stall=1.5, body=participant_json())]
    started = time.monotonic()
    with pytest.raises(TwilioTimeout) as caught:
        client.create_participant(CONFERENCE, from_="+15005550006", to="+14155551212")
    assert caught.value.outcome_unknown
    assert time.monotonic() - started < 1.4
    assert len(server.seen) == 1


def test_get_timeout_is_retried_within_the_total_bound(server, sleeps):
    client = TwilioClient(
        account_sid=ACCOUNT,
        auth_token="t",
        base_url=server.base_url,
        read_timeout=0.3,
        total_timeout=1.0,
        retry=RetryPolicy(max_attempts=10, backoff_base=0.01, backoff_cap=0.01),
        sleep=sleeps,
    )
    server.script = [Reply(stall=2)] * 10
    started = time.monotonic()
    with pytest.raises(TwilioTimeout) as caught:
        client.fetch_conference(CONFERENCE)
    elapsed = time.monotonic() - started
    assert not caught.value.outcome_unknown
    assert elapsed < 1.5
    assert len(server.seen) >= 2


def test_delete_timeout_then_404_is_flagged_as_probably_done(client, server):
    server.script = [Reply(stall=1.5, status=204), Reply(status=404, body=error_json(20404, 404, "not found"))]
    with pytest.raises(TwilioApiError) as caught:
        client.delete_participant(CONFERENCE, CALL)
    assert caught.value.is_not_found
    assert caught.value.retried_after_unknown_outcome
    assert len(server.seen) == 2


def test_delete_returns_request_id(client, server):
    server.script = [Reply(status=204, headers={"Twilio-Request-Id": "RQdel"})]
    assert client.delete_participant(CONFERENCE, "customer one") == "RQdel"
    assert server.seen[0].method == "DELETE"


def test_connection_refused_is_unreachable_and_retried_even_for_create(sleeps):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port now
    client = TwilioClient(
        account_sid=ACCOUNT,
        auth_token="t",
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=3, backoff_base=0, backoff_cap=0),
        sleep=sleeps,
    )
    with pytest.raises(TwilioUnreachable) as caught:
        client.create_participant(CONFERENCE, from_="+15005550006", to="+14155551212")
    assert not caught.value.outcome_unknown
    assert len(sleeps.calls) == 2  # three attempts: nothing was ever sent


def test_html_error_page_becomes_a_clear_api_error(client, server):
    server.script = [Reply(status=502, raw=b"<html><body>Bad Gateway</body></html>")]
    with pytest.raises(TwilioApiError) as caught:
        client.update_participant(CONFERENCE, CALL, muted=True)
    assert caught.value.status == 502 and caught.value.code is None
    assert "502" in str(caught.value)


def test_malformed_success_body_is_an_invalid_response(client, server):
    server.script = [Reply(status=200, raw=b"{not json")]
    with pytest.raises(TwilioInvalidResponse) as caught:
        client.update_participant(CONFERENCE, CALL, muted=True)
    assert caught.value.outcome_unknown  # the update answered 2xx: it was applied


def test_api_error_keeps_twilio_fields(client, server):
    server.script = [
        Reply(
            status=404,
            body=error_json(20404, 404, "The requested resource was not found"),
            headers={"Twilio-Request-Id": "RQ9"},
        )
    ]
    with pytest.raises(TwilioApiError) as caught:
        client.fetch_participant(CONFERENCE, CALL)
    error = caught.value
    assert (error.status, error.code, error.request_id) == (404, 20404, "RQ9")
    assert error.more_info == "https://www.twilio.com/docs/errors/20404"
    assert str(error) == "The requested resource was not found (20404)"
    assert len(server.seen) == 1  # a 404 is an answer, not a fault


def test_each_thread_gets_its_own_session(client):
    sessions = []

    def grab():
        sessions.append(client._session)

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    grab()
    grab()
    assert len({id(s) for s in sessions}) == 4


def _one_page(next_page_uri):
    return Reply(
        body={
            "participants": [participant_json()],
            "page": 0,
            "page_size": 1,
            "next_page_uri": next_page_uri,
        }
    )


@pytest.mark.parametrize("form", ["absolute", "scheme-relative"])
def test_next_page_uri_on_another_host_gets_no_credentials(client, server, form):
    # A list answer must not be able to send the client, with its Basic auth header, to another host.
    elsewhere = ScriptedServer()
    try:
        other = elsewhere.base_url if form == "absolute" else elsewhere.base_url.removeprefix("http:")
        server.script = [
            _one_page(other + f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants.json")
        ]
        with pytest.raises(TwilioInvalidResponse, match="next_page_uri") as raised:
            client.list_participants(CONFERENCE)
        assert raised.value.outcome_unknown is False
        assert elsewhere.seen == []
        assert len(server.seen) == 1
    finally:
        elsewhere.stop()


@pytest.mark.parametrize(
    "next_page_uri",
    [
        "https://{host}/2010-04-01/Participants.json",  # same host and port, another scheme
        "http://127.0.0.2:{port}/2010-04-01/Participants.json",  # same port, another host
        "http://user@{host}/2010-04-01/Participants.json",  # credentials of its own
    ],
)
def test_next_page_uri_must_keep_scheme_host_and_port(client, server, next_page_uri):
    host = server.base_url.removeprefix("http://")
    server.script = [_one_page(next_page_uri.format(host=host, port=host.rpartition(":")[2]))]
    with pytest.raises(TwilioInvalidResponse, match="next_page_uri"):
        client.list_participants(CONFERENCE)
    assert len(server.seen) == 1


def test_next_page_uri_absolute_on_the_configured_base_url_is_followed(client, server):
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants.json?Page=1&PageToken=PA1"
    server.script = [_one_page(server.base_url + path), Reply(body={"participants": [participant_json()]})]
    assert len(client.list_participants(CONFERENCE)) == 2
    assert server.seen[1].path == path
    assert server.seen[1].headers["Authorization"].startswith("Basic ")


def test_success_body_without_the_resource_identity_is_an_invalid_response(client, server):
    # JSON, but not a participant (a proxy's or a newer API's answer): no call_sid to build one from.
    server.script = [Reply(status=200, body={"muted": True})]
    with pytest.raises(TwilioInvalidResponse) as caught:
        client.update_participant(CONFERENCE, CALL, muted=True)
    assert caught.value.outcome_unknown  # the update answered 2xx: it was applied
    server.script = [Reply(status=200, body={"status": "in-progress"})]
    with pytest.raises(TwilioInvalidResponse) as caught:
        client.fetch_conference(CONFERENCE)
    assert not caught.value.outcome_unknown


@pytest.mark.parametrize(
    "envelope",
    [
        {"participants": [{"label": "agent:alice"}], "page": 0, "page_size": 50},  # a record without its call_sid
        {"participants": [participant_json()], "page": "first", "page_size": 50},  # paging meta that is no number
    ],
)
def test_list_answer_that_cannot_be_read_is_an_invalid_response(client, server, envelope):
    server.script = [Reply(status=200, body=envelope)]
    with pytest.raises(TwilioInvalidResponse):
        client.list_participants(CONFERENCE)


def test_update_whose_answer_is_cut_off_mid_body_says_outcome_unknown(client, server):
    # Twilio answered 200 (so it applied the update), then the connection broke before the body ended.
    server.script = [Reply(status=200, body=participant_json(), cut_after=20)]
    with pytest.raises(TwilioTransportError) as caught:
        client.update_participant(CONFERENCE, CALL, muted=True)
    assert caught.value.outcome_unknown
    assert len(server.seen) == 1  # a write whose outcome is unknown is never replayed


def test_get_whose_answer_is_cut_off_mid_body_is_retried(client, server):
    server.script = [Reply(status=200, body=participant_json(), cut_after=20), Reply(body=participant_json())]
    assert client.fetch_participant(CONFERENCE, CALL).call_sid == CALL
    assert len(server.seen) == 2


def _paging_onto_itself(server) -> str:
    """Every answer is the same page, whose next page is itself."""
    base = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants.json"
    server.otherwise = Reply(
        body={"participants": [participant_json()], "page": 0, "page_size": 1, "next_page_uri": base + "?Page=1"}
    )
    return base


@pytest.mark.timeout(30)
def test_paging_stops_at_the_page_limit_with_a_clear_error(server):
    client = TwilioClient(account_sid=ACCOUNT, auth_token="t", base_url=server.base_url, max_pages=4)
    _paging_onto_itself(server)
    with pytest.raises(TwilioTooManyPages, match="past 4 pages") as stopped:
        client.list_participants(CONFERENCE)
    assert len(server.seen) == 4
    assert isinstance(stopped.value, TwilioInvalidResponse) and not stopped.value.outcome_unknown
    server.seen.clear()
    assert len(list(client.iter_participants(CONFERENCE, limit=3))) == 3  # a limit inside the pages: no error
    assert len(server.seen) == 3


@pytest.mark.timeout(30)
def test_the_dashboards_client_takes_its_page_limit_from_settings(server, settings):
    from conference_admin.dashboard.client import get_twilio_client

    settings.TWILIO_API_BASE_URL = server.base_url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "t"
    settings.TWILIO_MAX_PAGES = 3
    _paging_onto_itself(server)
    with pytest.raises(TwilioInvalidResponse, match="past 3 pages"):
        get_twilio_client().list_participants(CONFERENCE)
    assert len(server.seen) == 3


def test_the_environments_proxy_carries_the_requests_and_no_proxy_is_honoured(server, sleeps, monkeypatch):
    """A company's egress proxy (HTTP(S)_PROXY) is used, read once per session; NO_PROXY names a
    host that is reached directly."""
    server.otherwise = Reply(body=participant_json())
    monkeypatch.setenv("HTTP_PROXY", server.base_url)  # the scripted server plays the proxy
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = TwilioClient(
        account_sid=ACCOUNT, auth_token="secret-token", base_url="http://twilio.invalid", sleep=sleeps
    )
    proxied.fetch_participant(CONFERENCE, CALL)
    proxied.fetch_participant(CONFERENCE, CALL)
    assert [seen.path for seen in server.seen] == [
        f"http://twilio.invalid/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants/{CALL}.json"
    ] * 2  # the absolute URI: a request made through the proxy

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = TwilioClient(account_sid=ACCOUNT, auth_token="secret-token", base_url=server.base_url, sleep=sleeps)
    direct.fetch_participant(CONFERENCE, CALL)
    assert server.seen[-1].path.startswith("/2010-04-01/")  # reached directly, not through the proxy


# --- the request the client prepares is the one requests' Session.request() prepared ---------------
# The client builds its PreparedRequest itself (TwilioClient._prepared) instead of letting requests
# merge the session's settings into every call; it must come out as requests' own did.

FORM = [
    ("StatusCallbackEvent", "ringing"),
    ("StatusCallbackEvent", "answered"),
    ("AnnounceUrl", "https://example.com/a b.mp3?x=1&y=2+3"),
    ("Label", "ünïcødé agent #1 100% a=b&c"),
    ("Muted", "true"),
]
QUERY = [("Status", "in-progress"), ("FriendlyName", "Sales & Support = 1+1 ü"), ("DateCreated<", "2026-01-01")]


def requests_own(client, method, url, params=None, data=None):
    """What `Session.request()` prepares for this call with the client's session (the client's way before)."""
    return client._session.prepare_request(requests.Request(method, url, params=params or {}, data=data or {}))


def _cookies(prepared):
    return [(c.name, c.value, c.domain, c.path) for c in prepared._cookies]


def assert_prepared_as_requests_does(client, method, url, params=None, data=None):
    theirs = requests_own(client, method, url, params, data)
    mine = client._prepared(client._session, method, url, params, data)
    body = theirs.body.encode() if isinstance(theirs.body, str) else theirs.body  # the same bytes on the wire
    assert (mine.method, mine.url, mine.body) == (theirs.method, theirs.url, body)
    assert dict(mine.headers) == dict(theirs.headers)  # every header, by name and value
    assert mine.hooks == theirs.hooks
    assert _cookies(mine) == _cookies(theirs)  # the jar a redirect reads
    return mine


@pytest.mark.parametrize(
    ("method", "where", "params", "data"),
    [
        ("POST", "participant", None, FORM),
        ("POST", "participant", None, [("Muted", "true")]),
        ("POST", "participant", None, []),  # an update with nothing to change
        ("GET", "conferences", QUERY, None),
        ("GET", "conferences", [], None),
        ("GET", "next page", None, None),  # a query of its own: prepared by requests itself
        ("GET", "dot segment", None, None),  # "..": requests removes it, so it prepares it itself
        ("GET", "escaped unreserved", None, None),  # requests unescapes "%7E" and "%2E"
        ("DELETE", "participant", None, None),
    ],
)
def test_the_prepared_request_is_what_requests_prepared(client, method, where, params, data):
    url = {
        "participant": client._participant_path(CONFERENCE, "agent alice #1 100% é/x+y=z&w"),
        "conferences": client._account_path("Conferences.json"),
        "next page": client._account_path("Conferences.json?PageSize=1&Page=1&PageToken=PA%7E1 x"),
        "dot segment": client._conference_path("..", "/Participants.json"),
        "escaped unreserved": client._account_path("Conferences/CF%7E1%2E%2e.json"),
    }[where]
    prepared = assert_prepared_as_requests_does(client, method, url, params, data)
    if data:
        assert prepared.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert prepared.headers["Content-Length"] == str(len(prepared.body))
    assert "Cookie" not in prepared.headers


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.twilio.com",
        "https://proxy.example.com/twilio/",  # a path of its own
        "HTTPS://API.Twilio.COM:0443",  # requests rewrites it: every URL is prepared by requests
        "http://[::1]:8080",
        "https://bücher.example",
    ],
)
def test_any_base_url_is_prepared_as_requests_did(base_url):
    client = TwilioClient(account_sid=ACCOUNT, auth_token="secret-token", base_url=base_url)
    assert_prepared_as_requests_does(client, "POST", client._participant_path(CONFERENCE, CALL), data=FORM)
    assert_prepared_as_requests_does(client, "GET", client._account_path("Conferences.json"), params=QUERY)


def test_the_usual_urls_are_not_prepared_again(client):
    # The point of TwilioClient._prepared: its own paths skip requests' URL parsing.
    assert client._plain_prefix == client.base_url + "/"
    assert TwilioClient(account_sid=ACCOUNT, auth_token="t")._plain_prefix == "https://api.twilio.com/"


# What a URL's path may hold, requests' rewrites included: dot segments, escapes of unreserved
# characters (unescaped), lower-case escapes (upper-cased), bare "%", characters to escape, a query.
URL_PIECES = [*"aZ09-._~!$&'()*+,;=:@/%?# é\\", "..", "/./", "%2E", "%7E", "%7e", "%41", "%2F", "%25", "%C3%A9", "%zz"]


@hypothesis_settings(max_examples=500, deadline=None)
@given(label=st.text(), tail=st.lists(st.sampled_from(URL_PIECES)).map("".join))
def test_any_label_or_path_is_prepared_as_requests_did(label, tail):
    client = TwilioClient(account_sid=ACCOUNT, auth_token="secret-token", base_url="http://127.0.0.1:8000")
    if label:
        assert_prepared_as_requests_does(client, "POST", client._participant_path(CONFERENCE, label), data=FORM)
    url = client.base_url + "/" + tail
    try:
        theirs = requests_own(client, "GET", url, QUERY)
    except (requests.exceptions.RequestException, ValueError) as refused:
        with pytest.raises(type(refused)):
            client._prepared(client._session, "GET", url, QUERY, None)
    else:
        assert client._prepared(client._session, "GET", url, QUERY, None).url == theirs.url


def test_a_cookie_an_answer_set_is_sent_back_as_requests_did(client):
    client._session.cookies.set("lb", "node-7", domain="127.0.0.1", path="/")
    prepared = assert_prepared_as_requests_does(client, "POST", client._participant_path(CONFERENCE, CALL), data=FORM)
    assert prepared.headers["Cookie"] == "lb=node-7"


def _both_ways(server, call):
    """What the server saw of `call(send)` sent by the client, then by requests' Session.request()
    with the same session settings (what the client did before)."""
    seen = []
    for way in ("client", "requests"):
        client = TwilioClient(account_sid=ACCOUNT, auth_token="secret-token", base_url=server.base_url)

        def send(method, url, params=None, data=None, client=client, way=way):
            if way == "client":
                client._request(method, url, params=params, data=data)
            else:
                client._session.request(method, url, params=params, data=data, timeout=5)

        server.seen.clear()
        try:
            call(client, send)
        finally:
            client.close()
        seen.append([(s.method, s.path, s.form, s.headers) for s in server.seen])
    return seen


@pytest.mark.parametrize(
    ("method", "params", "data"),
    [("POST", None, FORM), ("POST", None, None), ("GET", QUERY, None), ("DELETE", None, None)],
)
def test_on_the_wire_a_call_is_what_requests_sent(server, method, params, data):
    server.otherwise = Reply(body=participant_json(), headers={"Set-Cookie": "lb=node-7; Path=/"})

    def call(client, send):
        url = client._participant_path(CONFERENCE, "agent alice #1 ü")
        send(method, url, params, data)
        send(method, url, params, data)  # with the cookie the first answer set

    by_client, by_requests = _both_ways(server, call)
    assert by_client == by_requests
    assert by_client[1][3]["Cookie"] == "lb=node-7"
    if data:
        assert by_client[0][3]["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_redirect_is_followed_as_requests_did(server):
    moved = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{CONFERENCE}/Participants/{CALL}.json"

    def call(client, send):
        server.script = [Reply(status=307, headers={"Location": moved}), Reply(body=participant_json())]
        send("POST", client._participant_path(CONFERENCE, "agent alice"), None, FORM)

    by_client, by_requests = _both_ways(server, call)
    assert by_client == by_requests
    assert by_client[1][:2] == ("POST", moved)
    assert by_client[1][2] == FORM and by_client[1][3]["Authorization"].startswith("Basic ")
