"""Twilio REST client for Conferences, Participants, Calls, Recordings and Transcriptions (no Django imports)."""

from .client import DEFAULT_BASE_URL, Exchange, Observer, RetryPolicy, TwilioClient, operation_name
from .errors import (
    TwilioApiError,
    TwilioError,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTooManyPages,
    TwilioTransportError,
    TwilioUnreachable,
)
from .resources import CURRENT_RECORDING, Call, Conference, Page, Participant, Recording, Transcription

__all__ = [
    "CURRENT_RECORDING",
    "DEFAULT_BASE_URL",
    "Exchange",
    "Observer",
    "Call",
    "Conference",
    "Page",
    "Participant",
    "Recording",
    "Transcription",
    "RetryPolicy",
    "TwilioApiError",
    "TwilioClient",
    "TwilioError",
    "TwilioInvalidResponse",
    "TwilioTimeout",
    "TwilioTooManyPages",
    "TwilioTransportError",
    "TwilioUnreachable",
    "operation_name",
]
