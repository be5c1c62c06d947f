"""What a supervisor reads when Twilio says no, or cannot be reached."""

from conference_admin.audit.recorder import AuditUnavailable
from conference_admin.twilio import TwilioApiError, TwilioError, TwilioInvalidResponse, TwilioUnreachable

from .client import TwilioNotConfigured

UNREACHABLE = "Twilio is unreachable (connection refused)"


def _code(error: TwilioApiError) -> int:
    return error.code if error.code is not None else error.status


def describe_error(error: Exception) -> str:
    """A write's failure: what happened, and whether it may have been applied anyway."""
    if isinstance(error, AuditUnavailable):
        return error.message
    if isinstance(error, TwilioApiError):
        if error.is_rate_limited:
            return f"Twilio is busy, try again in a moment. ({_code(error)})"
        if error.outcome_unknown:
            return f"Twilio failed ({error.message}, {_code(error)}): the outcome is unknown."
        return f"{error.message} ({_code(error)})"
    if isinstance(error, TwilioUnreachable):
        return f"{UNREACHABLE}: nothing was changed. Check the connection and try again."
    if isinstance(error, TwilioNotConfigured):
        return error.message
    if isinstance(error, TwilioInvalidResponse):
        if error.outcome_unknown:
            return "Twilio's answer was unreadable: the outcome is unknown."
        return "Twilio's answer was unreadable (not the JSON expected)."
    if isinstance(error, TwilioError):
        if error.outcome_unknown:
            return "Twilio did not answer in time: the outcome is unknown."
        return f"Twilio request failed: {error.message}"
    return "Twilio request failed."


def describe_read_error(error: Exception) -> str:
    """A read's failure (the table, the list): nothing was attempted, so nothing is unknown."""
    if isinstance(error, TwilioUnreachable):
        return f"{UNREACHABLE}."
    if isinstance(error, TwilioApiError):
        if error.is_rate_limited:
            return f"Twilio is busy ({_code(error)})."
        return f"{error.message} ({_code(error)})"
    if isinstance(error, TwilioInvalidResponse):
        return "Twilio's answer was unreadable (not the JSON expected)."
    if isinstance(error, TwilioNotConfigured):
        return error.message
    if isinstance(error, TwilioError):
        return f"Twilio did not answer: {error.message}"
    return "Twilio request failed."
