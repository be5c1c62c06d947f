from django.urls import path, re_path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>)

from . import views, webhooks

# Both spellings, with and without the trailing slash, answer directly: Twilio drops
# the parameters when it follows a redirect.
urlpatterns = [
    re_path(r"^webhooks/twilio/conference-status/?$", webhooks.conference_status, name="webhook-conference-status"),
    re_path(r"^webhooks/twilio/call-status/?$", webhooks.call_status, name="webhook-call-status"),
    re_path(r"^webhooks/twilio/recording-status/?$", webhooks.recording_status, name="webhook-recording-status"),
    re_path(r"^webhooks/twilio/transcription/?$", webhooks.transcription_status, name="webhook-transcription"),
    path("conferences/<conference_sid:conference_sid>/timeline/", views.timeline, name="conference-timeline"),
]
