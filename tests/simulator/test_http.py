"""The simulator over real HTTP: status codes, error bodies, auth, label paths, paging, control API.

Every response these tests receive through `api` is also validated against Twilio's spec
(see conftest.Api), so each test doubles as a fidelity check.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conference_admin.simulator.engine import Simulator
from conference_admin.simulator.server import start_simulator

from .conftest import ACCOUNT, API_KEY, API_SECRET, CALLER, OTHER_ACCOUNT, OTHER_TOKEN, TOKEN, Api

REQUEST_ID = re.compile(r"^RQ[0-9a-f]{32}$")


def conference_of(api: Api, name: str = "Room") -> str:
    return api.dial(name)["conference_sid"]


def participants_path(conference_sid: str) -> str:
    return f"Conferences/{conference_sid}/Participants.json"


# --- the happy paths, one per operation -------------------------------------------------------


def test_every_operation_answers_with_the_spec_status_and_body(api: Api, clock) -> None:
    created = api.dial("Support", Label="customer", StatusCallbackEvent=["initiated", "answered"])
    assert created["status"] == "queued" and created["queue_time"] == "500"
    conference_sid, call_sid = created["conference_sid"], created["call_sid"]
    clock.advance(3)

    fetched = api.get(f"Conferences/{conference_sid}/Participants/{call_sid}.json")
    assert fetched.status_code == 200
    assert fetched.json()["status"] == "connected"
    assert fetched.json()["queue_time"] is None

    listed = api.get(participants_path(conference_sid))
    assert listed.status_code == 200 and [p["call_sid"] for p in listed.json()["participants"]] == [call_sid]

    updated = api.post(f"Conferences/{conference_sid}/Participants/{call_sid}.json", {"Muted": "true"})
    assert updated.status_code == 200 and updated.json()["muted"] is True

    second = api.dial(conference_sid)  # a conference starts once a second participant is in
    clock.advance(3)
    conference = api.get(f"Conferences/{conference_sid}.json")
    assert conference.status_code == 200 and conference.json()["status"] == "in-progress"
    assert conference.json()["subresource_uris"]["participants"].endswith(f"{conference_sid}/Participants.json")

    conferences = api.get("Conferences.json")
    assert conferences.status_code == 200 and conferences.json()["conferences"][0]["sid"] == conference_sid

    assert api.delete(f"Conferences/{conference_sid}/Participants/{second['call_sid']}.json").status_code == 204
    deleted = api.delete(f"Conferences/{conference_sid}/Participants/{call_sid}.json")
    assert deleted.status_code == 204 and deleted.content == b""

    ended = api.get(f"Conferences/{conference_sid}.json").json()
    assert ended["status"] == "completed" and ended["reason_conference_ended"] == "last-participant-kicked"
    assert api.checked == 10  # every answer above was checked against the spec


def test_resource_json_has_exactly_the_spec_fields(api: Api) -> None:
    created = api.dial("Room")
    assert list(created) == [
        "account_sid",
        "call_sid",
        "label",
        "call_sid_to_coach",
        "coaching",
        "conference_sid",
        "date_created",
        "date_updated",
        "end_conference_on_exit",
        "muted",
        "hold",
        "start_conference_on_enter",
        "status",
        "queue_time",
        "uri",
    ]
    conference_uri = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{created['conference_sid']}"
    assert created["uri"] == f"{conference_uri}/Participants/{created['call_sid']}.json"
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", created["date_created"])
    conference = api.get(f"Conferences/{created['conference_sid']}.json").json()
    assert set(conference) == {
        "account_sid",
        "date_created",
        "date_updated",
        "api_version",
        "friendly_name",
        "region",
        "sid",
        "status",
        "uri",
        "subresource_uris",
        "reason_conference_ended",
        "call_sid_ending_conference",
    }
    assert conference["api_version"] == "2010-04-01"


def test_end_conference_and_announce_over_http(api: Api) -> None:
    conference_sid = conference_of(api)
    announced = api.post(
        f"Conferences/{conference_sid}.json", {"AnnounceUrl": "https://example.com/a.mp3", "AnnounceMethod": "GET"}
    )
    assert announced.status_code == 200
    ended = api.post(f"Conferences/{conference_sid}.json", {"Status": "completed"})
    assert ended.json()["reason_conference_ended"] == "conference-ended-via-api"
    empty = api.get(participants_path(conference_sid)).json()
    assert empty["participants"] == [] and (empty["start"], empty["end"]) == (0, 0)
    gone = api.post(f"Conferences/{conference_sid}/Participants/{'CA' + 'f' * 32}.json", {"Muted": "true"})
    assert gone.status_code == 404 and gone.json()["code"] == 20404


# --- errors --------------------------------------------------------------------------------


def test_error_body_shape(api: Api) -> None:
    conference_sid = conference_of(api)
    participant_path = f"Conferences/{conference_sid}/Participants/{'CA' + 'a' * 32}.json"
    response = api.get(participant_path)
    assert response.status_code == 404
    assert response.json() == {
        "code": 20404,
        "message": f"The requested resource /2010-04-01/Accounts/{ACCOUNT}/{participant_path} was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"From": CALLER}, 21201),
        ({"To": "+14155550100"}, 21213),
        ({"From": CALLER, "To": "nonsense"}, 21211),
        ({"From": CALLER, "To": "+14155550100", "Timeout": "2"}, 21208),
        ({"From": CALLER, "To": "+14155550100", "StatusCallback": "nope"}, 21205),
        ({"From": CALLER, "To": "+14155550100", "Label": "a/b"}, 16024),
    ],
)
def test_create_validation_errors_are_400_with_twilio_codes(api: Api, data: dict, code: int) -> None:
    response = api.post(participants_path("Room"), data)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_duplicate_label_and_full_conference(api: Api) -> None:
    conference_sid = api.dial("Room", Label="agent", MaxParticipants="2")["conference_sid"]
    duplicate = api.post(participants_path(conference_sid), {"From": CALLER, "To": "+14155550101", "Label": "agent"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, 16026)
    api.dial(conference_sid)
    full = api.post(participants_path(conference_sid), {"From": CALLER, "To": "+14155550102"})
    assert (full.status_code, full.json()["code"]) == (400, 16020)


def test_unknown_conference_and_paths(api: Api) -> None:
    unknown_conference = "CF" + "1" * 32
    for response in (
        api.get(f"Conferences/{unknown_conference}.json"),
        api.get(participants_path(unknown_conference)),
        api.post(participants_path(unknown_conference), {"From": CALLER, "To": "+14155550100"}),
        api.get("Calls.json"),
        api.get(f"/2010-04-01/Accounts/{ACCOUNT}/Conferences"),
        api.get("/somewhere/else"),
    ):
        assert (response.status_code, response.json()["code"]) == (404, 20404), response.url


def test_method_not_allowed(api: Api) -> None:
    conference_sid = conference_of(api)
    response = api.delete(f"Conferences/{conference_sid}.json")
    assert (response.status_code, response.json()["code"]) == (405, 20004)
    assert api.post("Conferences.json", {}).status_code == 405


def test_every_response_has_a_request_id(api: Api) -> None:
    ids = {api.get("Conferences.json").headers["Twilio-Request-Id"], api.get("nope.json").headers["Twilio-Request-Id"]}
    assert len(ids) == 2 and all(REQUEST_ID.fullmatch(i) for i in ids)
    unauthenticated = requests.get(api.url("Conferences.json"))
    assert REQUEST_ID.fullmatch(unauthenticated.headers["Twilio-Request-Id"])


def test_connection_is_kept_alive(api: Api) -> None:
    first = api.get("Conferences.json")
    assert "close" not in first.headers.get("Connection", "").lower()
    assert int(first.headers["Content-Length"]) == len(first.content)


# --- auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, (ACCOUNT, "wrong"), ("AC" + "9" * 32, TOKEN), (API_KEY, "wrong"), (OTHER_ACCOUNT, OTHER_TOKEN)],
    ids=["missing", "bad-token", "unknown-account", "bad-key-secret", "other-account"],
)
def test_bad_credentials_get_401_authenticate(api: Api, auth) -> None:
    response = requests.get(api.url("Conferences.json"), auth=auth)
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_malformed_authorization_header(api: Api) -> None:
    for header in ("Bearer abc", "Basic !!!notbase64", "Basic"):
        assert requests.get(api.url("Conferences.json"), headers={"Authorization": header}).status_code == 401


def test_api_key_works_for_its_account(api: Api, server) -> None:
    conference_sid = conference_of(api)
    with_key = Api(server, auth=(API_KEY, API_SECRET))
    assert with_key.get(f"Conferences/{conference_sid}.json").status_code == 200


def test_other_account_only_sees_its_own_conferences(api: Api, server) -> None:
    conference_of(api)
    other = requests.Session()
    other.auth = (OTHER_ACCOUNT, OTHER_TOKEN)
    response = other.get(f"{server.base_url}/2010-04-01/Accounts/{OTHER_ACCOUNT}/Conferences.json")
    assert response.status_code == 200 and response.json()["conferences"] == []


# --- labels in paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "encoded"),
    [
        ("agent alice", "agent%20alice"),
        ("клиент ünïcødé 電話", None),
        ("room #4", "room%20%234"),
        ("100% sure", "100%25%20sure"),
        ("a+b", "a%2Bb"),
    ],
)
def test_labels_in_paths_are_percent_decoded(api: Api, label: str, encoded: str | None) -> None:
    from urllib.parse import quote

    created = api.dial("Room", Label=label)
    path = f"Conferences/{created['conference_sid']}/Participants/{encoded or quote(label)}.json"
    fetched = api.get(path)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["call_sid"] == created["call_sid"] and fetched.json()["label"] == label
    assert api.post(path, {"Hold": "true"}).json()["hold"] is True
    assert api.delete(path).status_code == 204


def test_encoded_slash_is_not_a_path_separator(api: Api) -> None:
    conference_sid = api.dial("Room", Label="a")["conference_sid"]
    response = api.get(f"Conferences/{conference_sid}/Participants/a%2Fb.json")
    assert (response.status_code, response.json()["code"]) == (404, 20404)


def test_create_on_a_friendly_name_with_spaces_and_unicode(api: Api) -> None:
    from urllib.parse import quote

    created = api.dial(quote("Équipe support #2"))  # '#' must be encoded or it starts a fragment
    conference = api.get(f"Conferences/{created['conference_sid']}.json").json()
    assert conference["friendly_name"] == "Équipe support #2"


# --- paging --------------------------------------------------------------------------------


def follow(api: Api, first_url: str, direction: str = "next_page_uri") -> list[dict]:
    pages = [api.get(first_url).json()]
    while pages[-1][direction]:
        response = api.get(pages[-1][direction])
        assert response.status_code == 200
        pages.append(response.json())
    return pages


def test_participant_pages_follow_next_and_previous(api: Api) -> None:
    conference_sid = conference_of(api)
    for n in range(6):
        api.dial(conference_sid, Label=f"p{n}", Muted="true")
    api.dial(conference_sid, Label="unmuted")

    pages = follow(api, participants_path(conference_sid) + "?Muted=true&PageSize=3")
    assert [[p["label"] for p in page["participants"]] for page in pages] == [["p0", "p1", "p2"], ["p3", "p4", "p5"]]
    assert [(page["page"], page["start"], page["end"], page["page_size"]) for page in pages] == [
        (0, 0, 2, 3),
        (1, 3, 5, 3),
    ]
    assert pages[0]["previous_page_uri"] is None and pages[1]["next_page_uri"] is None
    next_query = parse_qs(urlsplit(pages[0]["next_page_uri"]).query)
    assert next_query["Muted"] == ["true"] and next_query["PageSize"] == ["3"] and next_query["Page"] == ["1"]
    assert next_query["PageToken"][0].startswith("PA")
    assert (
        pages[0]["uri"]
        == f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{conference_sid}/Participants.json?Muted=true&PageSize=3&Page=0"
    )
    assert pages[1]["first_page_uri"] == pages[0]["uri"]

    back = api.get(pages[1]["previous_page_uri"]).json()
    assert parse_qs(urlsplit(pages[1]["previous_page_uri"]).query)["PageToken"][0].startswith("PB")
    assert [p["label"] for p in back["participants"]] == ["p0", "p1", "p2"]
    assert (back["page"], back["start"], back["end"]) == (0, 0, 2)


def test_page_token_survives_deleting_its_anchor(api: Api) -> None:
    conference_sid = conference_of(api)
    for n in range(3):
        api.dial(conference_sid, Label=f"p{n}")
    first = api.get(participants_path(conference_sid) + "?PageSize=2").json()
    api.delete(f"Conferences/{conference_sid}/Participants/p0.json")
    second = api.get(first["next_page_uri"]).json()
    assert [p["label"] for p in second["participants"]] == ["p1", "p2"]


@pytest.mark.parametrize("size", [1, 1000])
def test_page_size_bounds_are_accepted(api: Api, size: int) -> None:
    conference_sid = conference_of(api)
    api.dial(conference_sid)
    pages = follow(api, participants_path(conference_sid) + f"?PageSize={size}")
    assert sum(len(page["participants"]) for page in pages) == 2
    assert all(page["page_size"] == size for page in pages)


# %C2%B2 is "²", a digit to str.isdigit() that int() cannot read.
@pytest.mark.parametrize(
    "query", ["PageSize=0", "PageSize=1001", "PageSize=ten", "Page=-1", "PageSize=%C2%B2", "Page=%C2%B2"]
)
def test_bad_paging_params_are_400(api: Api, query: str) -> None:
    response = api.get(participants_path(conference_of(api)) + "?" + query)
    assert response.status_code == 400


@pytest.mark.parametrize("token", ["garbage", "PA", "PACA" + "0" * 32, "PXCA" + "0" * 32])
def test_invalid_page_token_is_21481(api: Api, token: str) -> None:
    response = api.get("Conferences.json?PageToken=" + token)
    assert (response.status_code, response.json()["code"]) == (400, 21481)


def test_conference_pages_newest_first_with_filters_kept(api: Api, clock) -> None:
    for n in range(5):
        api.dial(f"Room {n}")
        api.dial(f"Room {n}")  # a conference starts with two in it
        clock.advance(3)
    pages = follow(api, "Conferences.json?Status=in-progress&PageSize=2")
    names = [c["friendly_name"] for page in pages for c in page["conferences"]]
    assert names == ["Room 4", "Room 3", "Room 2", "Room 1", "Room 0"]
    assert [(p["start"], p["end"]) for p in pages] == [(0, 1), (2, 3), (4, 4)]
    assert all("Status=in-progress" in page["uri"] for page in pages)
    back = follow(api, pages[-1]["uri"], "previous_page_uri")
    assert [c["friendly_name"] for c in back[-1]["conferences"]] == ["Room 4", "Room 3"]


def test_conference_date_filters_over_http(api: Api, clock) -> None:
    api.dial("Today")
    day = clock.now().date().isoformat()
    assert len(api.get(f"Conferences.json?DateCreated={day}").json()["conferences"]) == 1
    assert len(api.get(f"Conferences.json?DateCreated%3E={day}").json()["conferences"]) == 1
    assert len(api.get("Conferences.json?DateCreated<=2000-01-01").json()["conferences"]) == 0
    assert api.get("Conferences.json?DateUpdated=yesterday").status_code == 400


def test_empty_list_envelope(api: Api) -> None:
    body = api.get("Conferences.json").json()
    assert body == {
        "conferences": [],
        "page": 0,
        "page_size": 50,
        "start": 0,
        "end": 0,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Conferences.json?PageSize=50&Page=0",
        "first_page_uri": f"/2010-04-01/Accounts/{ACCOUNT}/Conferences.json?PageSize=50&Page=0",
        "next_page_uri": None,
        "previous_page_uri": None,
    }


# --- request log and control API ---------------------------------------------------------------


def test_request_log_counts_upstream_calls_per_operation(api: Api, sim: Simulator) -> None:
    conference_sid = conference_of(api)
    api.get(participants_path(conference_sid) + "?Muted=false")
    api.get(participants_path(conference_sid))
    requests.get(api.url("Conferences.json"))  # unauthenticated, still an upstream call
    assert sim.request_counts() == {"CreateParticipant": 1, "ListParticipant": 2, "ListConference": 1}
    record = sim.request_log[1]
    assert (record.method, record.status, record.params) == ("GET", 200, {"Muted": ["false"]})
    assert record.path.endswith("/Participants.json")
    assert sim.request_log[0].params["From"] == [CALLER]
    assert sim.request_log[-1].status == 401

    counts = api.get("/_simulator/requests").json()
    assert counts == {"total": 4, "by_operation": {"CreateParticipant": 1, "ListConference": 1, "ListParticipant": 2}}
    assert api.post("/_simulator/requests/reset").status_code == 204
    assert api.get("/_simulator/requests").json() == {"total": 0, "by_operation": {}}


def test_control_clock_demo_hangup_and_reset(api: Api, sim: Simulator) -> None:
    created = api.dial("Room")
    advanced = api.post("/_simulator/clock/advance", {"Seconds": "3"})
    assert advanced.status_code == 200 and "now" in advanced.json()
    assert (
        api.get(f"Conferences/{created['conference_sid']}/Participants/{created['call_sid']}.json").json()["status"]
        == "connected"
    )
    assert api.post("/_simulator/clock/advance", {"Seconds": "soon"}).status_code == 400

    hung_up = api.post(
        "/_simulator/hangup", {"ConferenceSid": created["conference_sid"], "CallSid": created["call_sid"]}
    )
    assert hung_up.status_code == 204
    assert (
        api.get(f"Conferences/{created['conference_sid']}.json").json()["reason_conference_ended"]
        == "last-participant-left"
    )

    demo = api.post("/_simulator/demo")
    assert demo.status_code == 201 and len(demo.json()["conferences"]) == 5
    assert api.post("/_simulator/reset").status_code == 204
    assert api.get("Conferences.json").json()["conferences"] == []
    assert requests.post(api.url("/_simulator/reset")).status_code == 401


def test_clock_advance_needs_a_manual_clock() -> None:
    sim = Simulator()
    with start_simulator(sim) as server:
        response = requests.post(
            f"{server.base_url}/_simulator/clock/advance",
            {"Seconds": "1"},
            auth=(sim.account_sid, "simulator-demo-auth-token"),
        )
    assert response.status_code == 400


def test_two_simulators_in_one_process_are_independent(api: Api) -> None:
    other = Simulator(account_sid=ACCOUNT, auth_token=TOKEN)
    with start_simulator(other) as second:
        api.dial("Only in the first")
        response = requests.get(
            f"{second.base_url}/2010-04-01/Accounts/{ACCOUNT}/Conferences.json", auth=(ACCOUNT, TOKEN)
        )
        assert response.json()["conferences"] == []
