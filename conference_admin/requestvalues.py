"""The one parser for the numbers, dates and search words a request carries.

A version, an offset, a page number, a form's number or date, a header such as
`Last-Event-ID`: each is read here, one way. What Python's `int` and `str.isdigit` would let
through is refused: non-ASCII digits (`²`, `٣`), signs, spaces, underscores, NUL bytes, more
digits than any value the dashboard keeps (a version must fit a 64-bit counter, a cache key, a
database column), and dates at the calendar's very ends, where a day added or taken (or a
time zone's offset) would leave it. Absent and empty read as None.

`Refused` says in one sentence what was wrong; the view turns it into a 400 or ignores the
value, as the page prefers. The form fields below give a form the same parsing.

Imports nothing of the project's own: any layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError

# A version, offset or page never exceeds a signed 64-bit integer (Redis counters, BigInteger).
LARGEST = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
# One day inside the calendar's ends: the day after the last, or before the first, still exists.
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MOMENT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?"
)


class Refused(ValueError):
    """A request value that cannot be taken; `str()` is a sentence the page may show."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _present(raw: str | None) -> bool:
    return raw is not None and raw != ""


def whole_number(raw: str | None, *, name: str, minimum: int = 0, maximum: int = LARGEST) -> int | None:
    """ASCII digits only, no sign, at most `maximum` (and at least `minimum`); None when absent
    or empty. Anything else: `Refused`."""
    if not _present(raw):
        return None
    assert raw is not None
    if not _DIGITS.fullmatch(raw):
        raise Refused(name, "expected a whole number written in the digits 0-9.")
    value = int(raw)
    if value > maximum:
        raise Refused(name, f"at most {maximum}.")
    if value < minimum:
        raise Refused(name, f"at least {minimum}.")
    return value


def whole_number_or(raw: str | None, default: int, *, name: str, minimum: int = 0, maximum: int = LARGEST) -> int:
    """`whole_number`, with `default` for a value absent, empty or refused (a page that ignores it)."""
    try:
        value = whole_number(raw, name=name, minimum=minimum, maximum=maximum)
    except Refused:
        return default
    return default if value is None else value


# Control characters (NUL among them: PostgreSQL refuses it in any text) have no place in a search.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def search_words(raw: str | None, *, name: str, max_length: int = 200) -> str:
    """A free-text search as typed: white space folded, at most `max_length` characters; ""
    when absent. Control characters: `Refused`."""
    if not _present(raw):
        return ""
    assert raw is not None
    if _CONTROL.search(raw):
        raise Refused(name, "a search cannot contain control characters.")
    return " ".join(raw.split())[:max_length]


def page_number(raw: str | None) -> int:
    """A `?page=` as a paginator takes it: 1 unless it is a page number (past the last: the
    paginator shows the last)."""
    return whole_number_or(raw, 1, name="page", minimum=1)


def _in_calendar(name: str, year: int, month: int, day: int) -> date:
    try:
        value = date(year, month, day)
    except ValueError:
        raise Refused(name, "no such date.") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise Refused(name, f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.")
    return value


def day(raw: str | None, *, name: str) -> date | None:
    """`YYYY-MM-DD` (what `<input type="date">` sends), ASCII digits, FIRST_DAY to LAST_DAY."""
    if not _present(raw):
        return None
    assert raw is not None
    found = _DAY.fullmatch(raw.strip())
    if found is None:
        raise Refused(name, "expected a date as YYYY-MM-DD.")
    return _in_calendar(name, *(int(part) for part in found.groups()))


def moment(raw: str | None, *, name: str) -> datetime | None:
    """`YYYY-MM-DD[THH:MM[:SS[.ffffff]]]` (what `<input type="datetime-local">` sends), naive,
    its day within FIRST_DAY to LAST_DAY."""
    if not _present(raw):
        return None
    assert raw is not None
    found = _MOMENT.fullmatch(raw.strip())
    if found is None:
        raise Refused(name, "expected a date and time as YYYY-MM-DDTHH:MM.")
    year, month, dd, hour, minute, second, fraction = found.groups()
    on = _in_calendar(name, int(year), int(month), int(dd))
    try:
        at = time(int(hour or 0), int(minute or 0), int(second or 0), int((fraction or "0").ljust(6, "0")))
    except ValueError:
        raise Refused(name, "no such time of day.") from None
    return datetime.combine(on, at)


# Form fields: a form's numbers and dates parsed here too (Django's own accept any Unicode digit).

_Parsed = TypeVar("_Parsed")


def _form_value(parse: Callable[..., _Parsed | None], text: str, *, name: str) -> _Parsed | None:
    """A form field's text through its parser above; what the parser refuses is the field's error."""
    try:
        return parse(text, name=name)
    except Refused as refused:
        raise ValidationError(refused.reason, code="invalid") from None


class WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, int) or value is None:
            return value
        return _form_value(whole_number, str(value).strip(), name=str(self.label or "number"))


class DayField(forms.DateField):
    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date) or value is None:
            return super().to_python(value)
        return _form_value(day, str(value), name=str(self.label or "date"))


class MomentField(forms.DateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, datetime) or value is None:
            return super().to_python(value)
        return super().to_python(_form_value(moment, str(value), name=str(self.label or "date and time")))


def check_range(form: forms.Form, cleaned: dict[str, Any]) -> None:
    """A form's `since`/`until` pair (days or moments): the end may not come before the start
    (the error stands on `until`)."""
    since, until = cleaned.get("since"), cleaned.get("until")
    if since and until and since > until:
        form.add_error("until", "The end of the range is before its start.")
