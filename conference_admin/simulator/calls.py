"""Every participant's call as Twilio's Call resource (FetchCall), kept after the call ends.

A participant is one call in a conference; Twilio's Participant resource does not say who is on
it, the Call resource does (CONTRACT.md section 12). The ledger opens a call when the participant is
created (a dial-out, `outbound-api`, From/To as the API request gave them) or dials in (`join()`,
`inbound`, the caller's number as From), follows the participant's status and keeps the call,
completed, once the participant has gone: Twilio keeps call records, the Participants API does not.

Who called whom never changes; only status, start/end time and duration move. The engine calls
the ledger under its own lock.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from . import errors

if TYPE_CHECKING:
    from .engine import Participant

# Participant status -> the Call resource's status (call_enum_status has no "initiated": a call
# being dialled is still queued; its start_time is set once dialling starts).
CALL_STATUS = {"queued": "queued", "connecting": "queued", "ringing": "ringing", "connected": "in-progress"}
NORTH_AMERICAN = re.compile(r"^\+1(\d{3})(\d{3})(\d{4})$")


@dataclass
class Call:
    account_sid: str
    sid: str
    from_: str
    to: str
    direction: str  # "inbound" (dialled in) or "outbound-api" (created through the API)
    status: str
    date_created: datetime
    date_updated: datetime
    conference_sid: str = ""  # the conference the participant is (or was) in; not part of the resource
    caller_name: str | None = None  # caller-ID lookup: only ever set on inbound calls
    start_time: datetime | None = None
    answered_at: datetime | None = None
    end_time: datetime | None = None

    @property
    def duration(self) -> str | None:
        """Whole seconds from answer to hang-up; empty for busy, failed, unanswered or ongoing calls."""
        if self.end_time is None or self.answered_at is None or self.status != "completed":
            return None
        return str(int((self.end_time - self.answered_at).total_seconds()))

    @property
    def in_progress(self) -> bool:
        return self.status == "in-progress"


def formatted(endpoint: str) -> str:
    """Twilio's display form: `(415) 555-0101` for North American numbers, anything else as is."""
    match = NORTH_AMERICAN.fullmatch(endpoint)
    if match is None:
        return endpoint
    area, exchange, line = match.groups()
    return f"({area}) {exchange}-{line}"


class CallLedger:
    """The calls of every participant, live or gone, by Call SID."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}

    def open(self, participant: Participant, at: datetime, caller_name: str | None = None) -> None:
        self._calls[participant.call_sid] = Call(
            account_sid=participant.account_sid,
            sid=participant.call_sid,
            from_=participant.from_,
            to=participant.to,
            direction=participant.direction,
            status=CALL_STATUS.get(participant.status, "queued"),
            date_created=at,
            date_updated=at,
            conference_sid=participant.conference_sid,
            caller_name=caller_name if participant.direction == "inbound" else None,
        )
        self.follow(participant, at)

    def follow(self, participant: Participant, at: datetime) -> None:
        """The participant's status moved on: so does its call's."""
        call = self._calls.get(participant.call_sid)
        if call is None or call.end_time is not None:
            return
        status = CALL_STATUS.get(participant.status, call.status)
        if participant.status != "queued" and call.start_time is None:
            call.start_time = at
        if status == "in-progress" and call.answered_at is None:
            call.answered_at = at
        if status != call.status:
            call.status = status
            call.date_updated = at

    def close(self, participant: Participant, at: datetime, call_status: str) -> None:
        """The call ended: completed, canceled, busy, failed or no-answer."""
        call = self._calls.get(participant.call_sid)
        if call is None or call.end_time is not None:
            return
        call.status = call_status
        call.end_time = at
        call.date_updated = at

    def move(self, call_sid: str, conference_sid: str, at: datetime) -> None:
        """The call was redirected into another conference (UpdateCall): same call, another room."""
        call = self._calls[call_sid]
        call.conference_sid = conference_sid
        call.date_updated = at

    def get(self, account_sid: str, call_sid: str) -> Call:
        """A snapshot of the call; 20404 for an unknown call or another account's."""
        call = self._calls.get(call_sid)
        if call is None or call.account_sid != account_sid:
            raise errors.not_found(f"/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json")
        return copy.copy(call)
