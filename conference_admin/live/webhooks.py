"""Endpoints Twilio posts status callbacks to.

No login (Twilio has none), no CSRF token (Twilio cannot send one): the
X-Twilio-Signature is the authentication, checked against the public URL Twilio
used, which behind a TLS-terminating proxy differs from what Django sees.
"""

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conference_admin.twilio.signature import validate_signature

from . import callbacks, transcripts
from .signals import webhook_refused

security_log = logging.getLogger("conference_admin.security")


def _public_url(request) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()


def _signed_by_twilio(request) -> bool:
    if not settings.PUBLIC_BASE_URL or not settings.TWILIO_AUTH_TOKEN:
        security_log.warning("Webhook refused: PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN are needed to check signatures")
        webhook_refused.send(None, reason="unconfigured")
        return False
    signature = request.headers.get("X-Twilio-Signature")
    if validate_signature(settings.TWILIO_AUTH_TOKEN, _public_url(request), request.POST, signature):
        return True
    security_log.warning(
        "Webhook refused: %s X-Twilio-Signature on %s from %s",
        "bad" if signature else "missing",
        request.path,
        request.META.get("REMOTE_ADDR", "?"),
    )
    webhook_refused.send(None, reason="bad" if signature else "missing")
    return False


def twilio_webhook(handle: Callable[[HttpRequest], object]) -> Callable[[HttpRequest], HttpResponse]:
    """An endpoint Twilio posts to: no login, no CSRF token, POST only; 403 unless Twilio signed
    it, 400 with the reason if it is malformed (`InvalidCallback`), else 204."""

    @wraps(handle)
    def receive(request: HttpRequest) -> HttpResponse:
        if not _signed_by_twilio(request):
            return HttpResponseForbidden("Invalid signature")
        try:
            handle(request)
        except callbacks.InvalidCallback as exc:
            return HttpResponseBadRequest(str(exc))
        return HttpResponse(status=204)

    return csrf_exempt(login_not_required(require_POST(receive)))


@twilio_webhook
def conference_status(request):
    callbacks.receive_conference_callback(request.POST)


@twilio_webhook
def call_status(request):
    callbacks.receive_call_status_callback(request.POST, request.GET.get("conference", ""))


@twilio_webhook
def recording_status(request):
    """A recording's status (in-progress, completed, absent): the conference's recording, or a
    participant's call recording (`?conference=` names the conference, as for call status)."""
    callbacks.receive_recording_status_callback(request.POST, request.GET.get("conference", ""))


@twilio_webhook
def transcription_status(request):
    """A real-time transcription's callback (started, content, stopped, error). The dashboard put
    the conference and the speaker's name in the URL it gave Twilio, so they are signed too."""
    transcripts.receive_transcription_callback(
        request.POST, request.GET.get("conference", ""), request.GET.get("speaker", "")
    )
