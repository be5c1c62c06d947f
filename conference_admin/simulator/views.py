"""Twilio REST endpoints for Conferences, Participants, Calls and Recordings, plus the `/_simulator/` control API.

Views stay thin: authenticate, read params, make one engine call, serialize. Errors raised
as `SimulatorError` become Twilio's error JSON in `twilio_endpoint`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import TypeVar
from urllib.parse import parse_qsl, unquote

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import errors, faults, paging, serialization, validation
from .clock import ManualClock, rfc2822
from .engine import Simulator
from .errors import SimulatorError
from .faults import Fault
from .recordings import Recording
from .request import SimulatorRequest, simulator_request
from .validation import DateFilter

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# Labels may hold characters a decoded PATH_INFO loses (%2F), so re-read them from the raw path.
RAW_PARTICIPANT_PATH = re.compile(
    r"^/2010-04-01/Accounts/[^/]+/Conferences/(?P<conference>[^/]+)/Participants(?:/(?P<call>[^/]+))?\.json$"
)

View = Callable[..., HttpResponse]
T = TypeVar("T")


# --- responses -------------------------------------------------------------------------


def json_response(body: object, status: int = 200) -> HttpResponse:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return HttpResponse(payload, status=status, content_type=JSON_CONTENT_TYPE)


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def error_response(error: SimulatorError) -> HttpResponse:
    response = json_response(error.as_body(), error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


# --- request helpers -------------------------------------------------------------------


def authenticated_account(request: SimulatorRequest) -> str:
    """The account the Basic-auth header unlocks; 401 (20003) otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise errors.authenticate()
    try:
        username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise errors.authenticate() from None
    account_sid = request.simulator.authenticate(username, password)
    if account_sid is None:
        raise errors.authenticate()
    return account_sid


def form_params(request: HttpRequest) -> dict[str, list[str]]:
    return dict(request.POST.lists())


def query_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """Query params in the order sent (page URIs repeat them), keys like `DateCreated<` intact."""
    return parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)


def query_params(request: HttpRequest) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in query_pairs(request):
        params.setdefault(key, []).append(value)
    return params


def raw_path_part(request: HttpRequest, name: str, decoded: str) -> str:
    raw_uri = request.META.get("RAW_URI")
    if not raw_uri:
        return decoded
    match = RAW_PARTICIPANT_PATH.match(raw_uri.split("?", 1)[0])
    if not match or match.group(name) is None:
        return decoded
    return unquote(match.group(name), encoding="utf-8")


def simulator_of(request: HttpRequest) -> Simulator:
    return simulator_request(request).simulator


# --- the decorator every endpoint goes through ---------------------------------------------


def twilio_endpoint(operations: dict[str, str]) -> Callable[[View], View]:
    """Route by HTTP method to an operation name, check auth and the path's account, map errors."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(http_request: HttpRequest, account_sid: str | None = None, **kwargs: str) -> HttpResponse:
            request = simulator_request(http_request)
            request.operation = operations.get(request.method or "", "MethodNotAllowed")
            try:
                authenticated = authenticated_account(request)
                if account_sid is not None and account_sid != authenticated:
                    raise errors.authenticate()
                if request.method not in operations:
                    raise SimulatorError(errors.METHOD_NOT_ALLOWED, f"Method {request.method} not allowed", 405)
                fault = request.simulator.faults.take(request.operation, request.method or "")
                if fault is not None:
                    return serve_fault(request, fault, lambda: view(request, authenticated, **kwargs))
                return view(request, authenticated, **kwargs)
            except SimulatorError as error:
                return error_response(error)

        return wrapper

    return decorate


# --- injected faults (faults.py decides which request; this is what the client sees) ----------

FAULT_ERRORS = {
    500: (errors.INTERNAL_ERROR, "Internal Server Error"),
    502: (20502, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}
HTML_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def serve_fault(request: SimulatorRequest, fault: Fault, process: Callable[[], HttpResponse]) -> HttpResponse:
    request.fault = fault.kind
    kind = fault.kind
    if kind == "latency":
        time.sleep(fault.latency_ms / 1000)
        return process()
    if fault.apply:
        _apply_quietly(process)  # the change happens; the answer below is all the client gets
    if kind == "stall":
        time.sleep(fault.seconds)
        return no_answer(request)
    if kind == "reset":
        return no_answer(request)
    if kind == "rate_limit":
        response = error_response(SimulatorError(20429, "Too Many Requests", 429))
        response["Retry-After"] = str(fault.retry_after)
        return response
    if kind == "error":
        code, message = FAULT_ERRORS[fault.status or 500]
        return error_response(SimulatorError(code, message, fault.status or 500))
    if kind == "html":
        status = fault.status or 502
        reason = HTML_REASONS[status]
        page = f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>\n"
        return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")
    if kind == "not_found":
        return error_response(errors.not_found(request.path))
    answer = _processed(process)
    if kind == "malformed_json":
        # The answer was cut off mid-body: the change happened, its JSON is unreadable.
        body = answer.content[: max(1, len(answer.content) // 2)] or b"{"
        return HttpResponse(body, status=answer.status_code, content_type=JSON_CONTENT_TYPE)
    return HttpResponse(b"", status=200, content_type=JSON_CONTENT_TYPE)  # "empty"


def _apply_quietly(process: Callable[[], HttpResponse]) -> None:
    try:
        process()
    except SimulatorError:
        pass  # the operation itself failed (e.g. 20404): nothing changed, the fault still answers


def _processed(process: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return process()
    except SimulatorError as error:
        return error_response(error)


def no_answer(request: SimulatorRequest) -> HttpResponse:
    """Close the connection with a TCP reset instead of answering (see handler.py)."""
    request.no_answer = True
    request.META["simulator.no_answer"] = True
    return HttpResponse(status=503)  # a placeholder the server never sends


# --- conferences -----------------------------------------------------------------------


@twilio_endpoint({"GET": "ListConference"})
def conference_list(request: HttpRequest, account_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    page_request = paging.parse_page_request(query_pairs(request))
    filters = validation.parse_conference_filters(query_params(request))
    page = paging.paginate(
        simulator.list_conferences(account_sid, filters),
        page_request,
        base_uri=serialization.conferences_uri(account_sid),
        sid_of=lambda conference: conference.sid,
        ordinal_of=simulator.ordinal_of,
        sid_prefix="CF",
        newest_first=True,
    )
    return json_response(envelope("conferences", page, serialization.conference_json))


@twilio_endpoint({"GET": "FetchConference", "POST": "UpdateConference"})
def conference_detail(request: HttpRequest, account_sid: str, conference_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    if request.method == "GET":
        conference = simulator.fetch_conference(account_sid, conference_sid)
    else:
        conference = simulator.update_conference(account_sid, conference_sid, form_params(request))
    return json_response(serialization.conference_json(conference))


# --- participants ----------------------------------------------------------------------


@twilio_endpoint({"GET": "ListParticipant", "POST": "CreateParticipant"})
def participant_list(request: HttpRequest, account_sid: str, conference_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    conference_sid = raw_path_part(request, "conference", conference_sid)
    if request.method == "POST":
        participant = simulator.create_participant(account_sid, conference_sid, form_params(request))
        return json_response(serialization.participant_json(participant), 201)
    page_request = paging.parse_page_request(query_pairs(request))
    filters = validation.parse_participant_filters(query_params(request))
    page = paging.paginate(
        simulator.list_participants(account_sid, conference_sid, filters),
        page_request,
        base_uri=serialization.participants_uri(account_sid, conference_sid),
        sid_of=lambda participant: participant.call_sid,
        ordinal_of=simulator.ordinal_of,
        sid_prefix="CA",
        newest_first=False,
    )
    return json_response(envelope("participants", page, serialization.participant_json))


@twilio_endpoint({"GET": "FetchParticipant", "POST": "UpdateParticipant", "DELETE": "DeleteParticipant"})
def participant_detail(request: HttpRequest, account_sid: str, conference_sid: str, call_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    call_sid = raw_path_part(request, "call", call_sid)
    if request.method == "DELETE":
        simulator.delete_participant(account_sid, conference_sid, call_sid)
        return no_content()
    if request.method == "POST":
        participant = simulator.update_participant(account_sid, conference_sid, call_sid, form_params(request))
    else:
        participant = simulator.fetch_participant(account_sid, conference_sid, call_sid)
    return json_response(serialization.participant_json(participant))


def envelope(records_key: str, page: paging.Page[T], to_json: Callable[[T], dict[str, object]]) -> dict[str, object]:
    """CONTRACT.md section 9: one records key plus the meta keys, nothing else (the SDK relies on it)."""
    return {
        records_key: [to_json(record) for record in page.records],
        "page": page.page,
        "page_size": page.page_size,
        "start": page.start,
        "end": page.end,
        "uri": page.uri,
        "first_page_uri": page.first_page_uri,
        "next_page_uri": page.next_page_uri,
        "previous_page_uri": page.previous_page_uri,
    }


# --- calls and recordings ---------------------------------------------------------------------
# Only the operations the dashboard uses: DeleteCall and the recording deletes are left out
# (docs/SIMULATOR.md), so those methods answer 405.


@twilio_endpoint({"GET": "FetchCall", "POST": "UpdateCall"})
def call_detail(request: HttpRequest, account_sid: str, call_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    if request.method == "POST":
        updated = simulator.update_call(account_sid, call_sid, form_params(request))
        return json_response(serialization.call_json(updated))
    return json_response(serialization.call_json(simulator.fetch_call(account_sid, call_sid)))


@twilio_endpoint({"GET": "ListCallRecording", "POST": "CreateCallRecording"})
def call_recording_list(request: HttpRequest, account_sid: str, call_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    if request.method == "POST":
        recording = simulator.create_call_recording(account_sid, call_sid, form_params(request))
        return json_response(serialization.recording_json(recording), 201)
    return recording_page(
        request,
        lambda dates: simulator.list_call_recordings(account_sid, call_sid, dates),
        serialization.call_recordings_uri(account_sid, call_sid),
    )


@twilio_endpoint({"GET": "FetchCallRecording", "POST": "UpdateCallRecording"})
def call_recording_detail(request: HttpRequest, account_sid: str, call_sid: str, recording_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    if request.method == "POST":
        recording = simulator.update_call_recording(account_sid, call_sid, recording_sid, form_params(request))
    else:
        recording = simulator.fetch_call_recording(account_sid, call_sid, recording_sid)
    return json_response(serialization.recording_json(recording))


@twilio_endpoint({"GET": "ListConferenceRecording"})
def conference_recording_list(request: HttpRequest, account_sid: str, conference_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    return recording_page(
        request,
        lambda dates: simulator.list_conference_recordings(account_sid, conference_sid, dates),
        serialization.conference_recordings_uri(account_sid, conference_sid),
    )


@twilio_endpoint({"GET": "FetchConferenceRecording", "POST": "UpdateConferenceRecording"})
def conference_recording_detail(
    request: HttpRequest, account_sid: str, conference_sid: str, recording_sid: str
) -> HttpResponse:
    simulator = simulator_of(request)
    if request.method == "POST":
        recording = simulator.update_conference_recording(
            account_sid, conference_sid, recording_sid, form_params(request)
        )
    else:
        recording = simulator.fetch_conference_recording(account_sid, conference_sid, recording_sid)
    return json_response(serialization.recording_json(recording))


def recording_page(
    request: HttpRequest, list_recordings: Callable[[Sequence[DateFilter]], list[Recording]], base_uri: str
) -> HttpResponse:
    """One page of the recordings `list_recordings` gives for the request's date filters."""
    page_request = paging.parse_page_request(query_pairs(request))
    dates = validation.parse_recording_dates(query_params(request))
    page = paging.paginate(
        list_recordings(dates),
        page_request,
        base_uri=base_uri,
        sid_of=lambda recording: recording.sid,
        ordinal_of=simulator_of(request).ordinal_of,
        sid_prefix="RE",
        newest_first=True,
    )
    return json_response(envelope("recordings", page, serialization.recording_json))


ALL_METHODS = {"GET": "Unknown", "POST": "Unknown", "DELETE": "Unknown", "PUT": "Unknown", "PATCH": "Unknown"}


@twilio_endpoint(ALL_METHODS)
def unknown_path(request: HttpRequest, account_sid: str, **_: str) -> HttpResponse:
    return error_response(errors.not_found(request.path))


# --- control API (not Twilio's; see docs/SIMULATOR.md) ----------------------------------------


@twilio_endpoint({"GET": "ControlRequestLog"})
def control_request_log(request: HttpRequest, account_sid: str) -> HttpResponse:
    counts = simulator_of(request).request_counts()
    return json_response({"total": sum(counts.values()), "by_operation": dict(sorted(counts.items()))})


@twilio_endpoint({"POST": "ControlResetRequestLog"})
def control_reset_request_log(request: HttpRequest, account_sid: str) -> HttpResponse:
    simulator_of(request).reset_request_log()
    return no_content()


@twilio_endpoint({"POST": "ControlAdvanceClock"})
def control_advance_clock(request: HttpRequest, account_sid: str) -> HttpResponse:
    simulator = simulator_of(request)
    if not isinstance(simulator.clock, ManualClock):
        raise errors.invalid("The clock can only be advanced on a simulator running a ManualClock")
    seconds = request.POST.get("Seconds", "")
    try:
        amount = float(seconds)
    except ValueError:
        raise errors.invalid(f"Seconds must be a number, got {seconds!r}") from None
    if amount < 0:
        raise errors.invalid("Seconds must not be negative")
    now = simulator.clock.advance(amount)
    simulator.tick()
    return json_response({"now": rfc2822(now)})


@twilio_endpoint({"POST": "ControlReset"})
def control_reset(request: HttpRequest, account_sid: str) -> HttpResponse:
    simulator_of(request).reset()
    return no_content()


@twilio_endpoint({"POST": "ControlLoadDemo"})
def control_load_demo(request: HttpRequest, account_sid: str) -> HttpResponse:
    from .demo import load_demo

    conferences = load_demo(simulator_of(request), account_sid=account_sid)
    return json_response({"conferences": [conference.sid for conference in conferences]}, 201)


@twilio_endpoint({"POST": "ControlHangUp"})
def control_hang_up(request: HttpRequest, account_sid: str) -> HttpResponse:
    conference_sid = request.POST.get("ConferenceSid", "")
    call_sid = request.POST.get("CallSid", "")
    simulator_of(request).hang_up(account_sid, conference_sid, call_sid)
    return no_content()


@twilio_endpoint({"GET": "ControlFaults", "POST": "ControlInjectFault", "DELETE": "ControlClearFaults"})
def control_faults(request: HttpRequest, account_sid: str) -> HttpResponse:
    injector = simulator_of(request).faults
    if request.method == "DELETE":
        injector.clear()
        return no_content()
    if request.method == "POST":
        try:
            arguments = faults.parse_spec(",".join(f"{_snake(key)}={value}" for key, value in request.POST.items()))
            rule = injector.inject(**arguments)
        except (ValueError, TypeError) as exc:
            raise errors.invalid(str(exc)) from None
        return json_response(rule.as_json(), 201)
    counts = injector.counts()
    return json_response(
        {
            "total": sum(counts.values()),
            "by_kind": dict(sorted(counts.items())),
            "rules": [rule.as_json() for rule in injector.rules],
        }
    )


def _snake(name: str) -> str:
    """Form fields are PascalCase like Twilio's (`LatencyMs`); the engine's keywords are snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
