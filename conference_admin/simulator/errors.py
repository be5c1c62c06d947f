"""Twilio-shaped errors raised by the simulator engine and turned into JSON at the HTTP edge.

Every error carries Twilio's numeric `code` and the HTTP status Twilio answers with, so the
dashboard's client can be tested against the same failures it will meet in production.
"""

from __future__ import annotations

MORE_INFO_BASE = "https://www.twilio.com/docs/errors/"

# Codes used by the simulator. Twilio's own code is used wherever one exists; the generic
# "invalid parameter value" case has none, so it uses 21200 (Twilio's catch-all for the
# Calls resource, which is what a participant is). docs/SIMULATOR.md lists them all.
INVALID_PARAMETER = 21200
TO_MISSING = 21201
URL_INVALID = 21205
TIMEOUT_INVALID = 21208
METHOD_INVALID = 21209
TO_INVALID = 21211
FROM_MISSING = 21213
FROM_INVALID = 21217
CALL_STATE_INVALID = 21220
PAGE_TOKEN_INVALID = 21481
STATUS_CALLBACK_EVENT_INVALID = 21626
FRIENDLY_NAME_INVALID = 20002
AUTHENTICATE = 20003
METHOD_NOT_ALLOWED = 20004
NOT_FOUND = 20404
INTERNAL_ERROR = 20500
CONFERENCE_FULL = 16020
LABEL_INVALID = 16024
LABEL_IN_USE = 16026
COACHED_PARTICIPANT_ON_HOLD = 16027
COACHED_PARTICIPANT_ABSENT = 16028
RECORDING_TOO_SHORT = 16101
RECORDING_CONCURRENT = 16108
TWIML_TOO_LONG = 32018


class SimulatorError(Exception):
    """A failure Twilio would report as `{"code", "message", "more_info", "status"}`."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def as_body(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"{MORE_INFO_BASE}{self.code}",
            "status": self.status,
        }


def invalid(message: str, code: int = INVALID_PARAMETER) -> SimulatorError:
    return SimulatorError(code, message, 400)


def not_found(path_or_what: str) -> SimulatorError:
    return SimulatorError(NOT_FOUND, f"The requested resource {path_or_what} was not found", 404)


def authenticate() -> SimulatorError:
    return SimulatorError(AUTHENTICATE, "Authenticate", 401)
