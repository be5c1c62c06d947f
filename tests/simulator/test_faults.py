"""Fault injection through real HTTP: what the client sees, whether state changed, what was logged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from conference_admin.simulator.engine import ManualClock, Simulator
from conference_admin.simulator.faults import FaultInjector, parse_spec, parse_specs
from conference_admin.simulator.server import SimulatorServer
from conference_admin.twilio import (
    RetryPolicy,
    TwilioApiError,
    TwilioClient,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTransportError,
)

from .conftest import ACCOUNT, CALLER, TOKEN, Api


@pytest.fixture
def live(api: Api, clock: ManualClock) -> dict:
    """A connected participant in a live conference."""
    created = api.dial("Faulty room", Label="agent:alice")
    api.dial(created["conference_sid"], Label="customer:bea")
    clock.advance(3)
    return created


def participant_path(live: dict) -> str:
    return f"Conferences/{live['conference_sid']}/Participants/{live['call_sid']}.json"


def raw(api: Api) -> requests.Session:
    """A session without the spec check: a fault's answer is deliberately not Twilio's."""
    session = requests.Session()
    session.auth = (ACCOUNT, TOKEN)
    return session


def wait_until(condition, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    """A stalled request is logged when the stall ends, after the client gave up."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(server: SimulatorServer, sleeps: Sleeps) -> Iterator[TwilioClient]:
    twilio = TwilioClient(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        base_url=server.base_url,
        read_timeout=0.3,
        total_timeout=10,
        retry=RetryPolicy(max_attempts=3),
        sleep=sleeps,
    )
    yield twilio
    twilio.close()


# --- the rules themselves ---------------------------------------------------------------------


def test_rules_fire_for_count_then_disappear_and_are_counted() -> None:
    faults = FaultInjector(seed=1)
    assert faults.take("ListParticipant", "GET") is None
    faults.inject(operation="ListParticipant", kind="error", status=503, count=2)
    assert [faults.take("ListParticipant", "GET") is not None for _ in range(3)] == [True, True, False]
    assert faults.rules == []
    assert faults.counts() == {"error": 2}
    faults.clear()
    assert faults.counts() == {}


def test_method_wildcard_and_control_operations() -> None:
    faults = FaultInjector()
    faults.inject(kind="not_found", method="post")
    assert faults.take("UpdateParticipant", "POST").kind == "not_found"  # type: ignore[union-attr]
    assert faults.take("FetchParticipant", "GET") is None
    assert faults.take("ControlFaults", "POST") is None  # "*" never covers the control API


def test_fraction_is_seeded() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed=seed)
        faults.inject(kind="error", fraction=0.5)
        return [faults.take("FetchConference", "GET") is not None for _ in range(40)]

    assert pattern(3) == pattern(3)
    assert 5 < sum(pattern(3)) < 35


@pytest.mark.parametrize(
    "arguments",
    [
        {"kind": "explode"},
        {"kind": "error", "operation": "DeleteConference"},
        {"kind": "error", "status": 504},
        {"kind": "stall"},
        {"kind": "latency"},
        {"kind": "error", "count": 0},
        {"kind": "error", "fraction": 1.5},
        {"kind": "rate_limit", "apply": True},
    ],
)
def test_nonsense_rules_are_refused(arguments: dict) -> None:
    with pytest.raises(ValueError):
        FaultInjector().inject(**arguments)


def test_text_specs() -> None:
    assert parse_spec("kind=error, status=503, operation=ListParticipant, count=2") == {
        "kind": "error",
        "status": 503,
        "operation": "ListParticipant",
        "count": 2,
    }
    assert parse_specs("kind=stall,seconds=2,apply=true; kind=latency,latency-ms=50") == [
        {"kind": "stall", "seconds": 2.0, "apply": True},
        {"kind": "latency", "latency_ms": 50},
    ]
    for bad in ("status=503", "kind=error,count=two", "kind=error,colour=red"):
        with pytest.raises(ValueError):
            parse_spec(bad)


# --- each kind over HTTP ------------------------------------------------------------------------


def test_latency_delays_a_normal_answer(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="FetchParticipant", kind="latency", latency_ms=150)
    started = time.monotonic()
    response = api.get(participant_path(live))
    assert response.status_code == 200 and time.monotonic() - started >= 0.15
    assert sim.request_log[-1].fault == "latency"


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (502, 20502), (503, 20503)])
def test_server_errors_have_twilio_bodies_and_change_nothing(
    api: Api, sim: Simulator, live: dict, status: int, code: int
) -> None:
    sim.faults.inject(operation="UpdateParticipant", kind="error", status=status)
    response = api.post(participant_path(live), {"Muted": "true"})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["status"] == status
    assert response.headers["Twilio-Request-Id"].startswith("RQ")
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"]).muted is False
    record = sim.request_log[-1]
    assert (record.operation, record.status, record.fault) == ("UpdateParticipant", status, "error")


def test_apply_then_500_changes_state_but_answers_an_error(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="UpdateParticipant", kind="error", status=500, apply=True)
    assert api.post(participant_path(live), {"Muted": "true"}).status_code == 500
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"]).muted is True


def test_rate_limit_answers_429_with_retry_after(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(kind="rate_limit", retry_after=2, count=1)
    response = api.post(participant_path(live), {"Hold": "true"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json()["code"] == 20429
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"]).hold is False
    assert api.post(participant_path(live), {"Hold": "true"}).status_code == 200


def test_html_error_page(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(kind="html", status=503, count=1)
    response = raw(api).get(api.url(participant_path(live)))
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>503 Service Unavailable</h1>" in response.text


def test_malformed_json_is_applied_with_a_truncated_body(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="UpdateParticipant", kind="malformed_json")
    response = raw(api).post(api.url(participant_path(live)), {"Muted": "true"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"]).muted is True


def test_empty_body_with_200(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="FetchParticipant", kind="empty")
    response = raw(api).get(api.url(participant_path(live)))
    assert response.status_code == 200 and response.content == b""


def test_not_found_as_for_a_participant_that_left(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="DeleteParticipant", kind="not_found")
    response = api.delete(participant_path(live))
    assert response.status_code == 404 and response.json()["code"] == 20404
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"])  # still there


def test_reset_closes_the_connection_without_an_answer(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="UpdateParticipant", kind="reset", count=1)
    with pytest.raises(requests.ConnectionError) as caught:
        requests.post(api.url(participant_path(live)), {"Muted": "true"}, auth=(ACCOUNT, TOKEN), timeout=2)
    assert "reset" in repr(caught.value).lower() or "aborted" in repr(caught.value).lower()
    assert sim.fetch_participant(ACCOUNT, live["conference_sid"], live["call_sid"]).muted is False
    record = sim.request_log[-1]
    assert (record.status, record.fault) == (0, "reset")
    assert api.post(participant_path(live), {"Muted": "true"}).status_code == 200  # the server is fine


def test_stall_outlasts_the_client_timeout(api: Api, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="FetchParticipant", kind="stall", seconds=0.5)
    with pytest.raises(requests.ReadTimeout):
        requests.get(api.url(participant_path(live)), auth=(ACCOUNT, TOKEN), timeout=0.2)


def test_control_api_injects_lists_and_clears(api: Api, sim: Simulator, live: dict) -> None:
    created = api.post(
        "/_simulator/faults", {"Operation": "FetchParticipant", "Kind": "error", "Status": "503", "Count": "1"}
    )
    assert created.status_code == 201
    assert created.json()["kind"] == "error" and created.json()["remaining"] == 1
    assert api.get(participant_path(live)).status_code == 503
    assert api.get("/_simulator/faults").json() == {"total": 1, "by_kind": {"error": 1}, "rules": []}
    api.post("/_simulator/faults", {"Kind": "latency", "LatencyMs": "1"})
    assert len(api.get("/_simulator/faults").json()["rules"]) == 1
    assert api.delete("/_simulator/faults").status_code == 204
    assert api.get("/_simulator/faults").json() == {"total": 0, "by_kind": {}, "rules": []}
    bad = api.post("/_simulator/faults", {"Kind": "error", "Status": "418"})
    assert bad.status_code == 400 and bad.json()["code"] == 21200
    assert all(not r.operation.startswith("Control") for r in sim.request_log)


def test_reset_clears_faults(sim: Simulator) -> None:
    sim.faults.inject(kind="error")
    sim.reset()
    assert sim.faults.rules == []


# --- what the project's client makes of them ------------------------------------------------------


def test_client_get_succeeds_after_503_503(client: TwilioClient, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="ListParticipant", kind="error", status=503, count=2)
    sim.reset_request_log()
    assert len(client.list_participants(live["conference_sid"])) == 2
    assert sim.request_counts()["ListParticipant"] == 3
    assert [r.status for r in sim.request_log] == [503, 503, 200]


def test_client_honours_retry_after(client: TwilioClient, sim: Simulator, live: dict, sleeps: Sleeps) -> None:
    sim.faults.inject(operation="FetchParticipant", kind="rate_limit", retry_after=3, count=1)
    assert client.fetch_participant(live["conference_sid"], "agent:alice").call_sid == live["call_sid"]
    assert sleeps.calls and sleeps.calls[0] >= 3


def test_client_create_after_429_makes_exactly_one_participant(
    client: TwilioClient, sim: Simulator, live: dict
) -> None:
    sim.faults.inject(operation="CreateParticipant", kind="rate_limit", count=1)
    sim.reset_request_log()
    created = client.create_participant(live["conference_sid"], from_=CALLER, to="+14155550177", label="customer:cy")
    assert [r.status for r in sim.request_log] == [429, 201]
    labels = [p.label for p in sim.list_participants(ACCOUNT, live["conference_sid"])]
    assert labels.count("customer:cy") == 1 and created.label == "customer:cy"


@pytest.mark.parametrize("apply", [False, True])
def test_client_create_stall_is_outcome_unknown_and_not_retried(
    client: TwilioClient, sim: Simulator, live: dict, apply: bool
) -> None:
    sim.faults.inject(operation="CreateParticipant", kind="stall", seconds=0.6, apply=apply)
    sim.reset_request_log()
    with pytest.raises(TwilioTimeout) as caught:
        client.create_participant(live["conference_sid"], from_=CALLER, to="+14155550177", label="customer:cy")
    assert caught.value.outcome_unknown
    wait_until(lambda: sim.request_counts()["CreateParticipant"] == 1)
    time.sleep(0.1)
    assert sim.request_counts()["CreateParticipant"] == 1  # and no retry followed
    labels = [p.label for p in sim.list_participants(ACCOUNT, live["conference_sid"])]
    assert ("customer:cy" in labels) is apply  # with apply the change happened, the answer was lost


def test_client_kick_stall_then_404_is_flagged_as_retried_after_unknown_outcome(
    client: TwilioClient, sim: Simulator, live: dict
) -> None:
    sim.faults.inject(operation="DeleteParticipant", kind="stall", seconds=0.6, apply=True, count=1)
    with pytest.raises(TwilioApiError) as caught:
        client.delete_participant(live["conference_sid"], live["call_sid"])
    assert caught.value.is_not_found and caught.value.retried_after_unknown_outcome
    wait_until(lambda: sim.request_counts()["DeleteParticipant"] == 2)
    assert [r.status for r in sim.request_log if r.operation == "DeleteParticipant"] == [404, 0]


def test_client_reports_malformed_and_html_bodies_clearly(client: TwilioClient, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="FetchParticipant", kind="malformed_json", count=1)
    with pytest.raises(TwilioInvalidResponse, match="not JSON"):
        client.fetch_participant(live["conference_sid"], live["call_sid"])
    sim.faults.inject(operation="UpdateParticipant", kind="html", status=502, count=1)
    with pytest.raises(TwilioApiError) as caught:
        client.update_participant(live["conference_sid"], live["call_sid"], muted=True)
    assert caught.value.status == 502 and caught.value.code is None
    assert "502" in str(caught.value)


def test_client_sees_a_reset_as_a_transport_error(client: TwilioClient, sim: Simulator, live: dict) -> None:
    sim.faults.inject(operation="UpdateParticipant", kind="reset", count=1)
    with pytest.raises(TwilioTransportError) as caught:
        client.update_participant(live["conference_sid"], live["call_sid"], muted=True)
    assert caught.value.outcome_unknown  # a POST whose answer was lost
    sim.faults.inject(operation="FetchParticipant", kind="reset", count=1)
    assert client.fetch_participant(live["conference_sid"], live["call_sid"]).muted is False  # GET retried
    assert sim.request_counts()["FetchParticipant"] == 2
