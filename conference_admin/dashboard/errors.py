"""What a supervisor reads when Twilio says no, or cannot be reached."""

from conference_admin.twilio import TwilioApiError, TwilioError, TwilioUnreachable

from .client import TwilioNotConfigured


def describe_error(error: Exception) -> str:
    if isinstance(error, TwilioApiError):
        if error.is_rate_limited:
            return f"Twilio is busy, try again in a moment. ({error.code or error.status})"
        code = error.code if error.code is not None else error.status
        return f"{error.message} ({code})"
    if isinstance(error, TwilioUnreachable):
        return "Twilio is unreachable; nothing was changed. Check the connection and try again."
    if isinstance(error, TwilioNotConfigured):
        return error.message
    if isinstance(error, TwilioError):
        if error.outcome_unknown:
            return "Twilio did not answer in time: the outcome is unknown."
        return f"Twilio request failed: {error.message}"
    return "Twilio request failed."
