"""Twilio REST client for Conferences, Participants, Calls, Recordings and Transcriptions (no Django imports)."""

from .client import DEFAULT_BASE_URL, RetryPolicy, TwilioClient
from .errors import (
    TwilioApiError,
    TwilioError,
    TwilioInvalidResponse,
    TwilioTimeout,
    TwilioTransportError,
    TwilioUnreachable,
)
from .resources import CURRENT_RECORDING, Call, Conference, Page, Participant, Recording, Transcription

__all__ = [
    "CURRENT_RECORDING",
    "DEFAULT_BASE_URL",
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
    "TwilioTransportError",
    "TwilioUnreachable",
]
