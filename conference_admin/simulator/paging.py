"""Twilio's list paging: PageSize/Page/PageToken in, the list envelope's URIs out.

Tokens are opaque to clients but simple here: `PA<sid>` means "the records after this one",
`PB<sid>` "the page that ends just before this one" (the shape Twilio's own examples show).
They resolve through creation order, so a token stays valid after its record is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from . import errors
from .errors import SimulatorError, invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PAGING_KEYS = ("PageSize", "Page", "PageToken")

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    page_size: int
    page: int | None
    token: str | None
    # The other query params, in the order sent, repeated on every page URI.
    query: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    records: list[T]
    page: int
    page_size: int
    start: int
    end: int
    uri: str
    first_page_uri: str
    next_page_uri: str | None
    previous_page_uri: str | None


def parse_page_request(query: Sequence[tuple[str, str]]) -> PageRequest:
    values = dict(query)
    page_size = _bounded_int("PageSize", values.get("PageSize"), 1, MAX_PAGE_SIZE)
    return PageRequest(
        page_size=DEFAULT_PAGE_SIZE if page_size is None else page_size,
        page=_bounded_int("Page", values.get("Page"), 0, None),
        token=values.get("PageToken") or None,
        query=tuple((key, value) for key, value in query if key not in PAGING_KEYS),
    )


def _bounded_int(name: str, raw: str | None, low: int, high: int | None) -> int | None:
    """The integer sent as `name`, or None when it was not sent (or sent empty)."""
    if raw is None or raw == "":
        return None
    digits = raw.strip()
    # ASCII only: str.isdigit() also accepts "²", which int() cannot read.
    if not (digits.isascii() and digits.isdigit()):
        raise invalid(f"{name} must be an integer, got {raw!r}")
    number = int(digits)
    if number < low or (high is not None and number > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise invalid(f"{name} must be {limit}, got {number}")
    return number


def paginate(
    records: Sequence[T],
    request: PageRequest,
    *,
    base_uri: str,
    sid_of: Callable[[T], str],
    ordinal_of: Callable[[str], int | None],
    sid_prefix: str,
    newest_first: bool,
) -> Page[T]:
    """Cut one page out of `records` (already in list order) and build its envelope URIs."""
    size = request.page_size
    start, stop = _window(records, request, sid_of, ordinal_of, sid_prefix, newest_first)
    chunk = list(records[start:stop])
    page = request.page if request.page is not None else start // size

    def uri(page_number: int, token: str | None) -> str:
        pairs = [*request.query, ("PageSize", str(size)), ("Page", str(page_number))]
        if token:
            pairs.append(("PageToken", token))
        return f"{base_uri}?{urlencode(pairs)}"

    has_next = bool(chunk) and start + len(chunk) < len(records)
    has_previous = bool(chunk) and start > 0
    return Page(
        records=chunk,
        page=page,
        page_size=size,
        start=start if chunk else 0,
        end=start + len(chunk) - 1 if chunk else 0,
        uri=uri(page, request.token),
        first_page_uri=uri(0, None),
        next_page_uri=uri(page + 1, "PA" + sid_of(chunk[-1])) if has_next else None,
        previous_page_uri=uri(max(page - 1, 0), "PB" + sid_of(chunk[0])) if has_previous else None,
    )


def _window(
    records: Sequence[T],
    request: PageRequest,
    sid_of: Callable[[T], str],
    ordinal_of: Callable[[str], int | None],
    sid_prefix: str,
    newest_first: bool,
) -> tuple[int, int]:
    size = request.page_size
    if request.token is None:
        start = (request.page or 0) * size
        return start, start + size
    direction, anchor = _decode_token(request.token, ordinal_of, sid_prefix)

    def precedes(record: T) -> bool:  # record comes before the anchor in list order
        ordinal = ordinal_of(sid_of(record)) or 0
        return ordinal > anchor if newest_first else ordinal < anchor

    before_anchor = sum(1 for record in records if precedes(record))
    if direction == "PA":
        anchor_listed = any(ordinal_of(sid_of(record)) == anchor for record in records)
        start = before_anchor + (1 if anchor_listed else 0)
        return start, start + size
    return max(0, before_anchor - size), before_anchor


def _decode_token(token: str, ordinal_of: Callable[[str], int | None], sid_prefix: str) -> tuple[str, int]:
    direction, sid = token[:2], token[2:]
    ordinal = ordinal_of(sid) if sid.startswith(sid_prefix) else None
    if direction not in ("PA", "PB") or ordinal is None:
        raise SimulatorError(errors.PAGE_TOKEN_INVALID, f"Invalid PageToken: {token}", 400)
    return direction, ordinal
