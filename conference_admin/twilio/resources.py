"""Typed, immutable views of Twilio's JSON resources.

Built with `from_api()`, which ignores keys it does not know so a new Twilio field
never breaks the dashboard.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Self, TypeVar


def parse_rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


# Field names per resource class, computed once (dataclasses.fields() walks the class each call).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
# Per resource class: its field names and one C-level getter of all their values (for pickling).
_FIELD_VALUES: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _field_values(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    found = _FIELD_VALUES.get(cls)
    if found is None:
        names = _field_names(cls)
        getter = operator.attrgetter(*names)
        found = _FIELD_VALUES[cls] = (names, getter if len(names) > 1 else lambda obj: (getter(obj),))
    return found


def _restore(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """Unpickle a resource; a pickle made before a field was added or removed still loads."""
    if names == _field_names(cls):
        return cls(*values)
    known = set(_field_names(cls))
    return cls(**{name: value for name, value in zip(names, values, strict=False) if name in known})


class _FromApi:
    __slots__ = ()
    _DATE_FIELDS: tuple[str, ...] = ("date_created", "date_updated")
    # JSON keys that are Python keywords, and the field each one fills (`from` -> `from_`).
    _RENAMED: dict[str, str] = {}

    @classmethod
    def from_api(cls, payload: dict[str, Any], *, request_id: str | None = None) -> Self:
        known = _field_names(cls)
        renamed = cls._RENAMED
        values = {renamed.get(key, key): value for key, value in payload.items() if renamed.get(key, key) in known}
        for name in cls._DATE_FIELDS:
            if name in values:
                values[name] = parse_rfc2822(values[name])
        values["request_id"] = request_id
        return cls(**values)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rosters keep these in the cache and are (un)pickled on every dashboard request; the
        # generated __init__ is several times faster than dataclasses' per-field __setstate__.
        names, values = _field_values(type(self))
        return (_restore, (type(self), names, values(self)))


@dataclass(frozen=True, slots=True)
class Participant(_FromApi):
    call_sid: str
    conference_sid: str | None = None
    account_sid: str | None = None
    label: str | None = None
    status: str | None = None
    muted: bool | None = None
    hold: bool | None = None
    coaching: bool | None = None
    call_sid_to_coach: str | None = None
    end_conference_on_exit: bool | None = None
    start_conference_on_enter: bool | None = None
    queue_time: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    # Twilio-Request-Id of the response this came from; not part of the resource's identity.
    request_id: str | None = field(default=None, compare=False, repr=False)

    @property
    def identifier(self) -> str:
        """The name a supervisor knows this participant by: its label, else its call SID."""
        return self.label or self.call_sid


@dataclass(frozen=True, slots=True)
class Conference(_FromApi):
    sid: str
    account_sid: str | None = None
    friendly_name: str | None = None
    status: str | None = None
    region: str | None = None
    api_version: str | None = None
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    subresource_uris: dict[str, str] | None = None
    request_id: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call(_FromApi):
    """A call's identity and progress (FetchCall). Who called whom never changes during a call."""

    _DATE_FIELDS = ("date_created", "date_updated", "start_time", "end_time")
    _RENAMED = {"from": "from_"}

    sid: str
    account_sid: str | None = None
    parent_call_sid: str | None = None
    from_: str | None = None
    to: str | None = None
    from_formatted: str | None = None
    to_formatted: str | None = None
    caller_name: str | None = None
    forwarded_from: str | None = None
    direction: str | None = None
    status: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: str | None = None
    answered_by: str | None = None
    phone_number_sid: str | None = None
    group_sid: str | None = None
    trunk_sid: str | None = None
    queue_time: str | None = None
    price: str | None = None
    price_unit: str | None = None
    api_version: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    subresource_uris: dict[str, str] | None = None
    request_id: str | None = field(default=None, compare=False, repr=False)

    @property
    def far_end(self) -> str | None:
        """The other party as a supervisor knows it: the caller of an inbound call, else whom it dialled."""
        return self.from_ if self.direction == "inbound" else self.to


# Twilio.CURRENT stands for "the recording in progress or paused" on a recording update.
CURRENT_RECORDING = "Twilio.CURRENT"
ACTIVE_RECORDING_STATUSES = ("in-progress", "paused")


@dataclass(frozen=True, slots=True)
class Recording(_FromApi):
    """A call recording or a conference recording.

    The two schemas share every field except `track` (call recordings only; None for a
    conference's) and the type of `price` (a number for call recordings, a string for conference
    recordings in Twilio's spec: kept as sent).
    """

    _DATE_FIELDS = ("date_created", "date_updated", "start_time")

    sid: str
    account_sid: str | None = None
    call_sid: str | None = None
    conference_sid: str | None = None
    status: str | None = None
    source: str | None = None
    channels: int | None = None
    track: str | None = None
    start_time: datetime | None = None
    duration: str | None = None
    error_code: int | None = None
    price: float | str | None = None
    price_unit: str | None = None
    api_version: str | None = None
    encryption_details: Any = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    uri: str | None = None
    request_id: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_active(self) -> bool:
        """In progress or paused: what `Twilio.CURRENT` addresses."""
        return self.status in ACTIVE_RECORDING_STATUSES

    @property
    def duration_seconds(self) -> int | None:
        try:
            return int(self.duration) if self.duration is not None else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Transcription(_FromApi):
    """A real-time transcription of a call (api.v2010.account.call.realtime_transcription)."""

    _DATE_FIELDS = ("date_updated",)

    sid: str
    account_sid: str | None = None
    call_sid: str | None = None
    name: str | None = None
    status: str | None = None  # in-progress | stopped
    date_updated: datetime | None = None
    uri: str | None = None
    request_id: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_active(self) -> bool:
        return self.status == "in-progress"


ResourceT = TypeVar("ResourceT", Participant, Conference, Recording)


@dataclass(frozen=True, slots=True)
class Page(Generic[ResourceT]):
    """One page of a list envelope; follow `next_page_uri`, never build a PageToken."""

    records: tuple[ResourceT, ...]
    page: int
    page_size: int
    start: int
    end: int
    uri: str | None
    first_page_uri: str | None
    next_page_uri: str | None
    previous_page_uri: str | None
