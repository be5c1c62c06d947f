"""Twilio REST client for Conferences and Participants (no Django imports)."""

from .client import DEFAULT_BASE_URL, RetryPolicy, TwilioClient
from .errors import (
    TwilioApiError,
    TwilioError,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTransportError,
    TwilioUnreachable,
)
from .resources import Conference, Page, Participant

__all__ = [
    "DEFAULT_BASE_URL",
    "Conference",
    "Page",
    "Participant",
    "RetryPolicy",
    "TwilioApiError",
    "TwilioClient",
    "TwilioError",
    "TwilioInvalidResponse",
    "TwilioTimeout",
    "TwilioTransportError",
    "TwilioUnreachable",
]
