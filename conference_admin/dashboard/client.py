"""The one place the dashboard builds its Twilio client from settings, and sends a write with
it audited (`audited`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, Unpack

from django.conf import settings

from conference_admin.audit.recorder import AttemptFields, audit_attempt
from conference_admin.twilio import Exchange, Observer, TwilioClient, TwilioError

_SETTING_NAMES = (
    "TWILIO_API_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
    "TWILIO_CONNECT_TIMEOUT",
    "TWILIO_READ_TIMEOUT",
    "TWILIO_TOTAL_TIMEOUT",
    "TWILIO_MAX_PAGES",
)


class TwilioNotConfigured(TwilioError):
    """Settings lack credentials: nothing can be sent. Shown like any other Twilio failure."""


_lock = threading.Lock()
_cached: tuple[tuple, TwilioClient] | None = None

# Constructor arguments that settings cannot express (a clock, a sleep function, a retry
# policy), set by tests and the soak run through `override_client()`, never by the app.
_overrides: dict[str, Any] = {}


# Who hears of every Twilio call the dashboard makes (the ops app's metrics and request log,
# registered in its AppConfig.ready).
_observers: list[Observer] = []


def observe_twilio(observer: Observer) -> None:
    """Tell `observer` of every call the dashboard's client makes, once it ends."""
    if observer not in _observers:
        _observers.append(observer)


def _tell_observers(exchange: Exchange) -> None:
    for observer in list(_observers):
        observer(exchange)


@contextmanager
def override_client(**overrides: Any) -> Iterator[None]:
    """Build the dashboard's client with extra TwilioClient arguments inside the block.

    with override_client(sleep=clock.sleep, monotonic=clock.monotonic):
        ...  # views now use a client whose backoff waits on the fake clock
    """
    previous = dict(_overrides)
    _overrides.update(overrides)
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(previous)


def get_twilio_client() -> TwilioClient:
    """A client per process, rebuilt whenever one of the Twilio settings changes.

    The cache is keyed on the settings' values, so tests that override them (pytest-django's
    `settings` fixture) get a client for the new values without any signal wiring.
    """
    global _cached
    key = (*(getattr(settings, name) for name in _SETTING_NAMES), *sorted((k, id(v)) for k, v in _overrides.items()))
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        try:
            client = _build()
        except ValueError as exc:
            raise TwilioNotConfigured(
                "Twilio credentials are not configured: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID "
                "and TWILIO_API_KEY_SECRET."
            ) from exc
        _cached = (key, client)
        return client


def _build() -> TwilioClient:
    return TwilioClient(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN or None,
        api_key_sid=settings.TWILIO_API_KEY_SID or None,
        api_key_secret=settings.TWILIO_API_KEY_SECRET or None,
        base_url=settings.TWILIO_API_BASE_URL,
        connect_timeout=float(settings.TWILIO_CONNECT_TIMEOUT),
        read_timeout=float(settings.TWILIO_READ_TIMEOUT),
        total_timeout=float(settings.TWILIO_TOTAL_TIMEOUT),
        max_pages=int(settings.TWILIO_MAX_PAGES),
        **{"observe": _tell_observers, **_overrides},
    )


class _Answered(Protocol):
    @property
    def request_id(self) -> str | None: ...


Answer = TypeVar("Answer", bound=_Answered)


def audited(send: Callable[[], Answer], **attempt: Unpack[AttemptFields]) -> Answer:
    """ONE Twilio call, `send()`, audited: the record is written before it is sent and settled
    with Twilio's request id, or with the error it raised. Returns what Twilio answered."""
    with audit_attempt(**attempt) as audit:
        answer = send()
        audit.succeeded(request_id=answer.request_id)
    return answer
