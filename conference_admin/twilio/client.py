"""A small client for Twilio's Conference, Participant, Call, Recording and Transcription REST endpoints.

It knows nothing of Django: it takes a base URL, credentials and timeouts, and
funnels every call through `_request()`, which applies the retry policy and maps
every failure onto `conference_admin.twilio.errors`.

Retry policy (what is safe to send twice):
- any method: a connection that could not be opened (nothing was sent);
- GET and DELETE: also read timeouts, dropped connections, 429 and 5xx;
- POST (create and update): also 429, because Twilio rejected it unprocessed;
- never a POST after a timeout or a 5xx: its outcome is unknown.
All attempts of one call, backoff included, fit within `total_timeout`.

Observing: an `observe` callable given to the constructor hears of every call once it ends
(`Exchange`: the operation's name as Twilio's API reference spells it, e.g.
"UpdateParticipant", how it ended, Twilio's error code, the seconds it took, the attempts);
the dashboard's metrics and request log listen there. A failing observer never fails a call.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, Unpack
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
from requests.auth import _basic_auth_str
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from .errors import (
    TwilioApiError,
    TwilioError,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTooManyPages,
    TwilioTransportError,
    TwilioUnreachable,
)
from .params import (
    CreateCallRecordingParams,
    CreateParticipantParams,
    CreateTranscriptionParams,
    ListConferencesParams,
    ListParticipantsParams,
    ListRecordingsParams,
    UpdateCallParams,
    UpdateConferenceParams,
    UpdateParticipantParams,
    UpdateRecordingParams,
    encode,
)
from .resources import Call, Conference, Page, Participant, Recording, ResourceT, Transcription

DEFAULT_BASE_URL = "https://api.twilio.com"
# Pages one list may follow through next_page_uri (50 of Twilio's default 50 records: 2500).
DEFAULT_MAX_PAGES = 50
API_VERSION = "2010-04-01"
USER_AGENT = "conference-admin/1.0"

log = logging.getLogger(__name__)

# The rest of a URL, after the base URL's "/", that requests sends exactly as written (urllib3's
# parse_url and requests' requote_uri leave it unchanged): RFC 3986 path characters and upper-case
# escapes of other characters (what quote(..., safe="") makes), no segment starting with "." (so no
# dot segment to remove), no query. Any other URL is prepared by requests itself (see _prepared).
_PLAIN_PATH = re.compile(
    r"(?!\.)(?:[-\w.~!$&'()*+,;=:@]|/(?!\.)|%(?!2[DE]|3\d|[46][1-9A-F]|[57][\dA]|5F|7E)[\dA-F]{2})*", re.ASCII
)

ErrorT = TypeVar("ErrorT", bound=TwilioError)
AnyResource = TypeVar("AnyResource", Call, Conference, Participant, Recording, Transcription)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = 2.0

    def backoff(self, attempt: int) -> float:
        # Full jitter keeps several dashboard processes from retrying in lockstep.
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))


@dataclass(frozen=True)
class Exchange:
    """One client call as it ended, all attempts included (what an observer is told)."""

    operation: str  # e.g. "UpdateParticipant"
    method: str
    # "ok", "error" (Twilio answered with an error: `status`, `code`), "timeout" (no answer in
    # time), "unreachable" (no connection), "dropped" (the connection broke), "invalid" (an
    # answer that is not what the API promises)
    outcome: str
    status: int | None
    code: int | None
    seconds: float
    attempts: int
    request_id: str | None  # Twilio's, from its Twilio-Request-Id header


Observer = Callable[[Exchange], None]

_VERBS = {"GET": ("List", "Fetch"), "POST": ("Create", "Update"), "DELETE": ("Delete", "Delete")}
# Collections after /Accounts/<AC>/, each maybe followed by one SID (or a label, URL-encoded).
_SEGMENT = re.compile(r"(Conferences|Participants|Calls|Recordings)(?:/([^/]+?))?(?=/|\.json$|$)")
_SINGULAR = {"Conferences": "Conference", "Participants": "Participant", "Calls": "Call", "Recordings": "Recording"}


def operation_name(method: str, url: str) -> str:
    """Twilio's name for the operation a request makes, e.g. "UpdateParticipant"."""
    path = urlsplit(url).path
    _, _, tail = path.partition("/Accounts/")
    tail = tail.partition("/")[2] if tail else path
    segments = _SEGMENT.findall(tail.removesuffix(".json"))
    if not segments:
        return f"{method} other"
    collections = [_SINGULAR[name] for name, _ in segments]
    last, item = segments[-1]
    resource = collections[-1]
    if resource == "Recording" and len(collections) > 1:
        resource = collections[-2] + "Recording"
    list_verb, item_verb = _VERBS.get(method, (method, method))
    return (item_verb if item else list_verb) + resource


@dataclass
class _Attempt:
    """What one try produced: a response, or the transport error that stopped it."""

    response: requests.Response | None = None
    error: TwilioTransportError | None = None


class TwilioClient:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        total_timeout: float = 20.0,
        retry: RetryPolicy = RetryPolicy(),
        max_pages: int = DEFAULT_MAX_PAGES,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        observe: Observer | None = None,
    ) -> None:
        if api_key_sid and api_key_secret:
            self._auth = (api_key_sid, api_key_secret)
        elif auth_token:
            self._auth = (account_sid, auth_token)
        else:
            raise ValueError("TwilioClient needs an auth token, or an API key SID and secret")
        self.account_sid = account_sid
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.retry = retry
        self.max_pages = max(1, max_pages)
        self._sleep = sleep
        self._monotonic = monotonic
        self._observe = observe
        self._local = threading.local()
        self._plain_prefix = _plain_prefix(self.base_url)

    # --- conferences --------------------------------------------------------------------

    def list_conferences(
        self, *, limit: int | None = None, **filters: Unpack[ListConferencesParams]
    ) -> list[Conference]:
        return list(self.iter_conferences(limit=limit, **filters))

    def iter_conferences(
        self, *, limit: int | None = None, **filters: Unpack[ListConferencesParams]
    ) -> Iterator[Conference]:
        first = self.page_conferences(**filters)
        return self._iterate(first, Conference, "conferences", limit)

    def page_conferences(self, **filters: Unpack[ListConferencesParams]) -> Page[Conference]:
        query = encode(ListConferencesParams, filters)
        payload, _ = self._request("GET", self._account_path("Conferences.json"), params=query)
        return _page(payload, Conference, "conferences")

    def fetch_conference(self, conference_sid: str) -> Conference:
        return self._one(Conference, "GET", self._conference_path(conference_sid, ".json"))

    def update_conference(self, conference_sid: str, **params: Unpack[UpdateConferenceParams]) -> Conference:
        body = encode(UpdateConferenceParams, params)
        return self._one(Conference, "POST", self._conference_path(conference_sid, ".json"), data=body)

    # --- participants -------------------------------------------------------------------

    def create_participant(
        self, conference_sid: str, *, from_: str, to: str, **params: Unpack[CreateParticipantParams]
    ) -> Participant:
        """Dial `to` into the conference. `conference_sid` may also be a friendly name."""
        if not isinstance(from_, str) or not isinstance(to, str):
            raise TypeError("from_ and to must be strings")
        body = [("From", from_), ("To", to), *encode(CreateParticipantParams, params)]
        return self._one(
            Participant, "POST", self._conference_path(conference_sid, "/Participants.json"), data=body, create=True
        )

    def fetch_participant(self, conference_sid: str, call_sid_or_label: str) -> Participant:
        return self._one(Participant, "GET", self._participant_path(conference_sid, call_sid_or_label))

    def update_participant(
        self, conference_sid: str, call_sid_or_label: str, **params: Unpack[UpdateParticipantParams]
    ) -> Participant:
        body = encode(UpdateParticipantParams, params)
        return self._one(Participant, "POST", self._participant_path(conference_sid, call_sid_or_label), data=body)

    def delete_participant(self, conference_sid: str, call_sid_or_label: str) -> str | None:
        """Remove the participant; returns Twilio's request id."""
        _, request_id = self._request("DELETE", self._participant_path(conference_sid, call_sid_or_label))
        return request_id

    def list_participants(
        self, conference_sid: str, *, limit: int | None = None, **filters: Unpack[ListParticipantsParams]
    ) -> list[Participant]:
        return list(self.iter_participants(conference_sid, limit=limit, **filters))

    def iter_participants(
        self, conference_sid: str, *, limit: int | None = None, **filters: Unpack[ListParticipantsParams]
    ) -> Iterator[Participant]:
        first = self.page_participants(conference_sid, **filters)
        return self._iterate(first, Participant, "participants", limit)

    def page_participants(self, conference_sid: str, **filters: Unpack[ListParticipantsParams]) -> Page[Participant]:
        query = encode(ListParticipantsParams, filters)
        payload, _ = self._request("GET", self._conference_path(conference_sid, "/Participants.json"), params=query)
        return _page(payload, Participant, "participants")

    # --- calls and recordings ---------------------------------------------------------------
    # A recording SID argument may be `Twilio.CURRENT` (resources.CURRENT_RECORDING) on updates:
    # the one recording of that call or conference that is in progress or paused.

    def fetch_call(self, call_sid: str) -> Call:
        return self._one(Call, "GET", self._call_path(call_sid, ".json"))

    def update_call(self, call_sid: str, **params: Unpack[UpdateCallParams]) -> Call:
        """Redirect a live call to new TwiML (`twiml` or `url`), or end it (`status="completed"`).

        Not retried after a lost answer: a redirect applied twice moves the call twice."""
        if "twiml" in params and "url" in params:
            raise TypeError("twiml and url are mutually exclusive")
        body = encode(UpdateCallParams, params)
        return self._one(Call, "POST", self._call_path(call_sid, ".json"), data=body)

    def create_call_recording(self, call_sid: str, **params: Unpack[CreateCallRecordingParams]) -> Recording:
        """Start recording the call (it must be in progress)."""
        body = encode(CreateCallRecordingParams, params)
        return self._one(Recording, "POST", self._call_path(call_sid, "/Recordings.json"), data=body, create=True)

    def list_call_recordings(
        self, call_sid: str, *, limit: int | None = None, **filters: Unpack[ListRecordingsParams]
    ) -> list[Recording]:
        first = self.page_call_recordings(call_sid, **filters)
        return list(self._iterate(first, Recording, "recordings", limit))

    def page_call_recordings(self, call_sid: str, **filters: Unpack[ListRecordingsParams]) -> Page[Recording]:
        return self._recordings_page(self._call_path(call_sid, "/Recordings.json"), filters)

    def fetch_call_recording(self, call_sid: str, recording_sid: str) -> Recording:
        return self._one(Recording, "GET", self._call_recording_path(call_sid, recording_sid))

    def update_call_recording(
        self, call_sid: str, recording_sid: str, *, status: str, **params: Unpack[UpdateRecordingParams]
    ) -> Recording:
        """`status`: paused, in-progress (resume) or stopped; `pause_behavior`: skip or silence."""
        return self._update_recording(self._call_recording_path(call_sid, recording_sid), status, params)

    def list_conference_recordings(
        self, conference_sid: str, *, limit: int | None = None, **filters: Unpack[ListRecordingsParams]
    ) -> list[Recording]:
        first = self.page_conference_recordings(conference_sid, **filters)
        return list(self._iterate(first, Recording, "recordings", limit))

    def page_conference_recordings(
        self, conference_sid: str, **filters: Unpack[ListRecordingsParams]
    ) -> Page[Recording]:
        return self._recordings_page(self._conference_path(conference_sid, "/Recordings.json"), filters)

    def fetch_conference_recording(self, conference_sid: str, recording_sid: str) -> Recording:
        return self._one(Recording, "GET", self._conference_recording_path(conference_sid, recording_sid))

    def update_conference_recording(
        self, conference_sid: str, recording_sid: str, *, status: str, **params: Unpack[UpdateRecordingParams]
    ) -> Recording:
        """`status`: paused, in-progress (resume) or stopped; `pause_behavior`: skip or silence."""
        return self._update_recording(self._conference_recording_path(conference_sid, recording_sid), status, params)

    # A call's recordings and a conference's are the same resource under two owners: listed and
    # updated the same way, at the owner's path.

    def _recordings_page(self, path: str, filters: ListRecordingsParams) -> Page[Recording]:
        payload, _ = self._request("GET", path, params=encode(ListRecordingsParams, filters))
        return _page(payload, Recording, "recordings")

    def _update_recording(self, path: str, status: str, params: UpdateRecordingParams) -> Recording:
        body = [("Status", _required_str("status", status)), *encode(UpdateRecordingParams, params)]
        return self._one(Recording, "POST", path, data=body)

    # --- real-time transcriptions (CreateRealtimeTranscription, UpdateRealtimeTranscription) ---

    def create_transcription(self, call_sid: str, **params: Unpack[CreateTranscriptionParams]) -> Transcription:
        """Start transcribing a call in progress; it stays in its conference."""
        body = encode(CreateTranscriptionParams, params)
        return self._one(
            Transcription, "POST", self._call_path(call_sid, "/Transcriptions.json"), data=body, create=True
        )

    def stop_transcription(self, call_sid: str, sid_or_name: str) -> Transcription:
        """Stop it by its GT SID or by the `name` it was created with (`Status=stopped`)."""
        quoted = quote(_required_str("sid_or_name", sid_or_name), safe="")
        path = self._call_path(call_sid, f"/Transcriptions/{quoted}.json")
        return self._one(Transcription, "POST", path, data=[("Status", "stopped")])

    def _call_path(self, call_sid: str, tail: str) -> str:
        return self._account_path(f"Calls/{quote(call_sid, safe='')}{tail}")

    def _call_recording_path(self, call_sid: str, recording_sid: str) -> str:
        return self._call_path(call_sid, f"/Recordings/{quote(recording_sid, safe='')}.json")

    def _conference_recording_path(self, conference_sid: str, recording_sid: str) -> str:
        return self._conference_path(conference_sid, f"/Recordings/{quote(recording_sid, safe='')}.json")

    # --- plumbing -----------------------------------------------------------------------

    def _iterate(
        self, page: Page[ResourceT], resource: type[ResourceT], key: str, limit: int | None
    ) -> Iterator[ResourceT]:
        yielded, pages = 0, 1
        while True:
            for record in page.records:
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield record
            if not page.next_page_uri or (limit is not None and yielded >= limit):
                return  # the last page, or enough: no page fetched for nothing
            if pages >= self.max_pages:
                raise TwilioTooManyPages(
                    f"Twilio's list answer goes on past {self.max_pages} pages (a next_page_uri on page "
                    f"{self.max_pages}); stopped there",
                    method="GET",
                    url=self._next_page_url(page.next_page_uri),
                )
            pages += 1
            payload, _ = self._request("GET", self._next_page_url(page.next_page_uri))
            page = _page(payload, resource, key)

    def _next_page_url(self, next_page_uri: str) -> str:
        """Where the next page is: a relative URI, or an absolute one on the configured base URL only.

        The session sends the Basic auth header with every request, so a list answer must not be
        able to send the client (and the credentials) to another scheme, host or port.
        """
        if not isinstance(next_page_uri, str):
            raise TwilioInvalidResponse("Twilio's list answer has a next_page_uri that is not a string", method="GET")
        parts = urlsplit(next_page_uri)
        if parts.scheme or parts.netloc:
            url = next_page_uri
        else:
            url = urljoin(self.base_url + "/", next_page_uri.lstrip("/"))
        allowed = _origin(self.base_url)
        found = _origin(url)
        if allowed is None or found != allowed:
            where = found[1] if found else "an unusable URL"
            raise TwilioInvalidResponse(
                f"Twilio's list answer has a next_page_uri on {where}, not on {self.base_url}; not followed",
                method="GET",
            )
        return url

    def _account_path(self, tail: str) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/{tail}"

    def _conference_path(self, conference_sid: str, tail: str) -> str:
        # A create may name the conference by friendly name, so it is encoded like a label.
        return self._account_path(f"Conferences/{quote(conference_sid, safe='')}{tail}")

    def _participant_path(self, conference_sid: str, call_sid_or_label: str) -> str:
        return self._conference_path(conference_sid, f"/Participants/{quote(call_sid_or_label, safe='')}.json")

    @property
    def _session(self) -> requests.Session:
        # One session per thread: connection reuse without sharing a Session across threads.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self._auth
            session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
            # The environment's proxy (HTTPS_PROXY, NO_PROXY) and CA bundle (REQUESTS_CA_BUNDLE,
            # CURL_CA_BUNDLE) are read once for this session, not on every request (a fifth of
            # requests' own time per call); the process's environment does not change.
            session.proxies = requests.utils.get_environ_proxies(self.base_url)
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            session.trust_env = False
            self._local.session = session
            # The headers every request of this session carries, merged once (see _prepared).
            self._local.headers = CaseInsensitiveDict(session.headers)
            self._local.authorization = _basic_auth_str(*self._auth)
        return session

    def _prepared(
        self,
        session: requests.Session,
        method: str,
        url: str,
        params: list[tuple[str, str]] | None,
        data: list[tuple[str, str]] | None,
    ) -> requests.PreparedRequest:
        """The request `session.request()` would send, made without requests' per-call merging.

        `Session.prepare_request` merges the session's headers, params, auth, cookies and hooks into
        every request, checking values against typing Protocols (slow on Python 3.11), and parses
        the URL again: about 0.3 ms of CPU per call, a fifth of the client's own. This thread's
        session has fixed settings, so its headers and auth header are merged once (in `_session`);
        tests/twilio/test_client_transport.py holds the result to requests' own, header for header.
        Headers come in requests' order: the session's, the body's, then Authorization.
        """
        prepared = requests.PreparedRequest()
        prepared.method = method
        # The client's own paths (quote(..., safe="")) are sent as written; any other URL as requests prepares it.
        prefix = self._plain_prefix
        if prefix is not None and url.startswith(prefix) and _PLAIN_PATH.fullmatch(url, len(prefix)):
            prepared.url = f"{url}?{urlencode(params)}" if params else url
        else:
            prepared.prepare_url(url, params)
        headers = prepared.headers = self._local.headers.copy()
        if data:
            body = urlencode(data).encode()
            headers["Content-Length"] = str(len(body))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            prepared.body = body
        elif method not in ("GET", "HEAD"):  # requests announces an empty body on the other methods
            headers["Content-Length"] = "0"
        headers["Authorization"] = self._local.authorization
        jar = RequestsCookieJar()
        if session.cookies:  # none unless an answer set one (Twilio's do not): then sent as requests does
            jar.update(session.cookies)
            prepared.prepare_cookies(jar)
        else:  # what prepare_cookies keeps of an empty jar (no Cookie header); a redirect reads it
            prepared._cookies = jar  # type: ignore[attr-defined]  # requests' stubs leave it out
        return prepared

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def _one(
        self,
        resource: type[AnyResource],
        method: str,
        url: str,
        *,
        data: list[tuple[str, str]] | None = None,
        create: bool = False,
    ) -> AnyResource:
        """One call whose answer is one resource."""
        payload, request_id = self._request(method, url, data=data, create=create)
        try:
            return resource.from_api(payload, request_id=request_id)
        except TypeError as exc:  # the answer lacks a field the resource cannot do without (its SID)
            raise TwilioInvalidResponse(
                f"Twilio's answer is not a {resource.__name__}", method=method, url=url, request_id=request_id
            ) from exc

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: list[tuple[str, str]] | None = None,
        data: list[tuple[str, str]] | None = None,
        create: bool = False,
    ) -> tuple[dict[str, Any], str | None]:
        if self._observe is None:
            return self._send(method, url, params, data, [0])
        started = time.perf_counter()
        attempts = [0]
        try:
            payload, request_id = self._send(method, url, params, data, attempts)
        except TwilioError as error:
            self._tell(method, url, started, attempts[0], error=error)
            raise
        self._tell(method, url, started, attempts[0], request_id=request_id)
        return payload, request_id

    def _tell(
        self,
        method: str,
        url: str,
        started: float,
        attempts: int,
        *,
        error: TwilioError | None = None,
        request_id: str | None = None,
    ) -> None:
        status = code = None
        if error is None:
            outcome = "ok"
        elif isinstance(error, TwilioApiError):
            outcome, status, code, request_id = "error", error.status, error.code, error.request_id
        elif isinstance(error, TwilioTimeout):
            outcome = "timeout"
        elif isinstance(error, TwilioUnreachable):
            outcome = "unreachable"
        elif isinstance(error, TwilioTransportError):
            outcome = "dropped"
        else:
            outcome, request_id = "invalid", getattr(error, "request_id", None)
        exchange = Exchange(
            operation=operation_name(method, url),
            method=method,
            outcome=outcome,
            status=status,
            code=code,
            seconds=time.perf_counter() - started,
            attempts=attempts,
            request_id=request_id,
        )
        try:
            assert self._observe is not None
            self._observe(exchange)
        except Exception:
            log.exception("Observer of Twilio calls failed (the call itself is unaffected)")

    def _send(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]] | None,
        data: list[tuple[str, str]] | None,
        attempts: list[int],
    ) -> tuple[dict[str, Any], str | None]:
        """The call with its retries; `attempts[0]` counts the tries made."""
        deadline = self._monotonic() + self.total_timeout
        idempotent = method in ("GET", "DELETE")
        earlier_outcome_unknown = False
        attempt_number = 0
        while True:
            attempt = self._attempt(method, url, params, data, deadline)
            attempt_number += 1
            attempts[0] = attempt_number
            if attempt.error is not None:
                transport_error = attempt.error
                retryable = not transport_error.outcome_unknown or idempotent
                backoff = self.retry.backoff(attempt_number)
                if not retryable or not self._may_retry(attempt_number, deadline, backoff):
                    raise transport_error
                earlier_outcome_unknown = earlier_outcome_unknown or transport_error.outcome_unknown
                self._sleep(backoff)
                continue
            response = attempt.response
            assert response is not None
            if response.status_code < 400:
                return self._parse_success(method, url, response)
            error = _api_error(method, url, response, earlier_outcome_unknown)
            wait = self._retry_wait(error, attempt_number, idempotent)
            if wait is None or not self._may_retry(attempt_number, deadline, wait):
                raise error
            # A DELETE retried after a 5xx may find its own earlier attempt's work done.
            earlier_outcome_unknown = earlier_outcome_unknown or error.outcome_unknown
            self._sleep(wait)

    def _attempt(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]] | None,
        data: list[tuple[str, str]] | None,
        deadline: float,
    ) -> _Attempt:
        remaining = max(0.05, deadline - self._monotonic())
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        session = self._session
        try:
            # What Session.request() sends with this session's (fixed) settings, prepared by _prepared.
            response = session.send(
                self._prepared(session, method, url, params, data),
                timeout=timeout,
                allow_redirects=True,
                proxies=session.proxies,
                verify=session.verify,
                stream=False,
                cert=session.cert,
            )
            return _Attempt(response=response)
        except requests.exceptions.ConnectTimeout as exc:
            return _Attempt(
                error=_chain(
                    TwilioUnreachable(
                        f"Could not connect to Twilio in time ({exc.__class__.__name__})", method=method, url=url
                    ),
                    exc,
                )
            )
        except requests.exceptions.ReadTimeout as exc:
            return _Attempt(
                error=_chain(
                    TwilioTimeout(
                        "Twilio did not answer in time", outcome_unknown=method != "GET", method=method, url=url
                    ),
                    exc,
                )
            )
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                return _Attempt(
                    error=_chain(
                        TwilioUnreachable("Twilio is unreachable (connection refused)", method=method, url=url), exc
                    )
                )
            return _Attempt(
                error=_chain(
                    TwilioTransportError(
                        "The connection to Twilio dropped", outcome_unknown=method != "GET", method=method, url=url
                    ),
                    exc,
                )
            )
        except requests.exceptions.ChunkedEncodingError as exc:
            # Twilio answered (so it handled the request), then the connection broke mid-body.
            return _Attempt(
                error=_chain(
                    TwilioTransportError(
                        "The connection to Twilio dropped during its answer",
                        outcome_unknown=method != "GET",
                        method=method,
                        url=url,
                    ),
                    exc,
                )
            )
        except requests.exceptions.RequestException as exc:
            raise TwilioError(f"Request to Twilio failed: {exc}", method=method, url=url) from exc

    def _retry_wait(self, error: TwilioApiError, attempt_number: int, idempotent: bool) -> float | None:
        """Seconds to wait before trying again, or None when this error must not be retried."""
        if error.is_rate_limited:
            backoff = self.retry.backoff(attempt_number)
            return max(error.retry_after or 0.0, backoff)
        if idempotent and error.status >= 500:
            return self.retry.backoff(attempt_number)
        return None

    def _may_retry(self, attempt_number: int, deadline: float, wait: float) -> bool:
        return attempt_number < self.retry.max_attempts and self._monotonic() + wait < deadline

    def _parse_success(self, method: str, url: str, response: requests.Response) -> tuple[dict[str, Any], str | None]:
        request_id = response.headers.get("Twilio-Request-Id")
        if response.status_code == 204 or method == "DELETE":
            return {}, request_id
        try:
            payload = response.json()
        except ValueError as exc:
            raise TwilioInvalidResponse(
                f"Twilio answered HTTP {response.status_code} with a body that is not JSON",
                method=method,
                url=url,
                request_id=request_id,
            ) from exc
        if not isinstance(payload, dict):
            raise TwilioInvalidResponse(
                "Twilio answered with unexpected JSON", method=method, url=url, request_id=request_id
            )
        return payload, request_id


def _plain_prefix(base_url: str) -> str | None:
    """`base_url` + "/" when requests sends it, and any plain path after it (_PLAIN_PATH), as written; else None."""
    prefix = base_url + "/"
    if not prefix.startswith(("http://", "https://")) or "?" in prefix or "#" in prefix:
        return None
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(prefix, None)
    except (requests.exceptions.RequestException, ValueError):
        return None
    return prefix if prepared.url == prefix else None


def _required_str(keyword: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{keyword} must be a non-empty str")
    return value


def _chain(error: ErrorT, cause: BaseException) -> ErrorT:
    error.__cause__ = cause
    return error


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the socket never opened (refused, DNS), so the request was not sent."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if name in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError"):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException) and id(reason) not in seen:
            current = reason
            continue
        current = (
            current.__cause__
            or current.__context__
            or (current.args[0] if current.args and isinstance(current.args[0], BaseException) else None)
        )
    return False


def _api_error(method: str, url: str, response: requests.Response, earlier_outcome_unknown: bool) -> TwilioApiError:
    request_id = response.headers.get("Twilio-Request-Id")
    retry_after = _parse_retry_after(response.headers.get("Retry-After"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("code" in body or "message" in body):
        code = body.get("code")
        return TwilioApiError(
            str(body.get("message") or f"HTTP {response.status_code}"),
            status=response.status_code,
            code=code if isinstance(code, int) else None,
            more_info=body.get("more_info"),
            request_id=request_id,
            retry_after=retry_after,
            retried_after_unknown_outcome=earlier_outcome_unknown,
            method=method,
            url=url,
        )
    return TwilioApiError(
        f"Twilio answered HTTP {response.status_code} {response.reason or ''}".strip(),
        status=response.status_code,
        request_id=request_id,
        retry_after=retry_after,
        retried_after_unknown_outcome=earlier_outcome_unknown,
        method=method,
        url=url,
    )


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _origin(url: str) -> tuple[str, str] | None:
    """(scheme, host:port) of an http(s) URL without credentials of its own, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or "\\" in parts.netloc:
        return None
    return scheme, f"{parts.hostname.lower()}:{port or {'http': 80, 'https': 443}[scheme]}"


def _page(payload: dict[str, Any], resource: type[ResourceT], key: str) -> Page[ResourceT]:
    records = payload.get(key)
    if not isinstance(records, list):
        raise TwilioInvalidResponse(f"Twilio's list answer has no '{key}' list", method="GET")
    try:
        return Page(
            records=tuple(resource.from_api(item) for item in records if isinstance(item, dict)),
            page=int(payload.get("page") or 0),
            page_size=int(payload.get("page_size") or len(records)),
            start=int(payload.get("start") or 0),
            end=int(payload.get("end") or 0),
            uri=payload.get("uri"),
            first_page_uri=payload.get("first_page_uri"),
            next_page_uri=payload.get("next_page_uri"),
            previous_page_uri=payload.get("previous_page_uri"),
        )
    except (TypeError, ValueError) as exc:  # a record without its SID, paging numbers that are not numbers
        raise TwilioInvalidResponse(
            f"Twilio's list answer cannot be read as {resource.__name__}s", method="GET"
        ) from exc
