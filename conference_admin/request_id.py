"""The id of the request being served, so one click can be followed from the browser to Twilio
to the audit record (docs/OPERATIONS.md). Imports nothing of ours.

`conference_admin.ops.middleware.RequestId` binds it for each request (an incoming
`X-Request-ID` when well-formed, else a new one) and returns it in the response's
`X-Request-ID`; the audit trail stores it on each record, the Twilio request log line and
every other log line carry it (`RequestIdLogFilter`).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What a proxy or a browser may hand us: short, and nothing that could forge a log line.
WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    """The id of the request this code serves, or None outside a request (a command, a thread)."""
    return _current.get()


def new() -> str:
    return uuid.uuid4().hex


def accept(incoming: str | None) -> str:
    """The incoming id when well-formed, else a new one."""
    if incoming and WELL_FORMED.match(incoming):
        return incoming
    return new()


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Puts `request_id` on every record ("-" outside a request), for any formatter to use."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current() or "-"
        return True
