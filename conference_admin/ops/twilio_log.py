"""One log line per call to Twilio, carrying the dashboard request's id (so a click can be
followed from the browser's request to Twilio to the audit record, docs/OPERATIONS.md).

Writes (POST, DELETE) and every failure are logged at INFO, successful reads (the polls'
reconciles) at DEBUG. Registered as an observer of the dashboard's Twilio client.
"""

from __future__ import annotations

import logging

from conference_admin import request_id
from conference_admin.twilio import Exchange

log = logging.getLogger("conference_admin.twilio.requests")


def twilio_call(exchange: Exchange) -> None:
    level = logging.DEBUG if exchange.outcome == "ok" and exchange.method == "GET" else logging.INFO
    if not log.isEnabledFor(level):
        return
    code = exchange.code if exchange.code is not None else exchange.status
    log.log(
        level,
        "Twilio %s %s%s in %.3f s (%d attempt%s)",
        exchange.operation,
        exchange.outcome,
        f" {code}" if code is not None else "",
        exchange.seconds,
        exchange.attempts,
        "" if exchange.attempts == 1 else "s",
        extra={
            "request_id": request_id.current() or "-",
            "twilio_operation": exchange.operation,
            "twilio_outcome": exchange.outcome,
            "twilio_code": code,
            "twilio_seconds": round(exchange.seconds, 4),
            "twilio_request_id": exchange.request_id,
        },
    )
