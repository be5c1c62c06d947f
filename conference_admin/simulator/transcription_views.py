"""Twilio REST endpoints for Real-Time Transcriptions on a call (CreateRealtimeTranscription,
UpdateRealtimeTranscription), thin like every other simulator view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from . import transcriptions
from .views import form_params, json_response, simulator_of, twilio_endpoint


# The spec answers the create with 200 (its only listed response), not 201 as most creates.
@twilio_endpoint({"POST": "CreateRealtimeTranscription"})
def transcription_list(request: HttpRequest, account_sid: str, call_sid: str) -> HttpResponse:
    created = simulator_of(request).create_transcription(account_sid, call_sid, form_params(request))
    return json_response(transcriptions.resource_json(created), 200)


@twilio_endpoint({"POST": "UpdateRealtimeTranscription"})
def transcription_detail(request: HttpRequest, account_sid: str, call_sid: str, sid: str) -> HttpResponse:
    stopped = simulator_of(request).update_transcription(account_sid, call_sid, sid, form_params(request))
    return json_response(transcriptions.resource_json(stopped))
